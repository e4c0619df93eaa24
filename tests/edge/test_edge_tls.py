"""TLS at the edge (ASVS V12.1.1, V12.1.2, V12.2.1, V12.2.2): the shipped nginx configuration speaks TLS 1.2 and 1.3
only, TLS 1.2 only with forward-secret AEAD suites, prefers 1.3, serves the configured certificate chain and gives
names it does not serve no handshake at all.

The refused handshakes are tried by a client that would accept them (``@SECLEVEL=0``, the one old version or suite
only), and the same probes succeed against a copy of the configuration whose TLS lines are weakened: the refusals
are the configuration's doing, not this machine's OpenSSL defaults.
"""

from __future__ import annotations

import ssl
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from tests.edge.conftest import client_tls
from tests.support.certificates import ServerCertificate
from tests.support.nginx import Edge, running_nginx
from tests.support.raw_http import connect
from tests.support.server import free_port

pytestmark = pytest.mark.once  # nothing here depends on the database

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # naming the old versions is the point
    OLD_VERSIONS = [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1]

#: TLS 1.2 suites a client may offer that the edge must refuse: CBC with SHA-1 or SHA-2, RSA key exchange (no forward
#: secrecy) with GCM or CBC, and a finite-field DHE suite.
WEAK_TLS12_SUITES = ["ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES256-SHA", "ECDHE-RSA-AES128-SHA256",
                     "ECDHE-RSA-AES256-SHA384", "AES128-GCM-SHA256", "AES256-GCM-SHA384", "AES128-SHA",
                     "AES128-SHA256", "DES-CBC3-SHA", "DHE-RSA-AES128-GCM-SHA256"]


def probe(certificate: ServerCertificate, *, version: ssl.TLSVersion | None = None,
          suite: str | None = None) -> ssl.SSLContext:
    """A client that offers only ``version`` (and, for 1.2 and below, only ``suite``), weak ones included."""
    context = client_tls(certificate)
    if version is not None:
        context.minimum_version = context.maximum_version = version
    context.set_ciphers(f"{suite or 'ALL'}:@SECLEVEL=0")
    return context


def handshake(edge: Edge, context: ssl.SSLContext, name: str | None = None) -> tuple[str, str]:
    """The version and suite agreed, or ssl.SSLError."""
    with connect(edge.https_port, tls=context, server_name=name or edge.host) as connection:
        assert isinstance(connection, ssl.SSLSocket)
        version, cipher = connection.version(), connection.cipher()
        assert version and cipher
        return version, cipher[0]


@pytest.fixture(scope="module")
def weakened(certificate: ServerCertificate, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    """The shipped file with its TLS versions and suites opened up to everything (the control)."""
    with running_nginx(tmp_path_factory.mktemp("edge-weakened"), https_port=free_port(), http_port=free_port(),
                       upstream="127.0.0.1:9", cert=certificate.cert, key=certificate.key,
                       changes={"ssl_protocols": "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3",
                                "ssl_ciphers": "ALL:@SECLEVEL=0"}) as running:
        yield running


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
@pytest.mark.parametrize("version", OLD_VERSIONS, ids=["TLSv1.0", "TLSv1.1"])
def test_tls_1_0_and_1_1_are_refused(edge: Edge, weakened: Edge, certificate: ServerCertificate,
                                     version: ssl.TLSVersion) -> None:
    with pytest.raises(ssl.SSLError):
        handshake(edge, probe(certificate, version=version))
    assert handshake(weakened, probe(certificate, version=version))[0] in {"TLSv1", "TLSv1.1"}


def test_tls_1_2_with_cbc_or_without_forward_secrecy_is_refused(edge: Edge, weakened: Edge,
                                                                certificate: ServerCertificate) -> None:
    accepted = {}
    for suite in WEAK_TLS12_SUITES:
        try:
            accepted[suite] = handshake(edge, probe(certificate, version=ssl.TLSVersion.TLSv1_2, suite=suite))
        except ssl.SSLError:
            pass
    assert accepted == {}
    # The control: this client gets the RSA-key-exchange and CBC suites from a server that allows them.
    for suite in ("AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA"):
        assert handshake(weakened, probe(certificate, version=ssl.TLSVersion.TLSv1_2, suite=suite)) == (
            "TLSv1.2", suite)


def test_tls_1_2_with_ecdhe_and_an_aead_suite_and_tls_1_3_are_accepted_and_1_3_is_preferred(
        edge: Edge, certificate: ServerCertificate) -> None:
    for suite in ("ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305"):
        assert handshake(edge, probe(certificate, version=ssl.TLSVersion.TLSv1_2, suite=suite)) == ("TLSv1.2", suite)
    # A client offering everything gets 1.2's strongest suite when it stops at 1.2 (the server's order), and 1.3
    # when it has 1.3.
    assert handshake(edge, probe(certificate, version=ssl.TLSVersion.TLSv1_2)) == (
        "TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384")
    assert handshake(edge, client_tls(certificate))[0] == "TLSv1.3"
    assert handshake(edge, probe(certificate, version=ssl.TLSVersion.TLSv1_3))[0] == "TLSv1.3"


def _pem_certificates(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


def test_the_configured_certificate_chain_is_served_and_other_names_get_no_handshake(
        edge: Edge, certificate: ServerCertificate) -> None:
    leaf, intermediate = _pem_certificates(certificate.cert)
    # The client trusts only the root: it verifies only because nginx sends the intermediate of the full chain.
    with connect(edge.https_port, tls=client_tls(certificate), server_name=edge.host) as connection:
        assert isinstance(connection, ssl.SSLSocket)
        served = connection.getpeercert(binary_form=True)
    assert served == leaf.public_bytes(Encoding.DER)
    assert intermediate.subject == leaf.issuer
    # A name nginx does not serve gets its handshake rejected, not the certificate of another name.
    unchecked = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    unchecked.check_hostname = False
    unchecked.verify_mode = ssl.CERT_NONE
    with pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME|unrecognized name"):
        handshake(edge, unchecked, name="other.test")
    with pytest.raises(ssl.SSLError):  # and so does a client that names none (SNI)
        connect(edge.https_port, tls=unchecked).close()

"""An attempt connects to the checked address yet verifies the certificate for the URL's host name (TLS SNI)."""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pejling.core.outbound_addresses import resolve
from tests.followups.conftest import Chain
from tests.webhooks.conftest import Deliveries, Receiver, create_endpoint, delivery_log, verified

pytestmark = pytest.mark.usefixtures("allow_private")


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _certificates(directory: Path, host: str) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for ``host`` only (no IP address in it): CA, cert, key files."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("Test CA")).issuer_name(_name("Test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(host)).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


async def _https_receiver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, certified_host: str,
                          ) -> AsyncIterator[Receiver]:
    ca, cert, key = _certificates(tmp_path, certified_host)
    monkeypatch.setenv("PEJLING_WEBHOOKS_CA_FILE", str(ca))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    address = (await resolve("localhost", 443))[0]  # where an attempt at https://localhost connects
    found = Receiver()
    app = web.Application()
    app.router.add_post("/{tail:.*}", found.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, str(address), 0, ssl_context=context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    found.url = f"https://localhost:{port}"
    yield found
    await runner.cleanup()


@pytest.fixture
async def localhost_receiver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Receiver]:
    async for found in _https_receiver(tmp_path, monkeypatch, "localhost"):
        yield found


@pytest.fixture
async def impostor_receiver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Receiver]:
    async for found in _https_receiver(tmp_path, monkeypatch, "someone-else.example"):
        yield found


async def test_an_https_delivery_to_the_pinned_address_verifies_the_host_name(
    api: httpx.AsyncClient, chain: Chain, localhost_receiver: Receiver, deliveries: Deliveries
) -> None:
    made = await create_endpoint(api, chain.owner.headers, localhost_receiver.url + "/hook")
    await chain.submit()
    await deliveries.run()
    [request] = localhost_receiver.requests
    assert request.headers["Host"] == localhost_receiver.url.removeprefix("https://")
    assert verified(made["secret"], request)["type"] == "response.created"


async def test_a_certificate_for_another_host_is_refused(
    api: httpx.AsyncClient, chain: Chain, impostor_receiver: Receiver, deliveries: Deliveries
) -> None:
    made = await create_endpoint(api, chain.owner.headers, impostor_receiver.url + "/hook")
    await chain.submit()
    await deliveries.run()
    assert impostor_receiver.requests == []
    [logged] = await delivery_log(api, chain.owner.headers, made["endpoint"]["id"])
    assert logged["status"] == "RETRYING" and logged["lastError"].startswith("connection failed")

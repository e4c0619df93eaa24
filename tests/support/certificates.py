"""Throwaway TLS certificates for tests: a certificate authority and a server certificate for chosen names."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class ServerCertificate:
    """PEM files: the authority that signed it (``ca``), the certificate (``cert``) and its key (``key``)."""

    ca: Path
    cert: Path
    key: Path


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _alternative_names(names: tuple[str, ...]) -> list[x509.GeneralName]:
    """Each name as an IP address when it is one, else as a DNS name."""
    alternatives: list[x509.GeneralName] = []
    for name in names:
        try:
            alternatives.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alternatives.append(x509.DNSName(name))
    return alternatives


def server_certificate(directory: Path, *names: str) -> ServerCertificate:
    """A new authority and a server certificate valid for ``names`` only (DNS names or IP addresses)."""
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("Test CA")).issuer_name(_name("Test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(names[0])).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(_alternative_names(names)), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = ServerCertificate(directory / "ca.pem", directory / "cert.pem", directory / "key.pem")
    paths.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
    paths.key.chmod(0o600)
    return paths


def chained_server_certificate(directory: Path, *names: str) -> ServerCertificate:
    """A root authority (``ca``), an intermediate it signed, and an RSA-2048 server certificate for ``names`` signed
    by the intermediate: ``cert`` holds the server certificate then the intermediate (a "full chain", as an ACME
    client writes it), so a client that trusts only the root verifies it only when the server sends both. RSA so that
    a server could offer RSA key exchange, which a test wants to see refused."""
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    valid = (now - dt.timedelta(minutes=5), now + dt.timedelta(days=1))

    def signed(builder: x509.CertificateBuilder, issuer_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
               ) -> x509.Certificate:
        return (builder.serial_number(x509.random_serial_number()).not_valid_before(valid[0])
                .not_valid_after(valid[1]).sign(issuer_key, hashes.SHA256()))

    root_key = ec.generate_private_key(ec.SECP256R1())
    root = signed(x509.CertificateBuilder().subject_name(_name("Test Root CA")).issuer_name(_name("Test Root CA"))
                  .public_key(root_key.public_key())
                  .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True), root_key)
    middle_key = ec.generate_private_key(ec.SECP256R1())
    middle = signed(x509.CertificateBuilder().subject_name(_name("Test Intermediate CA")).issuer_name(root.subject)
                    .public_key(middle_key.public_key())
                    .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True), root_key)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = signed(x509.CertificateBuilder().subject_name(_name(names[0])).issuer_name(middle.subject)
                  .public_key(key.public_key())
                  .add_extension(x509.SubjectAlternativeName(_alternative_names(names)), critical=False), middle_key)
    paths = ServerCertificate(directory / "ca.pem", directory / "fullchain.pem", directory / "key.pem")
    paths.ca.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    paths.cert.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (cert, middle)))
    paths.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
    paths.key.chmod(0o600)
    return paths

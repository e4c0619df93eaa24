"""Where Pejling makes the connection, the TLS a URL asks for is really used and its certificate checked
(ASVS V12.3.1, V12.3.2): SMTP with STARTTLS against a real aiosmtpd server, PostgreSQL through the app's own
connection factory against a private cluster with TLS on, Redis against a real ``redis-server`` with TLS on; each
with throwaway certificates. None of it depends on the database of the run, so it runs on the SQLite pass only."""

from __future__ import annotations

import asyncio
import importlib
import shutil
import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from pejling.core.database import postgres_connection
from pejling.core.mail import build_mail, send_mail
from pejling.core.settings import Settings
from tests.support.certificates import ServerCertificate, server_certificate
from tests.support.private_postgres import private_postgres
from tests.support.private_postgres import unavailable as private_postgres_unavailable
from tests.support.smtp import SmtpSink, smtp_server  # noqa: F401 - the fixture is used by name

pytestmark = pytest.mark.once


class TlsSink(SmtpSink):
    """An SMTP sink that also records whether each message came over TLS."""

    def __init__(self) -> None:
        super().__init__()
        self.over_tls: list[bool] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
        self.over_tls.append(session.ssl is not None)
        return await super().handle_DATA(server, session, envelope)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_context(certificate: ServerCertificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate.cert, certificate.key)
    return context


@pytest.fixture
def starttls_server(tmp_path: Path) -> Iterator[tuple[TlsSink, ServerCertificate]]:
    """An SMTP server on 127.0.0.1 that requires STARTTLS, with a certificate for 127.0.0.1."""
    certificate = server_certificate(tmp_path / "smtp", "127.0.0.1")
    sink = TlsSink()
    sink.port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port, tls_context=_server_context(certificate),
                            require_starttls=True)
    controller.start()
    try:
        yield sink, certificate
    finally:
        controller.stop()


def _mail(settings: Settings, to: str) -> Any:
    return build_mail(settings, to=to, subject="TLS", text="Over TLS only.")


async def test_starttls_is_used_and_the_certificate_is_checked(
    settings: Settings, starttls_server: tuple[TlsSink, ServerCertificate], tmp_path: Path
) -> None:
    sink, certificate = starttls_server
    trusted = settings.model_copy(
        update={"smtp_url": f"smtp://127.0.0.1:{sink.port}?starttls=1&cafile={certificate.ca}"})
    await send_mail(trusted, _mail(trusted, "tls-reader@example.com"))
    assert [m["Subject"] for m in sink.to("tls-reader@example.com")] == ["TLS"] and sink.over_tls == [True]

    # The system's authorities do not know this server's: refused, nothing sent.
    system = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{sink.port}?starttls=1"})
    with pytest.raises(Exception, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        await send_mail(system, _mail(system, "untrusted@example.com"))
    assert sink.to("untrusted@example.com") == []

    # A certificate from a trusted authority, but for another host: refused too (the host name is checked).
    other = server_certificate(tmp_path / "other", "mail.example.net")
    elsewhere = TlsSink()
    elsewhere.port = _free_port()
    controller = Controller(elsewhere, hostname="127.0.0.1", port=elsewhere.port, tls_context=_server_context(other),
                            require_starttls=True)
    controller.start()
    try:
        wrong_host = settings.model_copy(
            update={"smtp_url": f"smtp://127.0.0.1:{elsewhere.port}?starttls=1&cafile={other.ca}"})
        with pytest.raises(Exception, match="(?i)hostname|IP address mismatch|certificate verify failed"):
            await send_mail(wrong_host, _mail(wrong_host, "wrong-host@example.com"))
    finally:
        controller.stop()
    assert elsewhere.to("wrong-host@example.com") == []


async def test_a_server_without_starttls_gets_nothing_in_plain(
    settings: Settings, smtp_server: SmtpSink  # noqa: F811
) -> None:
    """``?starttls=1`` against a server that offers no STARTTLS fails: no fallback to sending in the clear."""
    asking = settings.model_copy(update={"smtp_url": f"{smtp_server.url}?starttls=1"})
    with pytest.raises(Exception, match="(?i)starttls"):
        await send_mail(asking, _mail(asking, "never-plain@example.com"))
    assert smtp_server.to("never-plain@example.com") == []


async def _ssl_in_use(url: str) -> bool:
    """Connect with the app's own PostgreSQL connection (``postgres_connection``) and ask the server about TLS."""
    config = postgres_connection(url)
    client = importlib.import_module(config["engine"]).client_class(connection_name="tls-probe",
                                                                   **config["credentials"])
    try:
        await client.create_connection(with_db=True)
        [row] = await client.execute_query_dict("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        return bool(row["ssl"])
    finally:
        await client.close()


async def test_postgres_uses_the_tls_the_url_asks_for(tmp_path: Path) -> None:
    """A private PostgreSQL with a certificate for 127.0.0.1 from a throwaway authority: each URL gets the TLS it asks
    for, and verification against the wrong authority or host name refuses instead of falling back to plain."""
    reason = private_postgres_unavailable()
    if reason is not None:
        pytest.skip(reason)
    ours = server_certificate(tmp_path / "pg", "127.0.0.1")
    with private_postgres(certificate=(ours.cert, ours.key)) as cluster:  # in /tmp: the postgres user reads it
        url = cluster.url("postgres")
        assert await _ssl_in_use(f"{url}?sslmode=verify-full&sslrootcert={ours.ca}") is True
        assert await _ssl_in_use(f"{url}?ssl=verify-ca&sslrootcert={ours.ca}") is True
        assert await _ssl_in_use(f"{url}?sslmode=require") is True
        assert await _ssl_in_use(f"{url}?sslmode=disable") is False
        assert await _ssl_in_use(f"{url}?ssl=false") is False  # Tortoise alone would read this as ssl on
        stranger = server_certificate(tmp_path / "stranger", "127.0.0.1")
        with pytest.raises(ssl.SSLCertVerificationError):
            await _ssl_in_use(f"{url}?sslmode=verify-ca&sslrootcert={stranger.ca}")
        with pytest.raises(ssl.SSLCertVerificationError):  # the system's authorities do not know ours
            await _ssl_in_use(f"{url}?ssl=true")
    elsewhere = server_certificate(tmp_path / "elsewhere", "db.example.net")
    with private_postgres(certificate=(elsewhere.cert, elsewhere.key)) as cluster:
        url = cluster.url("postgres")
        assert await _ssl_in_use(f"{url}?sslmode=verify-ca&sslrootcert={elsewhere.ca}") is True
        with pytest.raises(ssl.SSLCertVerificationError):  # verify-full checks the host name too
            await _ssl_in_use(f"{url}?sslmode=verify-full&sslrootcert={elsewhere.ca}")


@pytest.fixture
async def tls_redis(tmp_path: Path) -> AsyncIterator[tuple[int, ServerCertificate]]:
    """A private ``redis-server`` answering only TLS on 127.0.0.1, with a certificate for 127.0.0.1."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("no redis-server")
    certificate = server_certificate(tmp_path / "redis", "127.0.0.1")
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        server, "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1", "--tls-cert-file", str(certificate.cert),
        "--tls-key-file", str(certificate.key), "--tls-ca-cert-file", str(certificate.ca), "--tls-auth-clients", "no",
        "--save", "", "--appendonly", "no", "--dir", str(tmp_path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    try:
        for _ in range(100):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                if process.returncode is not None:
                    output = (await process.stdout.read()).decode() if process.stdout else ""
                    pytest.skip(f"redis-server without TLS: {output[-200:]}")
                await asyncio.sleep(0.05)
        yield port, certificate
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


async def test_rediss_checks_the_certificate_of_the_server(tls_redis: tuple[int, ServerCertificate]) -> None:
    """The shoppers' rate limits through ``rediss://``: they work with the server's authority, and fail (never in
    plain) with the system's authorities, which do not know it."""
    from pejling.core.surveys.rate_limit import Limit, RedisLimiter

    port, certificate = tls_redis
    limit = Limit(count=5, window_seconds=60)
    trusted = RedisLimiter(f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={certificate.ca}", prefix="tls-test")
    try:
        assert await trusted.hit("shopper", limit) is None  # counted and allowed
    finally:
        await trusted.close()
    refused = RedisLimiter(f"rediss://127.0.0.1:{port}/0", prefix="tls-test")  # the system's authorities
    try:
        with pytest.raises(Exception, match="(?i)certificate verify failed|CERTIFICATE_VERIFY_FAILED"):
            await refused.hit("shopper", limit)
    finally:
        await refused.close()

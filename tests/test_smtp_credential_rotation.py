"""A rotated SMTP password is used from the next mail on, without a restart (ASVS V13.2.1).

A real aiosmtpd server that requires ``AUTH`` and knows one password at a time, and ``PEJLING_SMTP_URL`` in a
secrets folder: a mail goes out; the relay's password changes and the file is rewritten; the next mail, sent with
the same settings object (no restart), signs in with the new password, and the old one is refused. It does not
depend on the database, so it runs on the SQLite pass only.
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from pejling.core.mail import build_mail, send_mail
from pejling.core.settings import Settings
from tests.support.secret_files import rewrite_secret, secrets_folder
from tests.support.smtp import SmtpSink

#: Plain AUTH is what aiosmtpd warns about; on loopback, in a test, it is what keeps the test small.
pytestmark = [pytest.mark.once, pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]

USER = "pejling-mailer"


class Relay:
    """Accepts ``USER`` with whichever password it holds now; remembers the passwords it refused."""

    def __init__(self) -> None:
        self.password = secrets.token_urlsafe(16)
        self.refused = 0

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        accepted = isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode() and \
            secrets.compare_digest(auth_data.password, self.password.encode())
        self.refused += not accepted
        return AuthResult(success=accepted, handled=False)


@pytest.fixture
def relay() -> Iterator[tuple[Relay, SmtpSink]]:
    """An SMTP server on 127.0.0.1 that takes mail only after AUTH (over plain SMTP: loopback, a test)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    authenticator, sink = Relay(), SmtpSink()
    sink.port = port
    controller = Controller(sink, hostname="127.0.0.1", port=port, authenticator=authenticator, auth_required=True,
                            auth_require_tls=False)
    controller.start()
    try:
        yield authenticator, sink
    finally:
        controller.stop()


@pytest.fixture
def secrets_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return secrets_folder(tmp_path, monkeypatch, "PEJLING_SMTP_URL")


def _url(port: int, password: str) -> str:
    return f"smtp://{USER}:{password}@127.0.0.1:{port}"


async def _send(settings: Settings, to: str) -> None:
    await send_mail(settings, build_mail(settings, to=to, subject="Rotation", text="Signed in."))


async def test_the_next_mail_signs_in_with_the_rotated_password(
    relay: tuple[Relay, SmtpSink], secrets_dir: Path, var_dir: Path
) -> None:
    authenticator, sink = relay
    first = authenticator.password
    rewrite_secret(secrets_dir, "PEJLING_SMTP_URL", _url(sink.port, first))
    settings = Settings(environment="test", var_dir=var_dir)
    await _send(settings, "before-rotation@example.com")

    authenticator.password = secrets.token_urlsafe(16)
    rewrite_secret(secrets_dir, "PEJLING_SMTP_URL", _url(sink.port, authenticator.password))
    await _send(settings, "after-rotation@example.com")  # the same settings: no restart

    assert len(sink.to("before-rotation@example.com")) == len(sink.to("after-rotation@example.com")) == 1
    assert authenticator.refused == 0
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=sink.port, start_tls=False)
    async with client:
        with pytest.raises(aiosmtplib.SMTPAuthenticationError):
            await client.login(USER, first)


async def test_a_url_given_in_the_environment_keeps_its_password(
    relay: tuple[Relay, SmtpSink], secrets_dir: Path, var_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The control: without the file the password is fixed, and the rotation refuses the next mail.
    authenticator, sink = relay
    monkeypatch.delenv("PEJLING_SECRETS_DIR")
    monkeypatch.setenv("PEJLING_SMTP_URL", _url(sink.port, authenticator.password))
    settings = Settings(environment="test", var_dir=var_dir)
    await _send(settings, "fixed@example.com")
    authenticator.password = secrets.token_urlsafe(16)
    rewrite_secret(secrets_dir, "PEJLING_SMTP_URL", _url(sink.port, authenticator.password))
    with pytest.raises(aiosmtplib.SMTPAuthenticationError):
        await _send(settings, "fixed@example.com")
    assert authenticator.refused >= 1

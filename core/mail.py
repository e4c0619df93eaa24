"""Outgoing mail: build a message, send it over SMTP (``PEJLING_SMTP_URL``) or, without SMTP, keep it as a file.

``smtp://user:password@host:port`` sends in clear (``?starttls=1`` upgrades with STARTTLS);
``smtps://…`` uses implicit TLS; either checks the server's certificate and host name (``?cafile=`` for a private
authority). In production plain SMTP to another machine stops the start (:mod:`pejling.core.start_checks`).
Without an SMTP URL (development and tests), each mail is written to ``<var_dir>/mail/<timestamp>-<id>.eml`` and
the path is logged, so links in it can be opened.

In production a password link must never end up silently in a folder: without ``PEJLING_SMTP_URL``,
``pejling serve`` and ``pejling worker`` refuse to start (:func:`check_mail_settings`) and :func:`send_mail`
raises, unless ``PEJLING_MAIL_TO_FILES=true`` asks for files on purpose.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from pejling.core.credential_files import credential_file
from pejling.core.settings import Settings

log = logging.getLogger(__name__)

EMAIL_ADDRESS = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}\Z")
"""What we accept as an email address (at most 254 characters in all, checked apart): local@domain.tld, with no
white space anywhere (``\\Z``, not ``$``, which would let a final line break through)."""

TRUE = {"1", "true", "yes", "on"}


class MailConfigError(ValueError):
    """``PEJLING_SMTP_URL`` cannot be understood, or is missing where mail must really be sent."""


NO_SMTP_IN_PRODUCTION = (
    "PEJLING_SMTP_URL is not set: in production, password-reset and welcome mails would only be written to "
    "{mail_dir} and never reach anyone. Set PEJLING_SMTP_URL=smtp://user:password@host:587?starttls=1, "
    "or PEJLING_MAIL_TO_FILES=true to keep mails as files on purpose."
)


def mail_to_files(settings: Settings) -> bool:
    """True when mails are written as ``.eml`` files: no SMTP URL, and not production unless asked for."""
    return not settings.smtp_url and (settings.environment != "production" or settings.mail_to_files)


def mail_problem(settings: Settings) -> str | None:
    """Why these settings cannot deliver mail (a bad SMTP URL, or none in production), or None."""
    if settings.smtp_url:
        try:
            parse_smtp_url(settings.smtp_url)
        except MailConfigError as exc:
            return str(exc)
        return None
    if not mail_to_files(settings):
        return NO_SMTP_IN_PRODUCTION.format(mail_dir=settings.mail_dir)
    return None


def check_mail_settings(settings: Settings) -> None:
    """Refuse to start a process that sends mail when the mail could not go anywhere (:class:`MailConfigError`)."""
    problem = mail_problem(settings)
    if problem is not None:
        raise MailConfigError(problem)


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to deliver mail, parsed from ``PEJLING_SMTP_URL``."""

    hostname: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    start_tls: bool = False
    timeout: float = 30.0
    ca_file: str | None = None
    """Certificate authorities to trust instead of the system's (``?cafile=``, a private mail relay's)."""


def parse_smtp_url(url: str) -> SmtpServer:
    """Read an ``smtp://`` or ``smtps://`` URL (``?starttls=1``, ``?timeout=10``, ``?cafile=/path/ca.pem``)."""
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"}:
        raise MailConfigError("PEJLING_SMTP_URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise MailConfigError("PEJLING_SMTP_URL needs a host")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    use_tls = parts.scheme == "smtps"
    start_tls = query.get("starttls", "").lower() in TRUE
    if use_tls and start_tls:
        raise MailConfigError("smtps:// already uses TLS; drop ?starttls")
    try:
        port = parts.port or (465 if use_tls else 587 if start_tls else 25)
        timeout = float(query.get("timeout", 30))
    except ValueError as exc:
        raise MailConfigError(f"PEJLING_SMTP_URL: {exc}") from None
    return SmtpServer(
        hostname=parts.hostname, port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_tls=use_tls, start_tls=start_tls, timeout=timeout, ca_file=query.get("cafile") or None,
    )


def smtp_server(settings: Settings) -> SmtpServer:
    """Where to send now: ``PEJLING_SMTP_URL``, with the user and password its secret file holds at this moment when
    it came from one (each send is one connection, so a rotated password is used from the next mail on;
    :mod:`pejling.core.credential_files`)."""
    server = parse_smtp_url(settings.smtp_url)
    source = credential_file("PEJLING_SMTP_URL", settings.smtp_url)
    if source is None:
        return server
    current = source.current()
    return replace(server, username=current.user, password=current.password)


def build_mail(settings: Settings, *, to: str, subject: str, text: str, html: str | None = None) -> EmailMessage:
    """A complete message from ``settings.mail_from``: plain text, with an HTML alternative when given.

    The subject is made one line (runs of white space, line breaks too, become one space): it often carries a
    tenant's or a store's name. A line break in ``to`` is refused with ``ValueError`` (by ``EmailMessage``), so no
    input can add a header.
    """
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = " ".join(subject.split())
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=_domain(settings.mail_from))
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip(" >") or "pejling.localhost"


async def send_mail(settings: Settings, message: EmailMessage) -> Path | None:
    """Deliver the message. Over SMTP returns None; without SMTP returns the ``.eml`` file written.

    In production without SMTP (and without ``mail_to_files``) raises :class:`MailConfigError`: the mail is
    refused loudly rather than left in a folder.
    """
    if not settings.smtp_url:
        if not mail_to_files(settings):
            raise MailConfigError(NO_SMTP_IN_PRODUCTION.format(mail_dir=settings.mail_dir))
        return await asyncio.to_thread(_write_eml, settings.mail_dir, message)
    server = smtp_server(settings)
    # TLS (smtps:// or STARTTLS) checks the certificate and the host name; ``start_tls=True`` fails when the server
    # offers no STARTTLS (never a plain fallback), and ``False`` never upgrades a plain URL behind our back.
    await aiosmtplib.send(
        message, hostname=server.hostname, port=server.port, username=server.username, password=server.password,
        use_tls=server.use_tls, start_tls=server.start_tls, validate_certs=True, cert_bundle=server.ca_file,
        timeout=server.timeout,
    )
    log.info("mail %r sent via %s:%s", message["Subject"], server.hostname, server.port)
    return None


def _write_eml(directory: Path, message: EmailMessage) -> Path:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = directory / f"{stamp}-{secrets.token_hex(4)}.eml"
    path.write_bytes(bytes(message))
    path.chmod(0o600)
    log.info("no PEJLING_SMTP_URL: mail %r written to %s", message["Subject"], path)
    return path


def forget_mail_files(directory: Path, addresses: set[str]) -> int:
    """Delete the ``.eml`` copies in ``directory`` addressed to any of ``addresses`` (an erasure reaches them);
    returns how many. Only headers are read; addresses compare case-insensitively."""
    wanted = {a.strip().lower() for a in addresses if a}
    if not wanted or not directory.is_dir():
        return 0
    removed = 0
    for path in directory.glob("*.eml"):
        with path.open("rb") as handle:
            headers = BytesHeaderParser(policy=default_policy).parse(handle)
        to = {address.addr_spec.lower() for address in getattr(headers["To"], "addresses", ())}
        if to & wanted:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


_pending: set[asyncio.Task[Path | None]] = set()


def send_mail_soon(settings: Settings, message: EmailMessage) -> asyncio.Task[Path | None]:
    """Send in the background, so a request answers at once (and alike whether a mail was sent or not).

    Failures are logged, never raised to the caller.
    """
    task = asyncio.create_task(send_mail(settings, message))
    _pending.add(task)
    task.add_done_callback(_finished)
    return task


def _finished(task: asyncio.Task[Path | None]) -> None:
    _pending.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("mail could not be sent", exc_info=task.exception())

"""What a production process refuses to start with: plain connections to backends on other machines, default
credentials, and a secret key that is missing, short or an example (ASVS V12.3.1, V13.2.3).

Every ``pejling`` command runs :func:`production_problems` in production (``core/cli.py``) and stops with one line
per problem, each naming its setting (``PEJLING_DATABASE_URL: …``) and never showing a password or a key.

* **TLS to the backends.** PostgreSQL must say ``sslmode=require``, ``verify-ca`` or ``verify-full`` (or asyncpg's
  ``ssl=…``, :mod:`pejling.core.database_tls`), Redis must be ``rediss://`` with its certificate checks left on, and
  SMTP ``smtps://`` or ``?starttls=1``; on this machine (127.0.0.0/8, ``::1``, ``localhost``, a unix socket) plain
  is allowed, the traffic never leaves it. ``PEJLING_ALLOW_PLAIN_BACKENDS=true`` lifts this rule for a private
  network that encrypts by itself.
* **No default credentials**, on any host: a password of :data:`DEFAULT_PASSWORDS`, or one equal to its user name
  (``postgres:postgres``, ``guest:guest``), in the database, owner, Redis or SMTP URL.
* **A secret key of our own**: set, at least :data:`MIN_SECRET_KEY_LENGTH` characters, and none of
  :data:`EXAMPLE_SECRET_KEYS`.
"""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import parse_qsl, unquote, urlsplit

from pejling.core.database_tls import postgres_tls
from pejling.core.settings import Settings

#: Passwords that ship as defaults or stand in documentation examples (ours: ``user:pass``, ``user:password``, the
#: ``…`` of docs/deployment.md), compared without case. A password equal to its user name counts too.
DEFAULT_PASSWORDS = frozenset({
    "…", "...", "pass", "password", "passw0rd", "secret", "changeme", "change-me", "admin", "administrator",
    "root", "toor", "guest", "postgres", "redis", "pejling", "test", "example", "default", "12345678", "123456",
    "letmein", "qwerty",
})

#: Secret keys that stand in documentation, READMEs and framework defaults: never a production key.
EXAMPLE_SECRET_KEYS = frozenset({
    "secret", "secret-key", "secret_key", "changeme", "change-me", "change-me-please", "changethis", "your-secret-key",
    "your_secret_key", "replace-me", "dev", "development", "test", "testing", "pejling", "insecure", "not-a-secret",
})

#: The shortest production secret key: 32 characters (``secrets.token_urlsafe(48)`` gives 64).
MIN_SECRET_KEY_LENGTH = 32

#: The opt-out, named in every refusal it can lift.
ALLOW_PLAIN = "PEJLING_ALLOW_PLAIN_BACKENDS=true"

#: How to make a production secret key (said in the refusal).
HOW_TO_MAKE_A_KEY = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"


def is_this_machine(host: str | None) -> bool:
    """True for a host whose traffic never leaves the machine: none (the default socket or localhost), a unix socket
    path, ``localhost``, or a loopback address (127.0.0.0/8, ``::1``)."""
    if not host or host.startswith("/"):
        return True
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _postgres_host(url: str) -> str | None:
    """Where asyncpg connects for this URL: its host, the ``host=`` parameter (a socket folder), else ``PGHOST``."""
    base, _, query = url.partition("?")
    place = base.split("://", 1)[-1].split("/", 1)[0].rpartition("@")[2]  # after the password, whatever it holds
    try:
        host = urlsplit("//" + place).hostname
    except ValueError:
        host = place  # not understood: never counted as this machine
    if host:
        return unquote(host)
    return dict(parse_qsl(query)).get("host") or os.environ.get("PGHOST") or None


def _userinfo(url: str) -> tuple[str, str | None]:
    """The user and password of a URL (decoded), without urlsplit's host checks."""
    netloc = url.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0]
    if "@" not in netloc:
        return "", None
    userinfo = netloc.rpartition("@")[0]
    user, colon, password = userinfo.partition(":")
    return unquote(user), unquote(password) if colon else None


def _default_credential(url: str) -> bool:
    user, password = _userinfo(url)
    if password is None:
        return False
    return password.lower() in DEFAULT_PASSWORDS or (user != "" and password.lower() == user.lower())


def _database_problem(name: str, url: str, settings: Settings) -> str | None:
    if not url or url.startswith("sqlite://") or settings.allow_plain_backends:
        return None
    host = _postgres_host(url)
    if is_this_machine(host) or postgres_tls(url).required:
        return None
    return (f"{name}: the connection to {host} is not encrypted: add ?sslmode=verify-full (or require, verify-ca) to "
            f"the URL, or set {ALLOW_PLAIN} on a private network that encrypts by itself")


def _redis_problem(url: str, settings: Settings) -> str | None:
    if not url or settings.allow_plain_backends:
        return None
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a port that is not a number, as redis-py would
    except ValueError:
        return "PEJLING_REDIS_URL: cannot be read as a URL (redis://, rediss:// or unix://)"
    if parts.scheme == "unix" or (parts.scheme == "redis" and is_this_machine(parts.hostname)):
        return None
    if parts.scheme != "rediss":
        return (f"PEJLING_REDIS_URL: {parts.scheme}:// to {parts.hostname} is not encrypted: use rediss://, or set "
                f"{ALLOW_PLAIN} on a private network that encrypts by itself")
    query = {key.lower(): value.strip().lower() for key, value in parse_qsl(parts.query)}
    if query.get("ssl_cert_reqs", "required") != "required" or query.get("ssl_check_hostname", "true") in {
            "false", "0", "no", "off", "n", "f"}:
        return (f"PEJLING_REDIS_URL: rediss:// to {parts.hostname} does not check the server's certificate: drop "
                f"ssl_cert_reqs / ssl_check_hostname (give ssl_ca_certs=<file> for a private authority), or set "
                f"{ALLOW_PLAIN}")
    return None


def _smtp_problem(url: str, settings: Settings) -> str | None:
    from pejling.core.mail import MailConfigError, parse_smtp_url

    if not url or settings.allow_plain_backends:
        return None
    try:
        server = parse_smtp_url(url)
    except MailConfigError:
        return None  # reported by the mail check (core/mail.py mail_problem), with its own words
    if server.use_tls or server.start_tls or is_this_machine(server.hostname):
        return None
    return (f"PEJLING_SMTP_URL: smtp:// to {server.hostname} without ?starttls=1 is not encrypted: add ?starttls=1 "
            f"or use smtps://, or set {ALLOW_PLAIN} on a private network that encrypts by itself")


def _secret_key_problem(settings: Settings) -> str | None:
    key = settings.secret_key.get_secret_value().strip()
    if not key:
        return f"PEJLING_SECRET_KEY is not set: make one with {HOW_TO_MAKE_A_KEY}"
    if key.lower() in EXAMPLE_SECRET_KEYS:
        return f"PEJLING_SECRET_KEY is an example value, known to everyone: make one with {HOW_TO_MAKE_A_KEY}"
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return (f"PEJLING_SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters: make one with "
                f"{HOW_TO_MAKE_A_KEY}")
    return None


def production_problems(settings: Settings) -> list[str]:
    """Why a production process must not start with these settings, one line each (none outside production)."""
    if settings.environment != "production":
        return []
    urls = {"PEJLING_DATABASE_URL": settings.database_url, "PEJLING_DATABASE_OWNER_URL": settings.database_owner_url,
            "PEJLING_DATABASE_NOTICE_URL": settings.database_notice_url,
            "PEJLING_REDIS_URL": settings.redis_url, "PEJLING_SMTP_URL": settings.smtp_url}
    problems = [
        _database_problem("PEJLING_DATABASE_URL", settings.database_url, settings),
        _database_problem("PEJLING_DATABASE_OWNER_URL", settings.database_owner_url, settings),
        _database_problem("PEJLING_DATABASE_NOTICE_URL", settings.database_notice_url, settings),
        _redis_problem(settings.redis_url, settings),
        _smtp_problem(settings.smtp_url, settings),
    ]
    problems += [f"{name}: the URL carries a well-known default password (not shown here): give this service a "
                 "password of its own" for name, url in urls.items() if url and _default_credential(url)]
    problems.append(_secret_key_problem(settings))
    return [problem for problem in problems if problem is not None]


class StartRefused(RuntimeError):
    """A production process was asked to start with settings :func:`production_problems` refuses."""


def check_start(settings: Settings) -> None:
    """Raise :class:`StartRefused`, one problem a line, when :func:`production_problems` finds any: the app itself
    refuses, however it is started (``pejling serve``, or uvicorn or another ASGI server calling the factory)."""
    problems = production_problems(settings)
    if problems:
        raise StartRefused("\n".join(problems))

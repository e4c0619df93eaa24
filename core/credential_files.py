"""Backend credentials read from their secret file at each new connection (ASVS V13.2.1).

When ``PEJLING_DATABASE_URL``, ``PEJLING_REDIS_URL`` or ``PEJLING_SMTP_URL`` (or the owner and notice URLs of the
database) comes from a file in ``PEJLING_SECRETS_DIR`` (:class:`pejling.core.settings.SettingsWithSecretFiles`), the
process does not keep the password it read at start: every **new** connection reads the file again and signs in
with the password it holds now. A secrets manager that rotates the password (Vault's static database roles, a Redis
ACL password, the mail relay's password) and rewrites the file is followed at the next connection, with no restart;
connections already open keep working until their pool closes them.

Only the credentials move. The rest of the URL (scheme, host, port, database, TLS parameters) stays what the process
started with, and so, for PostgreSQL, does the user, which is the application's role that row-level security and the
migrations' grants are made for (:mod:`pejling.core.row_security`). A file whose URL changed anywhere else is not
used: the last password that went with the process's URL is kept and a warning says a restart is needed (the URL is
never logged). The same holds for a file that cannot be read or is empty for a moment.

The hooks are the libraries' own: asyncpg's per-connection ``password`` callable (:mod:`pejling.core.database`),
redis-py's ``credential_provider`` (:mod:`pejling.core.redis_connection`); mail opens one connection per send and
reads the file there (:func:`pejling.core.mail.send_mail`).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from pejling.core.settings import SECRETS_DIR

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UrlCredentials:
    """A backend URL split into its user, its password and the rest (the URL without either)."""

    user: str | None
    password: str | None
    rest: str

    def same_place(self, other: UrlCredentials, *, same_user: bool) -> bool:
        """True when ``other`` points where this does (and, with ``same_user``, as the same user)."""
        return self.rest == other.rest and (not same_user or self.user == other.user)


def split_credentials(url: str) -> UrlCredentials:
    """The user and password (percent-decoded) of ``scheme://user:password@host…`` and the URL without them.

    The authority ends at the first ``/``, ``?`` or ``#`` (RFC 3986: those are percent-encoded inside a password);
    the user information ends at its last ``@``. Not ``urlsplit``, which refuses some passwords (``[``)."""
    scheme, separator, remainder = url.strip().partition("://")
    if not separator:
        return UrlCredentials(None, None, url.strip())
    end = min((index for index in (remainder.find(mark) for mark in "/?#") if index >= 0), default=len(remainder))
    userinfo, at, host = remainder[:end].rpartition("@")
    if not at:
        return UrlCredentials(None, None, url.strip())
    user, colon, password = userinfo.partition(":")
    return UrlCredentials(unquote(user) or None, unquote(password) if colon else None,
                          f"{scheme}://{host}{remainder[end:]}")


class CredentialFile:
    """The secret file a backend URL came from, read again each time :meth:`current` is called (a new connection).

    ``same_user``: the user must stay the one of the start too (PostgreSQL's application role)."""

    def __init__(self, setting: str, path: Path, started: UrlCredentials, *, same_user: bool = False) -> None:
        self.setting = setting
        self.path = path
        self.same_user = same_user
        self._started = started
        self._last = started
        self._warned: str | None = None

    def current(self) -> UrlCredentials:
        """The credentials to sign in with now: the file's, or the last good ones when the file cannot be read or
        points elsewhere (with a warning, once per cause)."""
        try:
            found = split_credentials(self.path.read_text())
        except (OSError, UnicodeDecodeError) as exc:
            return self._keep(f"cannot be read ({type(exc).__name__})")
        if not found.rest or found.password is None:
            return self._keep("holds no password")
        if not found.same_place(self._started, same_user=self.same_user):
            what = "host, port, database, parameters or user" if self.same_user else "host, port or parameters"
            return self._keep(f"names another {what} than this process started with; restart to use it")
        self._last, self._warned = found, None
        return found

    def password(self) -> str | None:
        """The current password (asyncpg's ``password`` callable, called for each new connection)."""
        return self.current().password

    def _keep(self, cause: str) -> UrlCredentials:
        if self._warned != cause:
            self._warned = cause
            log.warning("%s: the secret file %s %s; new connections keep the last password", self.setting,
                        self.path.name, cause)
        return self._last


def secret_file(setting: str) -> Path | None:
    """The file of ``setting`` (``PEJLING_REDIS_URL``) in ``PEJLING_SECRETS_DIR``, named in any case as
    :class:`pydantic_settings.SecretsSettingsSource` finds it; None without a folder or a file."""
    folder = os.environ.get(SECRETS_DIR, "").strip()
    if not folder:
        return None
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return None
    return next((entry for entry in entries if entry.name.lower() == setting.lower() and entry.is_file()), None)


def credential_file(setting: str, url: str, *, same_user: bool = False) -> CredentialFile | None:
    """The :class:`CredentialFile` to read ``url``'s password from at each connection, when ``url`` is the value of
    ``setting`` read from its secret file (a value given in the environment or in code is fixed: None), and it holds
    a password (nothing to rotate otherwise)."""
    path = secret_file(setting)
    started = split_credentials(url)
    if path is None or started.password is None:
        return None
    key = (setting, path, url, same_user)
    if key in _sources:  # one per URL, so its last good password and its warnings last (a mail is sent per call)
        return _sources[key]
    try:
        found = split_credentials(path.read_text())
    except (OSError, UnicodeDecodeError):
        return None
    if not found.same_place(started, same_user=same_user):
        return None  # the setting did not come from this file (a value given in code wins over it)
    source = _sources[key] = CredentialFile(setting, path, started, same_user=same_user)
    return source


_sources: dict[tuple[str, Path, str, bool], CredentialFile] = {}

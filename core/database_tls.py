"""TLS to PostgreSQL, as the database URL asks for it.

The URL says it the way libpq does, ``?sslmode=verify-full`` (``disable``, ``allow``, ``prefer``, ``require``,
``verify-ca``, ``verify-full``), or the way asyncpg does, ``?ssl=verify-full`` (the same words, and ``true``, which
is asyncpg's ``ssl=True``: the system's certificate authorities and the host name checked). ``sslrootcert=<file>``
names the certificate authorities to trust (``sslrootcert=system``: the system's, as in libpq 16).

Tortoise passes URL parameters on to asyncpg as they are: ``sslmode`` is not a parameter of ``asyncpg.connect`` (it
fails), and ``ssl`` is cast to a bool (``ssl=disable`` would turn TLS *on*). So :func:`without_tls_parameters` takes
them out of the URL and :meth:`PostgresTls.asyncpg_ssl` gives asyncpg its own ``ssl`` argument.

Only ``require``, ``verify-ca`` and ``verify-full`` insist on TLS (no plain fallback); ``require`` checks the
certificate only when a root certificate is found (libpq's rule), so production should say ``verify-full``.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

#: libpq's ``sslmode`` words, weakest first.
MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
#: The modes that never fall back to a plain connection.
REQUIRED = frozenset({"require", "verify-ca", "verify-full"})
#: The URL parameters this module reads (and takes out of the URL handed to Tortoise).
PARAMETERS = ("sslmode", "ssl", "sslrootcert")

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


@dataclass(frozen=True)
class PostgresTls:
    """The TLS a PostgreSQL URL asks for: a mode of :data:`MODES` (None: not said, asyncpg's ``prefer``) and the root
    certificates to trust (None: libpq's rule, ``PGSSLROOTCERT`` or ``~/.postgresql/root.crt``)."""

    mode: str | None = None
    root_certificates: str | None = None
    system_default: bool = False
    """``ssl=true``: asyncpg's ``ssl=True`` (the system's certificate authorities, the host name checked)."""

    @property
    def required(self) -> bool:
        """True when the connection is TLS or nothing (no fallback to plain)."""
        return self.mode in REQUIRED

    def asyncpg_ssl(self) -> str | ssl.SSLContext | None:
        """asyncpg's ``ssl`` argument: a context when we pick the certificate authorities, else the mode's word."""
        if self.mode is None:
            return None
        if self.mode in REQUIRED and (self.system_default or self.root_certificates is not None):
            system = self.system_default or self.root_certificates == "system"
            context = ssl.create_default_context(cafile=None if system else self.root_certificates)
            # libpq: with root certificates, require verifies the certificate like verify-ca (not the host name)
            context.check_hostname = self.mode == "verify-full"
            return context
        return self.mode


def postgres_tls(url: str) -> PostgresTls:
    """Read the TLS parameters of a PostgreSQL URL; ``ValueError`` (naming the parameter, never the URL) when they
    cannot be understood."""
    query = dict(parse_qsl(url.partition("?")[2], keep_blank_values=True))
    root = query.get("sslrootcert") or None
    if "sslmode" in query and "ssl" in query:
        raise ValueError("give either sslmode= or ssl= in the URL, not both")
    if "sslmode" in query:
        mode = query["sslmode"].strip().lower()
        if mode not in MODES:
            raise ValueError(f"sslmode must be one of {', '.join(MODES)}")
        return PostgresTls(mode, root)
    if "ssl" in query:
        word = query["ssl"].strip().lower()
        if word in _TRUE:
            return PostgresTls("verify-full", root, system_default=root is None)
        if word in _FALSE:
            return PostgresTls("disable", root)
        if word not in MODES:
            raise ValueError(f"ssl must be true, false or one of {', '.join(MODES)}")
        return PostgresTls(word, root)
    return PostgresTls(None, root)


def without_tls_parameters(url: str) -> str:
    """The URL without ``sslmode``, ``ssl`` and ``sslrootcert`` (Tortoise would hand them to asyncpg wrongly)."""
    base, _, query = url.partition("?")  # not urlsplit: a password may hold characters it refuses ("[")
    kept = [(key, value) for key, value in parse_qsl(query, keep_blank_values=True) if key not in PARAMETERS]
    return f"{base}?{urlencode(kept)}" if kept else base

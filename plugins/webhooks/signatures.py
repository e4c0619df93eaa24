"""Signing a delivery, and checking a signature the way an integrator does (the scheme of ``docs/webhooks.md``).

Header ``Pejling-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``. A receiver
recomputes the HMAC over the raw body it got, compares in constant time and refuses a timestamp older than its
tolerance (five minutes by default), so a captured delivery cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

SIGNATURE_HEADER = "Pejling-Signature"
SCHEME = "v1"
SECRET_PREFIX = "whsec_"  # noqa: S105 - the label in front of every secret, not a secret
DEFAULT_TOLERANCE_SECONDS = 300


def new_secret() -> str:
    """A fresh signing secret for an endpoint (shown to the tenant once)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``<timestamp>.<body>`` under ``secret``."""
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_header(secrets: str | list[str], timestamp: int, body: bytes) -> str:
    """The value of the ``Pejling-Signature`` header of a delivery sent at ``timestamp``: one ``v1`` entry per
    secret (two while an old secret is in its grace period after a rotation)."""
    signed = ",".join(f"{SCHEME}={signature(secret, timestamp, body)}" for secret in
                      ([secrets] if isinstance(secrets, str) else secrets))
    return f"t={timestamp},{signed}"


class SignatureMismatch(ValueError):
    """The header is missing, malformed, stale, or no signature in it matches the body."""


def verify(secret: str, header: str | None, body: bytes, *, tolerance: int = DEFAULT_TOLERANCE_SECONDS,
           now: float | None = None) -> int:
    """Check a ``Pejling-Signature`` header against the raw ``body``; returns its timestamp.

    Raises :class:`SignatureMismatch`. Every ``v1`` entry is tried (there may be more than one), in constant time.
    """
    if not header:
        raise SignatureMismatch("no signature header")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == SCHEME:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureMismatch("malformed signature header")
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise SignatureMismatch("timestamp outside the tolerance")
    expected = signature(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise SignatureMismatch("signature does not match")
    return timestamp

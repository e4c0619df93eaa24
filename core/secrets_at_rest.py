"""Secrets kept in the database, sealed: integration access tokens, OAuth/OIDC client secrets, webhook secrets.

:func:`seal` encrypts a secret with the newest key of ``settings.encryption_keys`` (Fernet: AES-128-CBC and
HMAC-SHA256, with a timestamp); :func:`unseal` opens it with any of the keys, so keys rotate without downtime: put a
new key first, then :func:`reseal` each stored value (``MultiFernet.rotate``). Without configured keys, one key is
derived from the app's ``secret_key`` with HKDF, so dev and test need no set-up.

Each sealed value is bound to a *purpose* (for example ``"shopify.access_token:<tenant id>"``): the purpose is
sealed with the secret and checked on opening, so a sealed value copied into another row or another tenant's
settings does not open there. A value that does not open raises :class:`SealedSecretError` and never logs the value.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pejling.core.settings import Settings, get_settings

#: Separates the purpose from the secret inside the sealed plaintext (never part of a purpose).
_SEPARATOR = b"\x00"


class SealedSecretError(ValueError):
    """A sealed value that no current key opens, or that was sealed for another purpose."""


def _derived_key(settings: Settings) -> bytes:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"pejling secrets at rest v1").derive(
        settings.secret_bytes()
    )
    return base64.urlsafe_b64encode(raw)


def _keys(settings: Settings) -> MultiFernet:
    configured = [key.get_secret_value().strip() for key in settings.encryption_keys if key.get_secret_value()]
    try:
        fernets = [Fernet(key) for key in configured] or [Fernet(_derived_key(settings))]
    except ValueError as exc:
        raise ValueError(
            "PEJLING_ENCRYPTION_KEYS: each key must be 32 url-safe base64-encoded bytes "
            "(make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
        ) from exc
    return MultiFernet(fernets)


def _purpose_bytes(purpose: str) -> bytes:
    if not purpose or "\x00" in purpose:
        raise ValueError("a sealed secret needs a purpose without NUL characters")
    return purpose.encode()


def seal(secret: str, *, purpose: str, settings: Settings | None = None) -> str:
    """``secret`` encrypted under the newest key, bound to ``purpose``; text safe for any column."""
    settings = settings or get_settings()
    plain = _purpose_bytes(purpose) + _SEPARATOR + secret.encode()
    return _keys(settings).encrypt(plain).decode("ascii")


def unseal(sealed: str, *, purpose: str, settings: Settings | None = None) -> str:
    """The secret of a sealed value; :class:`SealedSecretError` when no key opens it or the purpose differs."""
    settings = settings or get_settings()
    try:
        plain = _keys(settings).decrypt(sealed.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        raise SealedSecretError(f"a sealed secret for {purpose!r} does not open with the current keys") from None
    stored_purpose, _, secret = plain.partition(_SEPARATOR)
    if stored_purpose != _purpose_bytes(purpose):
        raise SealedSecretError(f"a sealed secret was not sealed for {purpose!r}")
    return secret.decode()


def reseal(sealed: str, *, settings: Settings | None = None) -> str:
    """The same sealed value re-encrypted under the newest key (for key rotation); the purpose is kept."""
    settings = settings or get_settings()
    try:
        return _keys(settings).rotate(sealed.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeEncodeError):
        raise SealedSecretError("a sealed secret does not open with the current keys") from None


def fingerprint(secret: str) -> str:
    """A short, non-reversible label of a secret for logs and the API ("…" and 8 hex digits), never the secret."""
    return "…" + hashlib.sha256(secret.encode()).hexdigest()[:8]

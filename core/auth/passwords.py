"""Password hashing with argon2id (argon2-cffi's RFC 9106 low-memory profile)."""

from __future__ import annotations

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError


def production_hasher() -> PasswordHasher:
    """argon2id with the RFC 9106 low-memory profile (64 MiB, 3 passes, 4 lanes)."""
    return PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)


_hasher = production_hasher()

MIN_LENGTH = 10
MAX_LENGTH = 256


class WeakPassword(ValueError):
    """The password does not meet the minimum rules."""


def check_strength(password: str) -> None:
    """Raise :class:`WeakPassword` with a readable reason when a new password is too weak."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Use at most {MAX_LENGTH} characters.")
    if len(set(password)) < 4:
        raise WeakPassword("Use more different characters.")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


#: A hash to verify against when the user does not exist, so both paths take the same time.
DUMMY_HASH = _hasher.hash("pejling-timing-equaliser")

"""Password hashing with argon2id (argon2-cffi's RFC 9106 low-memory profile), and the rules for new passwords.

A new password needs 10 to 256 characters, at least 4 different ones, and must not be common or easy to guess:
zxcvbn (Dropbox's estimator, its word lists of leaked passwords, names and words shipped in the package, nothing
fetched at run time) must rate it at least :data:`MIN_SCORE`, counting the person's own email, name and business
and the word Pejling as known words.
"""

from __future__ import annotations

from collections.abc import Iterable

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn


def production_hasher() -> PasswordHasher:
    """argon2id with the RFC 9106 low-memory profile (64 MiB, 3 passes, 4 lanes)."""
    return PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)


_hasher = production_hasher()

MIN_LENGTH = 10
MAX_LENGTH = 256


#: zxcvbn's score (0-4) a new password needs: 3 is "safely unguessable", about 10^8 guesses or more.
MIN_SCORE = 3
#: zxcvbn refuses longer input: only this many characters are rated (a longer password is at least as strong).
RATED_LENGTH = 72
#: Words of the product itself, known to every attacker of Pejling.
PRODUCT_WORDS = ("pejling",)

COMMON_PASSWORD = "common_password"  # noqa: S105 - an error code, not a secret
#: The refusal of a common or guessable password (the API answers it in the caller's language, as every message:
#: graphql/error_languages.py and its catalogs).
COMMON_PASSWORD_MESSAGE = (
    "This password is too common or too easy to guess. Choose a longer one, for example a few unrelated words."  # noqa: S105
)


class WeakPassword(ValueError):
    """The password does not meet the rules. ``code``: ``invalid`` (length, variety) or ``common_password``."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


def _known_words(context: Iterable[str]) -> list[str]:
    words: list[str] = list(PRODUCT_WORDS)
    for value in context:
        value = (value or "").strip().lower()
        if not value:
            continue
        words.append(value)
        if "@" in value:  # an email: its local part and the domain's first label too
            local, _, domain = value.partition("@")
            words.extend(part for part in (local, domain.split(".")[0]) if part)
        words.extend(part for part in value.replace("-", " ").replace(".", " ").split() if len(part) > 2)
    return words


def check_strength(password: str, context: Iterable[str] = ()) -> None:
    """Raise :class:`WeakPassword` with a readable reason when a new password is too weak.

    ``context``: the person's email, name, business name and the like, which a password must not lean on.
    """
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Use at most {MAX_LENGTH} characters.")
    if len(set(password)) < 4:
        raise WeakPassword("Use more different characters.")
    if zxcvbn(password[:RATED_LENGTH], user_inputs=_known_words(context))["score"] < MIN_SCORE:
        raise WeakPassword(COMMON_PASSWORD_MESSAGE, COMMON_PASSWORD)


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

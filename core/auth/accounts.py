"""Logging in and changing passwords.

An unknown email and a wrong password get the same answer, after the same work: an unknown email
is checked against :data:`~pejling.core.auth.passwords.DUMMY_HASH`. Every failure counts towards
login throttling (:mod:`pejling.core.auth.throttle`). A generated password past its expiry
(:mod:`pejling.core.auth.generated_passwords`) is refused as ``password_expired``, only after the password checked.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import UUID

from pejling.core.auth.generated_passwords import EXPIRED_MESSAGE, expired
from pejling.core.auth.models import Session
from pejling.core.auth.passwords import DUMMY_HASH, WeakPassword, check_strength, hash_password, needs_rehash
from pejling.core.auth.passwords import verify_password as _verify
from pejling.core.auth.sessions import end_all_sessions, start_session
from pejling.core.auth.sso.login import SSO_REQUIRED, sso_required
from pejling.core.auth.throttle import (
    Throttled,
    clear_login_failures,
    release_login_attempt,
    reserve_login_attempt,
    verifications,
)
from pejling.core.settings import Settings
from pejling.tenants.models import User

INVALID_CREDENTIALS = "Wrong email or password."


class LoginRefused(Exception):
    """A refused login. ``code`` is ``invalid_credentials``, ``throttled`` (then ``retry_after`` is set),
    ``sso_required`` (the password was right, but a tenant of the user only admits single sign-on) or
    ``password_expired`` (the password was right, but it is a generated one past its expiry: a reset is the way in).

    ``user_id`` is the account of the email when one exists, for the audit log only: never in the answer."""

    def __init__(self, code: str, message: str, retry_after: int | None = None, user_id: UUID | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after
        self.user_id = user_id


class PasswordChangeRefused(ValueError):
    """A refused password change; ``field`` names the offending input, ``code`` is ``invalid``,
    ``common_password`` or ``password_expired``."""

    def __init__(self, field: str, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code


async def verify_password(password_hash: str, password: str) -> bool:
    """argon2 verification off the event loop (it takes tens of milliseconds of CPU by design), a few at a time."""
    async with verifications.semaphore:
        return await asyncio.to_thread(_verify, password_hash, password)


async def authenticate(settings: Settings, email: str, password: str, address: str | None) -> User:
    """The active user with this email and password, or :class:`LoginRefused`.

    The attempt is reserved against the throttle before the password is checked, so concurrent guesses
    cannot overrun the limit, and only a few checks per account and per address run at once.
    """
    email = email.strip().lower()
    try:
        with verifications.slot(settings, email, address):
            reserved = await reserve_login_attempt(settings, email, address)
            user = await User.get_or_none(email=email) if email and len(email) <= 254 else None
            usable = user is not None and user.is_active
            hashed = user.password_hash if user is not None and usable else DUMMY_HASH
            valid = await verify_password(hashed, password[:1024])
    except Throttled as exc:
        raise LoginRefused("throttled", exc.message, exc.retry_after) from None
    if user is None or not usable or not valid:
        # The reservation stays as the failure.
        raise LoginRefused("invalid_credentials", INVALID_CREDENTIALS, user_id=user.id if user is not None else None)
    await release_login_attempt(reserved)
    await clear_login_failures(settings, email)
    if await sso_required(user.id):  # after the password check: nobody learns this without the password
        raise LoginRefused("sso_required", SSO_REQUIRED, user_id=user.id)
    if expired(user):
        raise LoginRefused("password_expired", EXPIRED_MESSAGE, user_id=user.id)
    user.last_login_at = datetime.now(UTC)
    fields = ["last_login_at"]
    if needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(hash_password, password)
        fields.append("password_hash")
    await user.save(update_fields=fields)
    return user


async def log_in(
    settings: Settings, email: str, password: str, *, address: str | None, user_agent: str = ""
) -> tuple[User, Session, str]:
    """Authenticate and open a session. Returns the user, the session and the secret for its cookie."""
    user = await authenticate(settings, email, password, address)
    from pejling.core.auth.two_step import has_two_step

    if await has_two_step(user.id):  # the code comes through complete_login (core/auth/two_step.py)
        raise LoginRefused("second_factor_required", "This account needs a code from its authenticator app.")
    session, secret = await start_session(settings, user.id, user_agent)
    return user, session, secret


async def set_password(user: User, new_password: str) -> None:
    """Store a new password the person chose (checked for strength, the user's email and name counting as known
    words). It is theirs: the mark of a generated password goes."""
    try:
        check_strength(new_password, (user.email, user.name))
    except WeakPassword as exc:
        raise PasswordChangeRefused("newPassword", str(exc), exc.code) from None
    user.password_hash = await asyncio.to_thread(hash_password, new_password)
    user.generated_password_expires_at = None
    await user.save(update_fields=["password_hash", "generated_password_expires_at"])


async def change_password(
    user_id: UUID, current_password: str, new_password: str, *, keep_session: UUID | None
) -> None:
    """Change a logged-in user password after checking the current one. Ends every other session of the user.

    The new password must differ from the current one (a generated password must really be replaced), and an
    expired generated password cannot be changed here: a password reset is the way.
    """
    user = await User.get(id=user_id)
    if not await verify_password(user.password_hash, current_password[:1024]):
        raise PasswordChangeRefused("currentPassword", "The current password is wrong.")
    if expired(user):
        raise PasswordChangeRefused("currentPassword", EXPIRED_MESSAGE, "password_expired")
    if new_password == current_password:
        raise PasswordChangeRefused("newPassword", "Choose a new password, not the one you have now.")
    await set_password(user, new_password)
    await end_all_sessions(user.id, keep=keep_session)

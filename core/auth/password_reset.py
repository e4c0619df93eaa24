"""Password reset by an emailed, single-use link.

Asking for a reset answers the same whether the email is known or not. The link carries a random
token; the database keeps its SHA-256. A token works once, within ``password_reset_max_age_seconds``;
asking again replaces older links. A successful reset logs the user out everywhere.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from urllib.parse import urlencode

from tortoise.transactions import in_transaction

from pejling.core.auth.accounts import PasswordChangeRefused, set_password
from pejling.core.auth.models import PasswordResetToken, secret_digest
from pejling.core.auth.sessions import end_all_sessions
from pejling.core.auth.throttle import clear_login_failures
from pejling.core.mail import build_mail, send_mail, send_mail_soon
from pejling.core.settings import Settings
from pejling.tenants.models import Tenant, User

RESET_PATH = "/reset-password"
#: At most this many reset mails per user within one ``password_reset_max_age_seconds`` (no mail bombing).
MAX_REQUESTS = 3
#: How long the set-password link in the welcome mail of a new member works.
WELCOME_MAX_AGE = timedelta(days=7)
INVALID_TOKEN = "This reset link is invalid or has expired. Ask for a new one."  # noqa: S105


class ResetRefused(ValueError):
    """A refused reset; ``field`` names the offending input (``token`` or ``newPassword``); ``code`` is ``invalid``
    or ``common_password``."""

    def __init__(self, field: str, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code


def reset_link(settings: Settings, token: str) -> str:
    """The mailed link: the token in the fragment (``#token=…``), which browsers send neither to the server nor in a
    ``Referer`` (ASVS V14.2.1); the portal page reads it there and posts it in the GraphQL body."""
    return f"{settings.base_url.rstrip('/')}{RESET_PATH}#{urlencode({'token': token})}"


async def _new_token(user: User, max_age: timedelta) -> str:
    """A fresh reset token for the user; older unused links stop working."""
    now = datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    async with in_transaction():
        # Older links are marked spent (so they still count towards MAX_REQUESTS).
        await PasswordResetToken.filter(user_id=user.id, used_at=None).update(used_at=now)
        await PasswordResetToken.create(token_hash=secret_digest(token), user_id=user.id, expires_at=now + max_age)
    return token


def _greeting(user: User) -> str:
    return f"Hello{' ' + user.name if user.name else ''},\n\n"


async def issue_password_reset(settings: Settings, email: str) -> EmailMessage | None:
    """Create a reset token for an active user and return the mail to send; None when nothing should be sent."""
    email = email.strip().lower()
    user = await User.get_or_none(email=email) if 0 < len(email) <= 254 else None
    if user is None or not user.is_active:
        return None
    max_age = timedelta(seconds=settings.password_reset_max_age_seconds)
    recent = await PasswordResetToken.filter(user_id=user.id, created_at__gt=datetime.now(UTC) - max_age).count()
    if recent >= MAX_REQUESTS:
        return None
    link = reset_link(settings, await _new_token(user, max_age))
    minutes = settings.password_reset_max_age_seconds // 60
    text = (
        f"{_greeting(user)}Someone (hopefully you) asked to reset the password of your Pejling account {user.email}.\n"
        f"Open this link within {minutes} minutes to choose a new password:\n\n{link}\n\n"
        "The link works once. If you did not ask for it, ignore this mail: your password stays as it is.\n"
    )
    return build_mail(settings, to=user.email, subject="Reset your Pejling password", text=text)


async def send_welcome(settings: Settings, user: User, tenant: Tenant, *, background: bool = True) -> None:
    """Invite a person just added to a tenant to choose a password (a reset link valid for :data:`WELCOME_MAX_AGE`)."""
    link = reset_link(settings, await _new_token(user, WELCOME_MAX_AGE))
    text = (
        f"{_greeting(user)}you now have access to {tenant.name} in Pejling, with the login {user.email}.\n"
        f"Choose your password within {WELCOME_MAX_AGE.days} days with this link (it works once):\n\n{link}\n\n"
        "If the link has expired, use \"Forgot password\" on the login page.\n"
    )
    message = build_mail(settings, to=user.email, subject=f"Welcome to {tenant.name} on Pejling", text=text)
    await _deliver(settings, message, background)


async def _deliver(settings: Settings, message: EmailMessage, background: bool) -> None:
    if background:
        send_mail_soon(settings, message)
    else:
        await send_mail(settings, message)


async def request_password_reset(settings: Settings, email: str, *, background: bool = True) -> None:
    """Send a reset link if the email belongs to an active user. Silent either way.

    With ``background`` the mail is sent after the caller answers, so timing does not tell whether
    the email is known; failures are logged.
    """
    message = await issue_password_reset(settings, email)
    if message is not None:
        await _deliver(settings, message, background)


async def reset_password(settings: Settings, token: str, new_password: str) -> User:
    """Set a new password with a reset token. The token is spent and every session of the user ends."""
    now = datetime.now(UTC)
    token = token.strip()
    reset = await PasswordResetToken.get_or_none(token_hash=secret_digest(token)) if 0 < len(token) <= 100 else None
    if reset is None or reset.used_at is not None or reset.expires_at <= now:
        raise ResetRefused("token", INVALID_TOKEN)
    user = await User.get(id=reset.user_id)
    if not user.is_active:
        raise ResetRefused("token", INVALID_TOKEN)
    async with in_transaction():
        # Spend the token first, atomically: of two concurrent uses only one updates the row.
        spent = await PasswordResetToken.filter(id=reset.id, used_at=None).update(used_at=now)
        if not spent:
            raise ResetRefused("token", INVALID_TOKEN)
        try:
            await set_password(user, new_password)
        except PasswordChangeRefused as exc:
            raise ResetRefused("newPassword", exc.message, exc.code) from None
        await PasswordResetToken.filter(user_id=user.id, used_at=None).update(used_at=now)
        await end_all_sessions(user.id)
    await clear_login_failures(settings, user.email)
    return user


async def purge_old_reset_tokens(now: datetime | None = None) -> int:
    """Delete reset tokens past their expiry (for a periodic clean-up job)."""
    return await PasswordResetToken.filter(expires_at__lte=now or datetime.now(UTC)).delete()

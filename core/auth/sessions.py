"""Login sessions: a random secret in the session cookie, its SHA-256 in the database.

The cookie is HttpOnly, SameSite=Lax, Path=/, no Domain. When the browser talks HTTPS to us it is Secure and named
``__Host-pejling_session`` (the browser then refuses it from anyone who could not set a Secure, host-only cookie, such
as a sibling subdomain or a plain-HTTP man in the middle); over plain HTTP (local development only) it is
``pejling_session``. The CSRF cookie follows the same rule (:func:`pejling.core.auth.csrf.csrf_cookie_name`). Over
HTTPS the plain names are never read.
Logging out deletes the row, so a copied cookie stops working at once.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from pejling.core.auth.csrf import csrf_cookie_name, csrf_token_for
from pejling.core.auth.models import Session, secret_digest
from pejling.core.settings import Settings

SESSION_COOKIE = "pejling_session"
"""The session cookie's name over plain HTTP (local development)."""
SECURE_SESSION_COOKIE = "__Host-pejling_session"
"""Its name over HTTPS."""
#: ``last_seen_at`` is written at most this often, so a busy session does not write on every request.
TOUCH_INTERVAL = timedelta(minutes=1)
USER_AGENT_LENGTH = 120
#: A person has at most this many live sessions (browsers); a new login beyond it ends the oldest ones.
MAX_SESSIONS_PER_PERSON = 20


def session_cookie_name(secure: bool) -> str:
    """The session cookie's name: ``__Host-pejling_session`` over HTTPS, ``pejling_session`` over plain HTTP."""
    return SECURE_SESSION_COOKIE if secure else SESSION_COOKIE


async def start_session(settings: Settings, user_id: UUID, user_agent: str = "", *, via_sso: bool = False
                        ) -> tuple[Session, str]:
    """Create a session for the user. Returns the row and the secret for the cookie (never stored).

    ``via_sso`` marks a session opened by single sign-on (a tenant's two-step rule does not apply to it).

    At most :data:`MAX_SESSIONS_PER_PERSON` sessions stay: the ones started longest ago end.
    """
    secret = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    session = await Session.create(
        token_hash=secret_digest(secret),
        user_id=user_id,
        expires_at=now + timedelta(seconds=settings.session_max_age_seconds),
        last_seen_at=now,
        user_agent=user_agent[:USER_AGENT_LENGTH],
        via_sso=via_sso,
    )
    await _end_sessions_over_the_limit(user_id, session.id)
    return session, secret


async def _end_sessions_over_the_limit(user_id: UUID, newest: UUID) -> None:
    # The most recently started ones stay, and the new session always does.
    kept = await (Session.filter(user_id=user_id).exclude(id=newest).order_by("-created_at", "-id")
                  .limit(MAX_SESSIONS_PER_PERSON - 1).values_list("id", flat=True))
    await Session.filter(user_id=user_id).exclude(id__in=[newest, *kept]).delete()


async def session_from_cookie(secret: str, now: datetime | None = None, idle: timedelta | None = None
                              ) -> Session | None:
    """The live session of an active user for this cookie value, or None. Refreshes ``last_seen_at`` lazily.

    A session unused for longer than ``idle`` ends here (its row deleted): the next request is anonymous.
    """
    if not secret or len(secret) > 100:
        return None
    now = now or datetime.now(UTC)
    session = await Session.get_or_none(token_hash=secret_digest(secret), expires_at__gt=now).select_related("user")
    if session is None or not session.user.is_active:
        return None
    if idle is not None and now - session.last_seen_at > idle:
        await end_session(session.id)
        return None
    if now - session.last_seen_at >= TOUCH_INTERVAL:
        await Session.filter(id=session.id).update(last_seen_at=now)
        session.last_seen_at = now
    return session


async def end_session(session_id: UUID) -> None:
    """Log one session out (server side: the cookie is worthless afterwards)."""
    await Session.filter(id=session_id).delete()


async def end_all_sessions(user_id: UUID, keep: UUID | None = None) -> int:
    """Log the user out everywhere (except the session ``keep``). Returns how many sessions ended."""
    query = Session.filter(user_id=user_id)
    if keep is not None:
        query = query.exclude(id=keep)
    return await query.delete()


async def purge_expired_sessions(now: datetime | None = None) -> int:
    """Delete expired sessions (for a periodic clean-up job)."""
    return await Session.filter(expires_at__lte=now or datetime.now(UTC)).delete()


def set_session_cookies(
    response: Any, settings: Settings, session: Session, secret: str, *, secure: bool
) -> None:
    """Put the session cookie and its readable CSRF cookie on a Starlette response."""
    max_age = settings.session_max_age_seconds
    response.set_cookie(
        session_cookie_name(secure), secret, max_age=max_age, path="/", secure=secure, httponly=True, samesite="lax"
    )
    response.set_cookie(
        csrf_cookie_name(secure), csrf_token_for(settings, session.id), max_age=max_age, path="/", secure=secure,
        httponly=False, samesite="lax",
    )


def clear_session_cookies(response: Any, *, secure: bool) -> None:
    """Remove both cookies from the browser."""
    response.delete_cookie(session_cookie_name(secure), path="/", secure=secure, httponly=True, samesite="lax")
    response.delete_cookie(csrf_cookie_name(secure), path="/", secure=secure, httponly=False, samesite="lax")

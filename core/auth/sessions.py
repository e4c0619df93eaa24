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
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from uuid import UUID

from pejling.core.auth.csrf import csrf_cookie_name, csrf_token_for
from pejling.core.auth.models import Session, secret_digest
from pejling.core.database import prepare_sql
from pejling.core.settings import Settings
from pejling.tenants.models import Membership, Role, Tenant
from pejling.tenants.scope import all_tenants

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


@dataclass(frozen=True, slots=True)
class SessionMember:
    """A membership of the session's person and its tenant, read by the session's own statement."""

    tenant: Tenant
    role: Role
    store_ids: frozenset[UUID] | None
    """For a store manager: the only stores they may see. ``None`` means every store."""
    has_two_step: bool | None
    """Whether the person has a confirmed authenticator: asked only when the tenant requires two-step login and the
    session was opened by a password (else ``None``)."""


@dataclass(frozen=True, slots=True)
class LiveSession:
    """A verified session as the request path needs it (no ORM model): what :func:`session_from_cookie` found."""

    id: UUID
    user_id: UUID
    via_sso: bool
    last_seen_at: datetime
    tenant_slug: str | None = None
    """The tenant the memberships were read for (``X-Pejling-Tenant``), or None for the person's first two."""
    members: tuple[SessionMember, ...] | None = None
    """The person's membership in ``tenant_slug`` (none or one), else their first two by age; None: not read."""
    generated_password: bool = False
    """Whether the person's password is still one the system generated (:mod:`.generated_passwords`)."""


async def session_from_cookie(secret: str, now: datetime | None = None, idle: timedelta | None = None, *,
                              memberships: bool = False, tenant_slug: str | None = None) -> LiveSession | None:
    """The live session of an active user for this cookie value, or None. Refreshes ``last_seen_at`` lazily.

    A session unused for longer than ``idle`` ends here (its row deleted): the next request is anonymous.

    One statement reads the session, checks its person is active and, with ``memberships``, reads the person's
    membership in the tenant of ``tenant_slug`` (else their first two) with the tenant, and whether they have two-step
    login when that tenant requires it (:class:`SessionMember`). Nothing is kept between requests: a logout, an ended
    session, a deactivated person or a removed membership shows on the very next request, in every process.
    """
    if not secret or len(secret) > 100:
        return None
    now = now or datetime.now(UTC)
    client = Session._meta.db
    values: list[Any] = [tenant_slug] if memberships and tenant_slug else []
    sql, values = prepare_sql(client, _statement(memberships, bool(values)), [*values, secret_digest(secret), now])
    if memberships:
        with all_tenants():  # the person's memberships across tenants (a tenant-owned table, row-level security)
            rows = await client.execute_query_dict(sql, values)
    else:
        rows = await client.execute_query_dict(sql, values)
    if not rows:
        return None
    session = _live_session(rows, memberships, tenant_slug)
    if idle is not None and now - session.last_seen_at > idle:
        await end_session(session.id)
        return None
    if now - session.last_seen_at >= TOUCH_INTERVAL:
        await Session.filter(id=session.id).update(last_seen_at=now)
        session = replace(session, last_seen_at=now)
    return session


#: The columns of the session the request path reads.
_SESSION_COLUMNS = ("id", "user_id", "last_seen_at", "via_sso")


@lru_cache(maxsize=4)
def _statement(memberships: bool, by_slug: bool) -> str:
    """The session lookup (``?`` placeholders: the slug when ``by_slug``, the secret's digest, the time)."""
    columns = [f"s.{name} AS s_{name}" for name in _SESSION_COLUMNS]
    columns.append("u.generated_password_expires_at IS NOT NULL AS u_generated")
    joins = ""
    order = ""
    if memberships:
        columns += ["m.role AS m_role", "m.store_ids AS m_store_ids"]
        columns += [f't."{name}" AS "t_{name}"' for name in Tenant._meta.db_fields]
        # Only asked where the answer matters: a password session in a tenant that requires two-step login.
        columns.append("CASE WHEN t.require_two_step AND NOT s.via_sso THEN EXISTS (SELECT 1 FROM "
                       "auth_totp_credential c WHERE c.user_id = s.user_id AND c.confirmed_at IS NOT NULL) END "
                       "AS m_two_step")
        slug = " AND t.slug = ?" if by_slug else ""
        joins = f" LEFT JOIN (membership m JOIN tenant t ON t.id = m.tenant_id{slug}) ON m.user_id = s.user_id"
        order = " ORDER BY m.created_at, m.id LIMIT 2"
    # Only our own column names are put into the text; every value is bound.
    return (f"SELECT {', '.join(columns)} FROM auth_session s JOIN \"user\" u ON u.id = s.user_id{joins} "  # noqa: S608
            f"WHERE s.token_hash = ? AND s.expires_at > ? AND u.is_active{order}")


def _live_session(rows: list[dict[str, Any]], memberships: bool, tenant_slug: str | None) -> LiveSession:
    fields = Session._meta.fields_map
    first = rows[0]
    members: tuple[SessionMember, ...] | None = None
    if memberships:
        members = tuple(_member(row) for row in rows if row["m_role"] is not None)
    return LiveSession(
        id=_uuid(first["s_id"]),
        user_id=_uuid(first["s_user_id"]),
        via_sso=bool(first["s_via_sso"]),
        last_seen_at=fields["last_seen_at"].to_python_value(first["s_last_seen_at"]),
        tenant_slug=tenant_slug if memberships else None,
        members=members,
        generated_password=bool(first["u_generated"]),
    )


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _member(row: dict[str, Any]) -> SessionMember:
    tenant = Tenant._init_from_db(**{name: row[f"t_{name}"] for name in Tenant._meta.db_fields})
    fields = Membership._meta.fields_map
    role = Role(fields["role"].to_python_value(row["m_role"]))
    stores = (frozenset(_uuid(s) for s in fields["store_ids"].to_python_value(row["m_store_ids"]))
              if role is Role.STORE_MANAGER else None)
    two_step = row["m_two_step"]
    return SessionMember(tenant=tenant, role=role, store_ids=stores,
                         has_two_step=None if two_step is None else bool(two_step))


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

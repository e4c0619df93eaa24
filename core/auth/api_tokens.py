"""API tokens for integrators: ``Authorization: Bearer pjl_…``.

A token belongs to one tenant and acts with the rights of the member who created it, narrowed by
its scopes (``read``, ``write``; write includes read); it stops working when that member leaves.
The secret is shown once, at creation; the database keeps its SHA-256 and a short prefix to
recognise it in lists. Tokens may expire and can be revoked; ``last_used_at`` is refreshed at most
once a minute.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from uuid import UUID

from pejling.core.auth.actor import READ, WRITE, Actor
from pejling.core.auth.models import ApiToken, secret_digest
from pejling.core.stored_text import has_unstorable
from pejling.tenants.models import Membership
from pejling.tenants.scope import all_tenants, current_tenant_id

TOKEN_PREFIX = "pjl_"  # noqa: S105 - a public marker, not a secret
TOKEN_PATTERN = re.compile(r"^pjl_[A-Za-z0-9_-]{43}$")
DISPLAY_LENGTH = 12
SCOPES = (READ, WRITE)
NAME_LENGTH = 100
#: ``last_used_at`` is written at most this often per token.
TOUCH_INTERVAL = timedelta(minutes=1)


class ApiTokenRefused(ValueError):
    """Token input that cannot be accepted; ``field`` names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def normalise_scopes(scopes: Iterable[str]) -> list[str]:
    """Known scopes only, write implying read, in a stable order."""
    wanted = {scope.strip().lower() for scope in scopes}
    unknown = wanted - set(SCOPES)
    if unknown:
        raise ApiTokenRefused("scopes", f"Unknown scope {sorted(unknown)[0]!r}; use read or write.")
    if not wanted:
        raise ApiTokenRefused("scopes", "Give the token at least the read scope.")
    if WRITE in wanted:
        wanted.add(READ)
    return [scope for scope in SCOPES if scope in wanted]


async def create_api_token(
    *, name: str, scopes: Iterable[str], created_by: UUID, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token in the current tenant scope. Returns the row and the secret, which is never shown again."""
    tenant_id = current_tenant_id()
    name = name.strip()
    if not 1 <= len(name) <= NAME_LENGTH:
        raise ApiTokenRefused("name", f"Name the token in 1–{NAME_LENGTH} characters.")
    if has_unstorable(name):
        raise ApiTokenRefused("name", "Name the token without control characters.")
    clean_scopes = normalise_scopes(scopes)
    if expires_at is not None and expires_at <= datetime.now(UTC):
        raise ApiTokenRefused("expiresAt", "Choose an expiry in the future.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = await ApiToken.create(
        tenant_id=tenant_id, name=name, prefix=secret[:DISPLAY_LENGTH], secret_hash=secret_digest(secret),
        scopes=clean_scopes, created_by_id=created_by, expires_at=expires_at,
    )
    return token, secret


async def revoke_api_token(token_id: UUID) -> ApiToken | None:
    """Revoke a token of the current tenant (idempotent). None when the tenant has no such token."""
    token = await ApiToken.get_or_none(id=token_id)
    if token is None:
        return None
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
        await token.save(update_fields=["revoked_at"])
    return token


def bearer_secret(authorization: str) -> str | None:
    """The token of a well-formed ``Bearer pjl_…`` header value, else None."""
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not TOKEN_PATTERN.match(value):
        return None
    return value


async def actor_for_token(secret: str, now: datetime | None = None) -> Actor | None:
    """The actor of a live token (known, not expired, not revoked, creator active and still a member), else None."""
    now = now or datetime.now(UTC)
    with all_tenants():
        token = await ApiToken.get_or_none(secret_hash=secret_digest(secret)).select_related("created_by")
        if token is None or token.revoked_at is not None or not token.created_by.is_active:
            return None
        if token.expires_at is not None and token.expires_at <= now:
            return None
        if not await Membership.exists(tenant_id=token.tenant_id, user_id=token.created_by_id):
            return None  # the member who made it has left the tenant
        if token.last_used_at is None or now - token.last_used_at >= TOUCH_INTERVAL:
            await ApiToken.filter(id=token.id).update(last_used_at=now)
    return Actor(
        user_id=token.created_by_id, token_id=token.id, token_tenant_id=token.tenant_id,
        scopes=frozenset(token.scopes),
    )

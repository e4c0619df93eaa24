"""GraphQL types of the accounts domain: Me, AccountMembership, ApiToken, and two-step login's status and challenge."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import strawberry
from strawberry import relay

from pejling.core.auth import models
from pejling.core.auth.actor import READ, WRITE
from pejling.core.auth.csrf import csrf_token_for
from pejling.core.auth.generated_passwords import must_change
from pejling.core.auth.two_step import has_two_step, recovery_codes_left
from pejling.graphql.accounts.sessions import LoginSession, own_sessions
from pejling.graphql.context import Info
from pejling.graphql.relay_ids import encode_id
from pejling.graphql.tenants.types import Role, TenantType
from pejling.tenants.models import Membership, Tenant, User
from pejling.tenants.models import Role as RoleEnum
from pejling.tenants.scope import all_tenants


@strawberry.enum(name="ApiTokenScope", description="What an API token may do. WRITE includes READ.")
class ApiTokenScope(enum.Enum):
    READ = READ
    WRITE = WRITE


@strawberry.type(description="A tenant you are a member of, and your role there.")
class AccountMembership:
    tenant: TenantType
    role: Role


@strawberry.type(description="The second step of a login: send the challenge with a code to completeLogin.")
class SecondFactorChallenge:
    challenge: str = strawberry.field(description="Signed proof that the password was right, for completeLogin.")
    expires_at: datetime = strawberry.field(description="After this, log in again with the password.")


@strawberry.type(description="Your two-step login: a code from an authenticator app after the password.")
class TwoStepStatus:
    enabled: bool
    recovery_codes_left: int = strawberry.field(description="Unused recovery codes (each works once).")


@strawberry.type(name="Me", description="The person behind this request (for an API token: the member who made it).")
class Me:
    id: strawberry.ID
    email: str
    name: str
    via_api_token: bool = strawberry.field(description="True when this request is authenticated by an API token.")
    csrf_token: str | None = strawberry.field(
        description="For a logged-in browser: send it back in the X-CSRF-Token header with every mutation. "
        "Null for API tokens, which need none."
    )
    password_change_required: bool = strawberry.field(
        default=False, description="True when this browser logged in with a password the system generated: only me, "
        "changePassword and logout work (other operations: PASSWORD_CHANGE_REQUIRED) until you choose your own."
    )
    user_id: strawberry.Private[UUID]

    @strawberry.field(description="Every tenant you are a member of (the X-Pejling-Tenant header chooses one).")
    async def memberships(self, info: Info) -> list[AccountMembership]:
        if info.context.actor.token_id is not None:
            tenant = info.context.tenant
            role = info.context.actor.role
            if tenant is None or role is None:
                return []
            return [AccountMembership(tenant=TenantType.from_model(tenant), role=RoleEnum(role))]
        with all_tenants():
            memberships = await Membership.filter(user_id=self.user_id).order_by("created_at")
            tenants = {t.id: t for t in await Tenant.filter(id__in=[m.tenant_id for m in memberships])}
        return [
            AccountMembership(tenant=TenantType.from_model(tenants[m.tenant_id]), role=RoleEnum(m.role))
            for m in memberships
            if m.tenant_id in tenants
        ]

    @strawberry.field(description="Your logged-in browsers, newest first, to end any of them with endSession "
                      "(empty when this request uses an API token).")
    async def sessions(self, info: Info) -> list[LoginSession]:
        return await own_sessions(info, self.user_id)

    @strawberry.field(description="Your two-step login (a code from an authenticator app after the password).")
    async def two_step(self, info: Info) -> TwoStepStatus:
        enabled = await has_two_step(self.user_id)
        return TwoStepStatus(enabled=enabled, recovery_codes_left=await recovery_codes_left(self.user_id) if enabled
                             else 0)

    @classmethod
    def of(cls, info: Info, user: User, *, session_id: UUID | None, via_token: bool, via_sso: bool = False) -> Me:
        """``session_id``: the browser session this answer is for (None for an API token); ``via_sso``: it was
        opened by single sign-on (then the generated-password rule does not hold for it)."""
        csrf = csrf_token_for(info.context.settings, session_id) if session_id is not None else None
        return cls(
            id=strawberry.ID(encode_id("User", user.id)), email=user.email, name=user.name, via_api_token=via_token,
            csrf_token=csrf, user_id=user.id,
            password_change_required=session_id is not None and not via_sso and must_change(user),
        )


@strawberry.type(name="ApiToken", description="An API token of this tenant. The secret is shown only when created.")
class ApiTokenNode(relay.Node):
    id: relay.NodeID[str]
    name: str
    prefix: str = strawberry.field(description="The first characters of the token, to recognise it.")
    scopes: list[ApiTokenScope]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None = strawberry.field(description="Updated at most once a minute.")
    created_by_id: strawberry.Private[UUID]

    @strawberry.field(description="False once revoked or expired.")
    def active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > datetime.now(UTC))

    @strawberry.field(description="Email of the member who made it (the token acts with their rights).")
    async def created_by(self, info: Info) -> str | None:
        user = await info.context.loaders.user.load(self.created_by_id)
        return user.email if user else None

    @classmethod
    def from_model(cls, token: models.ApiToken) -> ApiTokenNode:
        return cls(
            id=str(token.id), name=token.name, prefix=token.prefix,
            scopes=[ApiTokenScope(scope) for scope in token.scopes],
            created_at=token.created_at, expires_at=token.expires_at, revoked_at=token.revoked_at,
            last_used_at=token.last_used_at, created_by_id=token.created_by_id,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        node_ids = list(node_ids)
        if info.context.tenant is None or not info.context.actor.is_admin:
            return [None for _ in node_ids]
        wanted = [_uuid(n) for n in node_ids]
        found = {str(t.id): t for t in await models.ApiToken.filter(id__in=[w for w in wanted if w])}
        return [cls.from_model(found[n]) if n in found else None for n in node_ids]


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None

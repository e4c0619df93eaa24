"""Who am I, and the tenant API tokens."""

from __future__ import annotations

import strawberry
from strawberry import relay

from pejling.core.auth.models import ApiToken
from pejling.graphql.accounts.types import ApiTokenNode, Me
from pejling.graphql.context import Info
from pejling.graphql.errors import ApiError
from pejling.graphql.permissions import require_tenant
from pejling.tenants.models import User


@strawberry.type
class AccountQuery:
    @strawberry.field(description="The person behind this request; null when nobody is logged in.")
    async def me(self, info: Info) -> Me | None:
        actor = info.context.actor
        if actor.user_id is None:
            return None
        user = await User.get_or_none(id=actor.user_id)
        if user is None:
            return None
        return Me.of(info, user, session_id=actor.session_id, via_token=actor.token_id is not None,
                     via_sso=actor.via_sso)

    @relay.connection(
        relay.ListConnection[ApiTokenNode], description="API tokens of the tenant, newest first (owners and admins)."
    )
    async def api_tokens(self, info: Info) -> list[ApiTokenNode]:
        _, actor = require_tenant(info)
        if not actor.is_admin:
            raise ApiError("Only owners and admins can see API tokens.", "FORBIDDEN")
        return [ApiTokenNode.from_model(token) for token in await ApiToken.all().order_by("-created_at")]

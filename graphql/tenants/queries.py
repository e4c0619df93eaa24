"""Read the tenant, its stores (with zones) and its members."""

from __future__ import annotations

import strawberry
from strawberry import relay

from pejling.graphql.context import Info
from pejling.graphql.errors import ApiError
from pejling.graphql.permissions import require_tenant
from pejling.graphql.relay_ids import decode_id
from pejling.graphql.tenants.types import InvitationNode, MemberNode, StoreNode, TenantType, visible_store_ids
from pejling.tenants import models
from pejling.tenants.invitations import list_invitations


async def visible_stores(info: Info) -> list[models.Store]:
    return list(await models.stores_visible_to(visible_store_ids(info)).order_by("name"))


@strawberry.type
class TenantQuery:
    @strawberry.field(description="The tenant this request works in. Null, with the error TENANT_REQUIRED, for a "
                      "person in several tenants who sent no X-Pejling-Tenant (me.memberships lists them).")
    async def tenant(self, info: Info) -> TenantType | None:
        tenant, _ = require_tenant(info)
        return TenantType.from_model(tenant)

    @relay.connection(relay.ListConnection[StoreNode], description="The stores you may see, by name.")
    async def stores(self, info: Info) -> list[StoreNode]:
        require_tenant(info)
        return [StoreNode.from_model(store) for store in await visible_stores(info)]

    @strawberry.field(description="One store by its global id; null when it does not exist or is not yours.")
    async def store(self, info: Info, id: strawberry.ID) -> StoreNode | None:
        require_tenant(info)
        store_id = decode_id(id, "Store")
        if store_id is None:
            return None
        store = await models.stores_visible_to(visible_store_ids(info)).get_or_none(id=store_id)
        return StoreNode.from_model(store) if store else None

    @relay.connection(relay.ListConnection[MemberNode], description="Members of the tenant (owners and admins).")
    async def members(self, info: Info) -> list[MemberNode]:
        _, actor = require_tenant(info)
        if not actor.is_admin:
            raise ApiError("Only owners and admins can list members.", "FORBIDDEN")
        memberships = await models.Membership.all().order_by("created_at")
        users = {u.id: u for u in await models.User.filter(id__in=[m.user_id for m in memberships])}
        return [MemberNode.from_model(m, users[m.user_id]) for m in memberships if m.user_id in users]

    @relay.connection(relay.ListConnection[InvitationNode],
                      description="Invitations not yet accepted or revoked (pending and expired), newest first "
                      "(owners and admins).")
    async def invitations(self, info: Info) -> list[InvitationNode]:
        _, actor = require_tenant(info)
        if not actor.is_admin:
            raise ApiError("Only owners and admins can list invitations.", "FORBIDDEN")
        return [InvitationNode.from_model(i) for i in await list_invitations()]

"""Read the tenant, its stores (with zones) and its members."""

from __future__ import annotations

import strawberry
from strawberry import relay

from pejling.graphql.context import Info
from pejling.graphql.errors import ApiError
from pejling.graphql.permissions import require_tenant
from pejling.graphql.relay_ids import decode_id
from pejling.graphql.tenants.types import MemberNode, StoreNode, TenantType, visible_store_ids
from pejling.tenants import models


async def visible_stores(info: Info) -> list[models.Store]:
    query = models.Store.all().order_by("name")
    allowed = visible_store_ids(info)
    if allowed is not None:
        query = query.filter(id__in=list(allowed))
    return list(await query)


@strawberry.type
class TenantQuery:
    @strawberry.field(description="The tenant this request works in.")
    async def tenant(self, info: Info) -> TenantType:
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
        allowed = visible_store_ids(info)
        if allowed is not None and store_id not in allowed:
            return None
        store = await models.Store.get_or_none(id=store_id)
        return StoreNode.from_model(store) if store else None

    @relay.connection(relay.ListConnection[MemberNode], description="Members of the tenant (owners and admins).")
    async def members(self, info: Info) -> list[MemberNode]:
        _, actor = require_tenant(info)
        if not actor.is_admin:
            raise ApiError("Only owners and admins can list members.", "FORBIDDEN")
        memberships = await models.Membership.all().order_by("created_at")
        users = {u.id: u for u in await models.User.filter(id__in=[m.user_id for m in memberships])}
        return [MemberNode.from_model(m, users[m.user_id]) for m in memberships if m.user_id in users]

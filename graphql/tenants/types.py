"""GraphQL types of the tenants domain: Tenant, Store, Zone, Member."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

import strawberry
from strawberry import relay

from pejling.graphql.context import Info
from pejling.graphql.relay_ids import encode_id
from pejling.tenants import models
from pejling.tenants.models import Role as RoleEnum

# strawberry.enum registers the model enum in place; the alias keeps it usable as an annotation.
strawberry.enum(RoleEnum, name="Role", description="What a member may do in a tenant.")
Role = RoleEnum


def visible_store_ids(info: Info) -> frozenset[UUID] | None:
    """The stores this actor may see (a store manager's own), or None for every store."""
    return info.context.actor.store_ids


@strawberry.type(name="Tenant", description="The retailer you are working in.")
class TenantType:
    id: strawberry.ID
    name: str
    slug: str
    default_language: str
    brand_colour: str = strawberry.field(description="Colour of buttons on the shopper pages (contrast is kept AA).")
    logo_url: str | None = strawberry.field(description="Where the shopper pages load the logo from; null: none.")

    @classmethod
    def from_model(cls, tenant: models.Tenant) -> TenantType:
        logo = f"/s/{tenant.slug}/logo?v={tenant.logo_version}" if tenant.logo_type else None
        return cls(id=strawberry.ID(encode_id("Tenant", tenant.id)), name=tenant.name, slug=tenant.slug,
                   default_language=tenant.default_language, brand_colour=tenant.brand_colour, logo_url=logo)


@strawberry.type(name="Zone", description="A place inside a store: entrance, checkout, fitting room…")
class ZoneNode(relay.Node):
    id: relay.NodeID[str]
    name: str
    kind: str
    store_id: strawberry.Private[UUID]

    @strawberry.field
    async def store(self, info: Info) -> StoreNode | None:
        store = await info.context.loaders.store.load(self.store_id)
        return StoreNode.from_model(store) if store else None

    @classmethod
    def from_model(cls, zone: models.Zone) -> ZoneNode:
        return cls(id=str(zone.id), name=zone.name, kind=zone.kind, store_id=zone.store_id)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        ids = _uuids(node_ids)
        found = {str(z.id): z for z in await models.Zone.filter(id__in=[i for i in ids if i])}
        allowed = visible_store_ids(info)
        return [
            cls.from_model(found[n]) if n in found and (allowed is None or found[n].store_id in allowed) else None
            for n in node_ids
        ]


@strawberry.type(name="Store", description="A physical store.")
class StoreNode(relay.Node):
    id: relay.NodeID[str]
    name: str
    slug: str
    address: str
    timezone: str
    default_language: str

    @strawberry.field
    async def zones(self, info: Info) -> list[ZoneNode]:
        zones = await info.context.loaders.zones_by_store.load(UUID(self.id))
        return [ZoneNode.from_model(zone) for zone in zones]

    @classmethod
    def from_model(cls, store: models.Store) -> StoreNode:
        return cls(id=str(store.id), name=store.name, slug=store.slug, address=store.address,
                   timezone=store.timezone, default_language=store.default_language)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        ids = _uuids(node_ids)
        allowed = visible_store_ids(info)
        found = {str(s.id): s for s in await models.Store.filter(id__in=[i for i in ids if i])
                 if allowed is None or s.id in allowed}
        return [cls.from_model(found[n]) if n in found else None for n in node_ids]


@strawberry.type(name="Member", description="A person with a role in this tenant.")
class MemberNode(relay.Node):
    id: relay.NodeID[str]
    email: str
    name: str
    role: Role
    store_ids: strawberry.Private[list[str]]

    @strawberry.field(description="For a store manager: the stores they may see. Empty for other roles (all stores).")
    async def stores(self, info: Info) -> list[StoreNode]:
        stores = [await info.context.loaders.store.load(UUID(s)) for s in self.store_ids]
        return [StoreNode.from_model(s) for s in stores if s is not None]

    @classmethod
    def from_model(cls, membership: models.Membership, user: models.User) -> MemberNode:
        return cls(id=str(membership.id), email=user.email, name=user.name, role=RoleEnum(membership.role),
                   store_ids=list(membership.store_ids))

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        if not info.context.actor.is_admin:
            return [None for _ in node_ids]
        ids = _uuids(node_ids)
        rows = {str(m.id): m for m in await models.Membership.filter(id__in=[i for i in ids if i])}
        result: list[Any] = []
        for n in node_ids:
            membership = rows.get(n)
            user = await info.context.loaders.user.load(membership.user_id) if membership else None
            result.append(cls.from_model(membership, user) if membership and user else None)
        return result


def _uuids(values: Iterable[str]) -> list[UUID | None]:
    result: list[UUID | None] = []
    for value in values:
        try:
            result.append(UUID(str(value)))
        except ValueError:
            result.append(None)
    return result

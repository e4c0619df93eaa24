"""GraphQL types of the tenants domain: Tenant, Store, Zone, Member, Invitation."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from pejling.graphql.context import Info
from pejling.graphql.relay_ids import encode_id
from pejling.tenants import models
from pejling.tenants.invitations import InvitationStatus as InvitationStatusEnum
from pejling.tenants.invitations import status_of
from pejling.tenants.models import Role as RoleEnum

# strawberry.enum registers the model enum in place; the alias keeps it usable as an annotation.
strawberry.enum(RoleEnum, name="Role", description="What a member may do in a tenant.")
Role = RoleEnum
strawberry.enum(InvitationStatusEnum, name="InvitationStatus", description="Where an invitation is.")
InvitationStatus = InvitationStatusEnum


def visible_store_ids(info: Info) -> frozenset[UUID] | None:
    """The stores this actor may see (a store manager's own), or None for every store."""
    return info.context.actor.store_ids


class VisibleStores:
    """Per-request loaders of stores and zones that only ever return what the actor may see.

    Built on :func:`pejling.tenants.models.stores_visible_to`: a store manager gets ``None`` for any other
    store and no zones of it, whichever field asks (a rule's stores, a member's stores, a response's zone).
    """

    def __init__(self, allowed: frozenset[UUID] | None) -> None:
        self.allowed = allowed
        self.store: DataLoader[UUID, models.Store | None] = DataLoader(self._stores)
        self.zone: DataLoader[UUID, models.Zone | None] = DataLoader(self._zones)
        self.zones_by_store: DataLoader[UUID, list[models.Zone]] = DataLoader(self._zones_by_store)

    async def _stores(self, ids: Sequence[UUID]) -> list[models.Store | None]:
        found = {s.id: s for s in await models.stores_visible_to(self.allowed).filter(id__in=list(ids))}
        return [found.get(i) for i in ids]

    async def _zones(self, ids: Sequence[UUID]) -> list[models.Zone | None]:
        found = {z.id: z for z in await models.zones_visible_to(self.allowed).filter(id__in=list(ids))}
        return [found.get(i) for i in ids]

    async def _zones_by_store(self, store_ids: Sequence[UUID]) -> list[list[models.Zone]]:
        grouped: dict[UUID, list[models.Zone]] = defaultdict(list)
        query = models.zones_visible_to(self.allowed).filter(store_id__in=list(store_ids))
        for zone in await query.order_by("created_at", "name"):
            grouped[zone.store_id].append(zone)
        return [grouped.get(store_id, []) for store_id in store_ids]


def visible(info: Info) -> VisibleStores:
    """This request's store and zone loaders, limited to the actor's visible stores."""
    found = info.context.extra.get("tenants.visible")
    if found is None:
        found = info.context.extra["tenants.visible"] = VisibleStores(visible_store_ids(info))
    return found


async def store_nodes(info: Info, store_ids: Iterable[str | UUID]) -> list[StoreNode]:
    """The stores of ``store_ids`` the actor may see, in the given order (the others are left out)."""
    loaded = [await visible(info).store.load(UUID(str(s))) for s in store_ids]
    return [StoreNode.from_model(s) for s in loaded if s is not None]


async def store_node(info: Info, store_id: UUID | None) -> StoreNode | None:
    """One store, or None when it does not exist or the actor may not see it."""
    store = await visible(info).store.load(store_id) if store_id is not None else None
    return StoreNode.from_model(store) if store is not None else None


@strawberry.type(name="Tenant", description="The retailer you are working in.")
class TenantType:
    id: strawberry.ID
    name: str
    slug: str
    default_language: str
    brand_colour: str = strawberry.field(description="Colour of buttons on the shopper pages (contrast is kept AA).")
    logo_url: str | None = strawberry.field(description="Where the shopper pages load the logo from; null: none.")
    require_two_step: bool = strawberry.field(
        default=False, description="Members who log in with a password must use two-step login (setRequireTwoStep).")

    @classmethod
    def from_model(cls, tenant: models.Tenant) -> TenantType:
        logo = f"/s/{tenant.slug}/logo?v={tenant.logo_version}" if tenant.logo_type else None
        return cls(id=strawberry.ID(encode_id("Tenant", tenant.id)), name=tenant.name, slug=tenant.slug,
                   default_language=tenant.default_language, brand_colour=tenant.brand_colour, logo_url=logo,
                   require_two_step=tenant.require_two_step)


@strawberry.type(name="Zone", description="A place inside a store: entrance, checkout, fitting room…")
class ZoneNode(relay.Node):
    id: relay.NodeID[str]
    name: str
    kind: str
    store_id: strawberry.Private[UUID]

    @strawberry.field
    async def store(self, info: Info) -> StoreNode | None:
        return await store_node(info, self.store_id)

    @classmethod
    def from_model(cls, zone: models.Zone) -> ZoneNode:
        return cls(id=str(zone.id), name=zone.name, kind=zone.kind, store_id=zone.store_id)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        ids = _uuids(node_ids)
        query = models.zones_visible_to(visible_store_ids(info)).filter(id__in=[i for i in ids if i])
        found = {str(z.id): z for z in await query}
        return [cls.from_model(found[n]) if n in found else None for n in node_ids]


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
        zones = await visible(info).zones_by_store.load(UUID(self.id))
        return [ZoneNode.from_model(zone) for zone in zones]

    @strawberry.field(description="The one-page weekly report PDF of an ISO week (2026-W48), the last complete week "
                      "when none is given. Members who may see the store. Send your credentials, and ?tenant=<slug> "
                      "when you are in several tenants.")
    def weekly_report_url(self, info: Info, week: str | None = None) -> str:
        from pejling.core.insights.weekly_report import parse_week
        from pejling.core.insights.weekly_routes import last_week, report_path
        from pejling.graphql.errors import ApiError

        chosen = week or last_week()
        try:
            parse_week(chosen)
        except ValueError:
            raise ApiError("week must look like 2026-W48.", "INVALID", field="week") from None
        return info.context.settings.base_url.rstrip("/") + report_path(UUID(self.id), chosen)

    @classmethod
    def from_model(cls, store: models.Store) -> StoreNode:
        return cls(id=str(store.id), name=store.name, slug=store.slug, address=store.address,
                   timezone=store.timezone, default_language=store.default_language)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        ids = _uuids(node_ids)
        query = models.stores_visible_to(visible_store_ids(info)).filter(id__in=[i for i in ids if i])
        found = {str(s.id): s for s in await query}
        return [cls.from_model(found[n]) if n in found else None for n in node_ids]


@strawberry.type(name="Member", description="A person with a role in this tenant.")
class MemberNode(relay.Node):
    id: relay.NodeID[str]
    email: str
    name: str
    role: Role
    store_ids: strawberry.Private[list[str]]

    @strawberry.field(description="For a store manager: their stores, as far as you may see them. Empty for other "
                      "roles (all stores).")
    async def stores(self, info: Info) -> list[StoreNode]:
        return await store_nodes(info, self.store_ids)

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


@strawberry.type(name="Invitation", description="A role offered to an address by mail; a membership once accepted. "
                 "Says nothing about the person behind the address.")
class InvitationNode(relay.Node):
    id: relay.NodeID[str]
    email: str
    role: Role
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None
    status: InvitationStatus
    store_ids: strawberry.Private[list[str]]

    @strawberry.field(description="For a store manager: the stores offered. Empty for other roles.")
    async def stores(self, info: Info) -> list[StoreNode]:
        return await store_nodes(info, self.store_ids)

    @classmethod
    def from_model(cls, invitation: models.Invitation) -> InvitationNode:
        return cls(id=str(invitation.id), email=invitation.email, role=RoleEnum(invitation.role),
                   created_at=invitation.created_at, expires_at=invitation.expires_at,
                   accepted_at=invitation.accepted_at, revoked_at=invitation.revoked_at,
                   status=status_of(invitation), store_ids=list(invitation.store_ids or []))

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        node_ids = list(node_ids)
        if info.context.tenant is None or not info.context.actor.is_admin:
            return [None for _ in node_ids]
        ids = _uuids(node_ids)
        found = {str(i.id): i for i in await models.Invitation.filter(id__in=[i for i in ids if i])}
        return [cls.from_model(found[n]) if n in found else None for n in node_ids]


def _uuids(values: Iterable[str]) -> list[UUID | None]:
    result: list[UUID | None] = []
    for value in values:
        try:
            result.append(UUID(str(value)))
        except ValueError:
            result.append(None)
    return result

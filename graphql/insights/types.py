"""GraphQL types and inputs of the insights domain (the sections themselves are in ``sections.py``)."""

from __future__ import annotations

import datetime as dt
import enum
from uuid import UUID

import strawberry

from pejling.core.insights.models import StoreChange
from pejling.graphql.context import Info
from pejling.graphql.errors import UserError
from pejling.graphql.relay_ids import encode_id
from pejling.graphql.tenants.types import StoreNode, ZoneNode


@strawberry.enum(name="InsightScopeKind", description="What the insights cover.")
class InsightScopeKind(enum.Enum):
    STORE = "store"
    ZONE = "zone"
    STORES = "stores"
    CHAIN = "chain"


@strawberry.enum(name="InsightCompareWith", description="What to compare the scope with.")
class InsightCompareWith(enum.Enum):
    PREVIOUS_PERIOD = "previousPeriod"
    STORES = "stores"


@strawberry.input(description="STORE: one store id; ZONE: zone ids; STORES: store ids; CHAIN: no ids (every store).")
class InsightScopeInput:
    kind: InsightScopeKind
    ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input(description="A period of local store days, both ends included.")
class PeriodInput:
    from_: dt.date = strawberry.field(name="from")
    to: dt.date


@strawberry.type(name="StoreChange", description="A logged change in a store, e.g. new signage at checkout.")
class StoreChangeType:
    id: strawberry.ID
    date: dt.date
    description: str
    created_at: dt.datetime
    store_id: strawberry.Private[UUID]
    zone_id: strawberry.Private[UUID | None]

    @strawberry.field
    async def store(self, info: Info) -> StoreNode | None:
        store = await info.context.loaders.store.load(self.store_id)
        return StoreNode.from_model(store) if store else None

    @strawberry.field
    async def zone(self, info: Info) -> ZoneNode | None:
        if self.zone_id is None:
            return None
        from pejling.tenants.models import Zone

        zone = await Zone.get_or_none(id=self.zone_id)
        return ZoneNode.from_model(zone) if zone else None

    @classmethod
    def from_model(cls, change: StoreChange) -> StoreChangeType:
        return cls(id=strawberry.ID(encode_id("StoreChange", change.id)), date=change.date,
                   description=change.description, created_at=change.created_at, store_id=change.store_id,
                   zone_id=change.zone_id)


@strawberry.input
class LogStoreChangeInput:
    store_id: strawberry.ID
    date: dt.date
    description: str
    zone_id: strawberry.ID | None = None


@strawberry.type
class StoreChangePayload:
    store_change: StoreChangeType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

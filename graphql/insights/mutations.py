"""Log a store change (owners, admins and the store's managers)."""

from __future__ import annotations

import strawberry

from pejling.core.insights.models import StoreChange
from pejling.core.insights.rollups import bump_version
from pejling.graphql.context import Info
from pejling.graphql.errors import forbidden, invalid, not_found
from pejling.graphql.insights.types import LogStoreChangeInput, StoreChangePayload, StoreChangeType
from pejling.graphql.permissions import mutation_guard
from pejling.graphql.relay_ids import decode_id
from pejling.graphql.tenants.types import visible_store_ids
from pejling.tenants import models
from pejling.tenants.models import Role

MAX_DESCRIPTION = 500


@strawberry.type
class InsightsMutation:
    @strawberry.mutation(description="Log a change made in a store, to compare before and after against other stores.")
    async def log_store_change(self, info: Info, input: LogStoreChangeInput) -> StoreChangePayload:
        tenant, error = mutation_guard(info, admin=False)
        if error is not None or tenant is None:
            return StoreChangePayload(errors=[error] if error else [])
        actor = info.context.actor
        if actor.role is Role.ANALYST:
            return StoreChangePayload(errors=[forbidden("Analysts read insights; ask a manager to log changes.")])
        store_id = decode_id(input.store_id, "Store")
        allowed = visible_store_ids(info)
        store = await models.Store.get_or_none(id=store_id) if store_id else None
        if store is None or (allowed is not None and store.id not in allowed):
            return StoreChangePayload(errors=[not_found("storeId", "No such store.")])
        zone = None
        if input.zone_id is not None:
            zone_id = decode_id(input.zone_id, "Zone")
            zone = await models.Zone.get_or_none(id=zone_id, store_id=store.id) if zone_id else None
            if zone is None:
                return StoreChangePayload(errors=[not_found("zoneId", "No such zone in this store.")])
        description = " ".join(input.description.split())
        if not 1 <= len(description) <= MAX_DESCRIPTION:
            return StoreChangePayload(
                errors=[invalid("description", f"Describe the change in 1-{MAX_DESCRIPTION} characters.")]
            )
        change = await StoreChange.create(store=store, zone=zone, date=input.date, description=description,
                                          created_by=actor.user_id)
        # The change's before/after is part of the cached insights: a new version makes the next answer include it.
        await bump_version(tenant.id)
        return StoreChangePayload(store_change=StoreChangeType.from_model(change))

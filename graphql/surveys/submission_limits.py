"""The shoppers' rate limit of a tenant and of each store (owners and admins): read and set.

A store's own limit wins over the tenant's, which wins over the default (:mod:`pejling.core.surveys.rate_limit`).
The ingest reads both settings with the store it already loads, so a change applies to the next submission.
"""

from __future__ import annotations

import strawberry

from pejling.core.surveys import rate_limit
from pejling.graphql.context import Info
from pejling.graphql.errors import ApiError, UserError, invalid
from pejling.graphql.permissions import mutation_guard, require_tenant
from pejling.graphql.surveys.places import store_and_zone
from pejling.graphql.tenants.types import StoreNode
from pejling.tenants.models import Store, Tenant

DEFAULT, TENANT, STORE = "default", "tenant", "store"


@strawberry.type(name="SubmissionLimit", description="How many responses one shopper address may have stored at a "
                 "store per window. Refused submissions and resends do not count (they have a budget ten times "
                 "larger of their own); a registered kiosk has its own limit.")
class SubmissionLimitType:
    store: StoreNode | None = strawberry.field(description="The store; null for the tenant's own setting.")
    count: int = strawberry.field(description="The limit in force here.")
    setting: int | None = strawberry.field(description="The limit set at this level; null: inherited.")
    source: str = strawberry.field(description="Where count comes from: store, tenant or default.")
    window_seconds: int

    @classmethod
    def of(cls, tenant: Tenant, store: Store | None) -> SubmissionLimitType:
        store_setting = store.submission_limit if store is not None else None
        limit = rate_limit.submission_limit(tenant.submission_limit, store_setting)
        source = STORE if store_setting is not None else TENANT if tenant.submission_limit is not None else DEFAULT
        return cls(store=StoreNode.from_model(store) if store is not None else None, count=limit.count,
                   setting=store_setting if store is not None else tenant.submission_limit, source=source,
                   window_seconds=limit.window_seconds)


@strawberry.type
class SubmissionLimitPayload:
    limit: SubmissionLimitType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SubmissionLimitQuery:
    @strawberry.field(description="The shoppers' rate limit (owners and admins): the tenant's, or a store's when "
                      "storeId is given (null when it is not your store).")
    async def submission_limit(self, info: Info, store_id: strawberry.ID | None = None) -> SubmissionLimitType | None:
        tenant, actor = require_tenant(info)
        if not actor.is_admin:
            raise ApiError("Only owners and admins can see the rate limits.", "FORBIDDEN")
        if store_id is None:
            return SubmissionLimitType.of(tenant, None)
        store, _, missing = await store_and_zone(store_id, None)
        return None if missing is not None or store is None else SubmissionLimitType.of(tenant, store)


@strawberry.type
class SubmissionLimitMutation:
    @strawberry.mutation(description="Set the shoppers' rate limit (owners and admins): stored responses per address "
                         f"per window, {rate_limit.SETTING_MIN}-{rate_limit.SETTING_MAX}; of one store when storeId "
                         "is given (it wins over the tenant's), else the tenant's. A null (or no) count removes the "
                         "setting.")
    async def set_submission_limit(
        self, info: Info, count: int | None = None, store_id: strawberry.ID | None = None
    ) -> SubmissionLimitPayload:
        tenant, error = mutation_guard(info)
        if error or tenant is None:
            return SubmissionLimitPayload(errors=[error] if error else [])
        if count is not None and not rate_limit.SETTING_MIN <= count <= rate_limit.SETTING_MAX:
            return SubmissionLimitPayload(errors=[invalid(
                "count", f"Give a whole number from {rate_limit.SETTING_MIN} to {rate_limit.SETTING_MAX}, or null.")])
        if store_id is None:
            tenant.submission_limit = count
            await tenant.save(update_fields=["submission_limit"])
            return SubmissionLimitPayload(limit=SubmissionLimitType.of(tenant, None))
        store, _, missing = await store_and_zone(store_id, None)
        if missing is not None or store is None:
            return SubmissionLimitPayload(errors=[missing] if missing else [])
        store.submission_limit = count
        await store.save(update_fields=["submission_limit"])
        return SubmissionLimitPayload(limit=SubmissionLimitType.of(tenant, store))

"""The ``billing`` query: the current tenant's plan, state, limits and usage."""

from __future__ import annotations

import strawberry

from pejling.graphql.billing.types import Billing, BillingPlan, BillingState, BillingUsage
from pejling.graphql.context import Info
from pejling.graphql.permissions import require_tenant
from pejling.graphql.relay_ids import encode_id
from pejling.plugins.billing import usage
from pejling.plugins.billing.entitlements import read_only_store_ids
from pejling.plugins.billing.models import OverQuotaResponse
from pejling.plugins.billing.plans import PILOT, plan, plans
from pejling.plugins.billing.subscription_state import standing
from pejling.tenants.scope import tenant_scope


def _after_pilot(configured: bool) -> str:
    if not configured:
        return "Billing is not configured in this Pejling: the pilot's limits are shown, nothing is enforced."
    return (f"When the pilot ends the portal becomes read-only until you choose a paid plan "
            f"({', '.join(p.name for p in plans().values() if p.paid)}); the survey keeps collecting responses.")


@strawberry.type
class BillingQuery:
    @strawberry.field(description="The tenant's plan, subscription state, limits and usage.")
    async def billing(self, info: Info) -> Billing:
        tenant, _ = require_tenant(info)
        now = await standing(tenant)
        used = await usage.usage(tenant.id)
        with tenant_scope(tenant.id):
            over = await OverQuotaResponse.filter(month=usage.month_start().strftime("%Y-%m")).count()
        limit = now.plan.monthly_responses
        return Billing(
            configured=now.configured, plan=BillingPlan.of(now.plan), state=BillingState(now.state.value),
            stripe_status=now.subscription.stripe_status, current_period_end=now.subscription.current_period_end,
            pilot_ends_at=now.subscription.pilot_ends_at, after_pilot=_after_pilot(now.configured),
            read_only=now.read_only, read_only_reason=now.reason, notice=now.notice,
            over_quota=now.configured and limit is not None and used.monthly_responses > limit,
            over_quota_responses=over,
            usage=BillingUsage(stores=used.stores, monthly_responses=used.monthly_responses, seats=used.seats),
            read_only_store_ids=[strawberry.ID(encode_id("Store", i)) for i in await read_only_store_ids(tenant)],
            plans=[BillingPlan.of(p) for p in plans().values()] or [BillingPlan.of(plan(PILOT))],
        )

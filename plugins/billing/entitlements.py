"""Entitlements where they bite: a new store, a new seat or a plugin outside the plan is refused, naming the plan
that allows it. Nothing is enforced while billing is not configured (no Stripe keys).

Shopper responses are never refused: a response over the month's quota is stored and marked
(:func:`mark_if_over_quota`), and the portal is told (``billing.overQuota``).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from tortoise.exceptions import IntegrityError

from pejling.plugins.billing import usage
from pejling.plugins.billing.models import OverQuotaResponse
from pejling.plugins.billing.plans import Plan, first_plan_allowing
from pejling.plugins.billing.subscription_state import standing
from pejling.tenants.models import Store, Tenant
from pejling.tenants.scope import tenant_scope


@dataclass(frozen=True)
class PlanLimitReached:
    """Why the plan refuses: a readable message naming the plan that allows it (``allowed_by``, when one does)."""

    message: str
    allowed_by: Plan | None
    field: str | None = None


def _upgrade(plan: Plan | None) -> str:
    return f" The {plan.name} plan allows it." if plan else " No plan allows it."


async def refuse_new_store(tenant: Tenant) -> PlanLimitReached | None:
    """Refused when the tenant's plan has no room for one more store."""
    now = await standing(tenant)
    if not now.configured or now.plan.stores is None:
        return None
    count = await usage.stores(tenant.id)
    if count < now.plan.stores:
        return None
    allowed = first_plan_allowing(stores=count + 1)
    return PlanLimitReached(f"The {now.plan.name} plan allows {now.plan.stores} store(s) and you have {count}."
                            + _upgrade(allowed), allowed)


async def refuse_new_seat(tenant: Tenant) -> PlanLimitReached | None:
    """Refused when the tenant's members and pending invitations fill the plan's users."""
    now = await standing(tenant)
    if not now.configured or now.plan.users is None:
        return None
    count = await usage.seats(tenant.id)
    if count < now.plan.users:
        return None
    allowed = first_plan_allowing(users=count + 1)
    return PlanLimitReached(f"The {now.plan.name} plan allows {now.plan.users} users (members and open invitations) "
                            f"and you have {count}." + _upgrade(allowed), allowed, field="email")


async def refuse_plugin(tenant: Tenant, name: str) -> PlanLimitReached | None:
    """Refused when plugin ``name`` is not in the tenant's plan."""
    now = await standing(tenant)
    if not now.configured or now.plan.allows_plugin(name):
        return None
    allowed = first_plan_allowing(plugin=name)
    return PlanLimitReached(f"The {now.plan.name} plan does not include the plugin {name!r}." + _upgrade(allowed),
                            allowed, field="name")


async def read_only_store_ids(tenant: Tenant) -> list[UUID]:
    """The stores beyond the plan's limit after a downgrade (the newest ones): kept, shown, read-only."""
    now = await standing(tenant)
    if not now.configured or now.plan.stores is None:
        return []
    with tenant_scope(tenant.id):
        ids = await Store.all().order_by("created_at", "id").values_list("id", flat=True)
    return [UUID(str(i)) for i in ids[now.plan.stores:]]


async def mark_if_over_quota(tenant: Tenant, response_id: UUID) -> bool:
    """Mark a stored response over the plan's monthly quota; True when it is over. The response itself stays."""
    now = await standing(tenant)
    limit = now.plan.monthly_responses
    if not now.configured or limit is None:
        return False
    if await usage.responses_this_month(tenant.id) <= limit:
        return False
    with tenant_scope(tenant.id):
        try:
            await OverQuotaResponse.create(response_id=response_id, month=usage.month_start().strftime("%Y-%m"))
        except IntegrityError:
            pass  # marked before (a response delivered twice to the hook)
    return True

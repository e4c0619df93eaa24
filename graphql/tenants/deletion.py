"""``deleteTenant``: an owner deletes the tenant with everything held for it (core/tenant_deletion.py)."""

from __future__ import annotations

import strawberry

from pejling.core.tenant_deletion import delete_tenant
from pejling.graphql.context import Info
from pejling.graphql.errors import UserError, forbidden, invalid
from pejling.graphql.permissions import mutation_guard
from pejling.tenants.models import Role, Tenant

#: Subscription states that still bill the tenant: deleting would leave Stripe charging a tenant that is gone.
LIVE_STATES = frozenset({"trialing", "active", "past_due", "unpaid"})


@strawberry.type
class DeleteTenantPayload:
    deleted_slug: str | None = strawberry.field(default=None, description="The slug of the tenant deleted.")
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _still_billed(info: Info, tenant: Tenant) -> bool:
    plugins = info.context.plugins
    if plugins is None or "billing" not in plugins.loaded:
        return False
    from pejling.plugins.billing.subscription_state import standing

    now = await standing(tenant)
    return now.configured and bool(now.subscription.stripe_subscription_id) and str(now.state) in LIVE_STATES


@strawberry.type
class TenantDeletionMutation:
    @strawberry.mutation(description="Delete this tenant with everything Pejling holds for it — stores, surveys, "
                         "responses, follow-ups, settings, the audit log, export files — and the accounts of people "
                         "who were members of it only (owners only). It cannot be undone: export the tenant first "
                         "(startTenantExport). confirmSlug must be the tenant's slug. A live paid subscription must "
                         "be canceled first (openBillingPortal).")
    async def delete_tenant(self, info: Info, confirm_slug: str) -> DeleteTenantPayload:
        tenant, error = mutation_guard(info)
        if error or tenant is None:
            return DeleteTenantPayload(errors=[error] if error else [])
        if info.context.actor.role is not Role.OWNER:
            return DeleteTenantPayload(errors=[forbidden("Only an owner can delete the tenant.")])
        if confirm_slug != tenant.slug:
            return DeleteTenantPayload(errors=[invalid("confirmSlug", "Type the tenant's slug to confirm.")])
        if await _still_billed(info, tenant):
            return DeleteTenantPayload(errors=[UserError(
                code="conflict", field=None,
                message="The paid subscription is still live: cancel it in the billing portal first.")])
        await delete_tenant(tenant, info.context.settings)
        return DeleteTenantPayload(deleted_slug=tenant.slug)

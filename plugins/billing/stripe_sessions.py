"""Stripe-hosted pages for a tenant: a Checkout Session to start a paid plan, a Billing Portal Session to manage it.

Both are made by the backend through the stripe library; the GraphQL mutations return their URL.
"""

from __future__ import annotations

from pejling.plugins.billing.plans import Plan
from pejling.plugins.billing.stripe_settings import stripe_client
from pejling.plugins.billing.subscription_state import stored_subscription
from pejling.plugins.billing.usage import stores
from pejling.tenants.models import Tenant
from pejling.tenants.scope import tenant_scope


class NoCustomer(LookupError):
    """The tenant has no Stripe customer yet (it never started a checkout)."""


async def ensure_customer(tenant: Tenant, email: str | None) -> str:
    """The tenant's Stripe customer id, made (with the tenant id in its metadata) when it has none."""
    row = await stored_subscription(tenant)
    if row.stripe_customer_id:
        return row.stripe_customer_id
    params: dict[str, object] = {"name": tenant.name, "metadata": {"tenant_id": str(tenant.id)}}
    if email:
        params["email"] = email
    customer = await stripe_client().v1.customers.create_async(
        params,  # type: ignore[arg-type]
        {"idempotency_key": f"pejling-customer-{tenant.id}"},
    )
    row.stripe_customer_id = customer.id
    with tenant_scope(tenant.id):
        await row.save(update_fields=["stripe_customer_id", "updated_at"])
    return customer.id


async def checkout_url(tenant: Tenant, plan: Plan, *, email: str | None, base_url: str) -> str:
    """A Checkout Session (mode ``subscription``) for ``plan``, one unit per store; its URL."""
    customer = await ensure_customer(tenant, email)
    quantity = max(await stores(tenant.id), 1)
    metadata = {"tenant_id": str(tenant.id), "pejling_plan": plan.key}
    session = await stripe_client().v1.checkout.sessions.create_async({
        "mode": "subscription",
        "customer": customer,
        "client_reference_id": str(tenant.id),
        "line_items": [{"price": plan.lookup_key, "quantity": quantity}],
        "success_url": f"{base_url.rstrip('/')}/portal/billing?checkout=done",
        "cancel_url": f"{base_url.rstrip('/')}/portal/billing?checkout=canceled",
        "metadata": metadata,
        "subscription_data": {"metadata": metadata},
    })
    if not session.url:
        raise RuntimeError("Stripe returned a checkout session without a URL")
    return session.url


async def portal_url(tenant: Tenant, *, base_url: str) -> str:
    """A Billing Portal Session for the tenant's customer; its URL. Raises :class:`NoCustomer` without one."""
    row = await stored_subscription(tenant)
    if not row.stripe_customer_id:
        raise NoCustomer(str(tenant.id))
    session = await stripe_client().v1.billing_portal.sessions.create_async({
        "customer": row.stripe_customer_id,
        "return_url": f"{base_url.rstrip('/')}/portal/billing",
    })
    return session.url

"""``pejling billing sync``: create or update the Stripe products and prices of the plans, idempotently.

Each paid plan is a product with the id ``pejling-<plan>`` and a recurring monthly price per store whose id is the
plan's :attr:`~pejling.plugins.billing.plans.Plan.lookup_key` (it names plan, currency and amount). Stripe's plan
objects are used for the price: they are prices to Checkout and subscriptions, and can be made with a chosen id,
so running the sync again finds them instead of making copies. A changed amount makes a new price; the old one
stays for the subscriptions on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import stripe

from pejling.plugins.billing.plans import plans
from pejling.plugins.billing.stripe_settings import stripe_client


@dataclass(frozen=True)
class SyncLine:
    plan: str
    product: str
    price: str
    created: bool


async def _exists(fetch: object) -> bool:
    try:
        await fetch  # type: ignore[misc]
    except stripe.InvalidRequestError as exc:
        if exc.http_status == 404:
            return False
        raise
    return True


async def sync_catalogue() -> list[SyncLine]:
    """Make every paid plan's product and price exist in Stripe; what was found or created."""
    client = stripe_client()
    lines = []
    for plan in plans().values():
        if not plan.paid:
            continue
        metadata = {"pejling_plan": plan.key}
        created = False
        if await _exists(client.v1.products.retrieve_async(plan.product_id)):
            await client.v1.products.update_async(plan.product_id, {"name": f"Pejling {plan.name}",
                                                                    "metadata": metadata})
        else:
            await client.v1.products.create_async({"id": plan.product_id, "name": f"Pejling {plan.name}",
                                                   "metadata": metadata})
            created = True
        if not await _exists(client.v1.plans.retrieve_async(plan.lookup_key)):
            await client.v1.plans.create_async({
                "id": plan.lookup_key, "product": plan.product_id, "amount": plan.price_per_store,
                "currency": plan.currency, "interval": "month", "usage_type": "licensed", "metadata": metadata,
            })
            created = True
        lines.append(SyncLine(plan=plan.key, product=plan.product_id, price=plan.lookup_key, created=created))
    return lines

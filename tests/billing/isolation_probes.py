"""Cross-tenant probes for the billing fields (``graphql/billing/``), in the shape of ``test_tenant_isolation.py``:
A is on an active Chain subscription with its own Stripe customer; whatever ``w.b`` reads or starts, it sees and
changes nothing of A's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pejling.plugins.billing.models import BillingState
from pejling.plugins.billing.subscription_state import stored_subscription
from pejling.tenants.scope import tenant_scope

Probe = Callable[[Any], Awaitable[None]]
CUSTOMER = "cus_only_tenant_a_has"


async def _a_pays(w: Any) -> None:
    row = await stored_subscription(w.a.tenant)
    row.plan, row.state, row.stripe_customer_id, row.stripe_subscription_id = (
        "chain", BillingState.ACTIVE, CUSTOMER, "sub_only_a")
    with tenant_scope(w.a.tenant.id):
        await row.save()


async def _a_still_pays(w: Any) -> None:
    row = await stored_subscription(w.a.tenant)
    assert (row.plan, row.state, row.stripe_customer_id) == ("chain", BillingState.ACTIVE, CUSTOMER)


async def _billing(w: Any) -> None:
    await _a_pays(w)
    seen = await w.as_b("{ billing { state stripeStatus plan { key } usage { stores seats } } }")
    assert CUSTOMER not in str(seen) and "sub_only_a" not in str(seen), seen
    assert seen["data"]["billing"]["state"] == "PILOT" and seen["data"]["billing"]["plan"] == {"key": "pilot"}
    await _a_still_pays(w)


async def _start_checkout(w: Any) -> None:
    await _a_pays(w)
    done = await w.as_b('mutation { startCheckout(plan: "store") { url errors { code } } }')
    assert done["data"]["startCheckout"]["url"] is None and CUSTOMER not in str(done), done
    await _a_still_pays(w)


async def _open_billing_portal(w: Any) -> None:
    await _a_pays(w)
    done = await w.as_b("mutation { openBillingPortal { url errors { code } } }")
    assert done["data"]["openBillingPortal"]["url"] is None and CUSTOMER not in str(done), done
    await _a_still_pays(w)


BILLING_PROBES: dict[str, Probe] = {"billing": _billing, "startCheckout": _start_checkout,
                                    "openBillingPortal": _open_billing_portal}

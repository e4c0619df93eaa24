"""``startCheckout`` and ``openBillingPortal``: a Stripe-hosted page's URL (owners and admins)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import strawberry

from pejling.graphql.billing.types import BillingSessionPayload
from pejling.graphql.context import Info
from pejling.graphql.errors import UserError, invalid
from pejling.graphql.permissions import mutation_guard
from pejling.plugins.billing.plans import plans
from pejling.plugins.billing.stripe_sessions import NoCustomer, checkout_url, portal_url
from pejling.plugins.billing.stripe_settings import stripe_settings
from pejling.tenants.models import User

if TYPE_CHECKING:
    import stripe

log = logging.getLogger(__name__)

#: Mutations a read-only portal still runs (see :mod:`pejling.graphql.billing.read_only`).
BILLING_MUTATIONS = frozenset({"startCheckout", "openBillingPortal"})


def _not_configured() -> UserError:
    return UserError(code="billing_not_configured", message="Billing is not configured in this Pejling.")


def _stripe_failed(exc: stripe.StripeError) -> UserError:
    log.warning("stripe refused a session: %s", type(exc).__name__)
    return UserError(code="unavailable", message="Stripe did not answer as expected; try again in a moment.")


@strawberry.type
class BillingMutation:
    @strawberry.mutation(description="Start a Stripe Checkout for a paid plan (owners and admins): the URL to send "
                         "the person to. The plan changes when Stripe confirms the payment.")
    async def start_checkout(self, info: Info, plan: str) -> BillingSessionPayload:
        tenant, error = mutation_guard(info)
        if error or tenant is None:
            return BillingSessionPayload(errors=[error] if error else [])
        if not stripe_settings().configured:
            return BillingSessionPayload(errors=[_not_configured()])
        chosen = plans().get(plan)
        if chosen is None or not chosen.paid:
            paid = ", ".join(p.key for p in plans().values() if p.paid)
            return BillingSessionPayload(errors=[invalid("plan", f"Choose a paid plan: {paid}.")])
        import stripe

        user = await User.get_or_none(id=info.context.actor.user_id) if info.context.actor.user_id else None
        try:
            url = await checkout_url(tenant, chosen, email=user.email if user else None,
                                     base_url=info.context.settings.base_url)
        except stripe.StripeError as exc:
            return BillingSessionPayload(errors=[_stripe_failed(exc)])
        return BillingSessionPayload(url=url)

    @strawberry.mutation(description="Open the Stripe billing portal (payment methods, invoices) for this tenant "
                         "(owners and admins): the URL to send the person to.")
    async def open_billing_portal(self, info: Info) -> BillingSessionPayload:
        tenant, error = mutation_guard(info)
        if error or tenant is None:
            return BillingSessionPayload(errors=[error] if error else [])
        if not stripe_settings().configured:
            return BillingSessionPayload(errors=[_not_configured()])
        import stripe

        try:
            url = await portal_url(tenant, base_url=info.context.settings.base_url)
        except NoCustomer:
            return BillingSessionPayload(errors=[UserError(code="not_found", message="Start a checkout first: this "
                                                           "tenant has no Stripe customer yet.")])
        except stripe.StripeError as exc:
            return BillingSessionPayload(errors=[_stripe_failed(exc)])
        return BillingSessionPayload(url=url)

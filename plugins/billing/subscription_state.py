"""A tenant's subscription state and the state machine that moves it, driven by Stripe's view of the subscription.

A tenant without a row is on the Pilot plan since it signed up (the row is made lazily on the first write, so signup
needs no hook). Every change comes from :func:`apply_stripe_subscription`, given the subscription as re-fetched from
Stripe: events arrive unordered and more than once, so what counts is Stripe's current state, not the event.

::

    pilot ──checkout──▶ trialing ──▶ active ──payment fails──▶ past_due ──(grace)──▶ unpaid
      ▲                                 ▲                         │                   │
      └──────── canceled ◀──────────────┴──── payment succeeds ───┘    canceled ◀─────┘
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from tortoise.exceptions import IntegrityError

from pejling.plugins.billing.models import BillingState, Subscription
from pejling.plugins.billing.plans import PILOT, Plan, plan, plan_by_price, plans
from pejling.plugins.billing.stripe_settings import StripeSettings, stripe_settings
from pejling.tenants.models import Tenant
from pejling.tenants.scope import all_tenants, tenant_scope

#: Stripe's subscription statuses and the state each puts a tenant in; ``None``: the subscription never started
#: (``incomplete``: the first payment was declined), so the tenant stays where it was.
STRIPE_STATUSES: dict[str, BillingState | None] = {
    "trialing": BillingState.TRIALING,
    "active": BillingState.ACTIVE,
    "past_due": BillingState.PAST_DUE,
    "unpaid": BillingState.UNPAID,
    "canceled": BillingState.CANCELED,
    "incomplete_expired": BillingState.CANCELED,
    "incomplete": None,
    "paused": BillingState.UNPAID,
}


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Standing:
    """A tenant's billing as the product sees it: the plan whose limits apply, the state, and whether writing is on."""

    subscription: Subscription
    plan: Plan
    state: BillingState
    configured: bool
    read_only: bool
    reason: str | None

    @property
    def notice(self) -> str | None:
        """A warning for the portal before something changes: a failed payment in its grace, a trial or pilot ending."""
        row = self.subscription
        if self.read_only or not self.configured:
            return None
        if self.state == BillingState.PAST_DUE and row.past_due_since is not None:
            until = row.past_due_since + timedelta(days=stripe_settings().grace_days)
            return (f"The last payment failed and Stripe is retrying it: update the card in the billing portal before "
                    f"{until:%Y-%m-%d}, or the portal becomes read-only.")
        if self.state == BillingState.TRIALING and row.trial_ends_at is not None:
            return f"The trial ends on {row.trial_ends_at:%Y-%m-%d}; the card is charged then."
        if self.state == BillingState.PILOT:
            return f"The pilot ends on {row.pilot_ends_at:%Y-%m-%d}: choose a plan to keep changing things after it."
        return None


def _pilot_end(tenant: Tenant) -> datetime:
    days = plan(PILOT).trial_days or 0
    return tenant.created_at + timedelta(days=days)


async def subscription_of(tenant: Tenant) -> Subscription:
    """The tenant's subscription row, or an unsaved Pilot one when it has none yet (nothing is written)."""
    with tenant_scope(tenant.id):
        row = await Subscription.get_or_none()
    return row or Subscription(tenant_id=tenant.id, plan=PILOT, state=BillingState.PILOT,
                               pilot_ends_at=_pilot_end(tenant))


async def stored_subscription(tenant: Tenant) -> Subscription:
    """The tenant's subscription row, made now (on Pilot) when it has none."""
    with tenant_scope(tenant.id):
        row = await Subscription.get_or_none()
        if row is not None:
            return row
        try:
            return await Subscription.create(plan=PILOT, state=BillingState.PILOT, pilot_ends_at=_pilot_end(tenant))
        except IntegrityError:  # made at the same moment by another request or job
            return await Subscription.get()


def standing_of(subscription: Subscription, settings: StripeSettings | None = None,
                now: datetime | None = None) -> Standing:
    """What ``subscription`` means now: the plan in force and whether the portal is read-only (and why)."""
    settings = settings or stripe_settings()
    now = now or utcnow()
    state = BillingState(subscription.state)
    in_force = plans().get(subscription.plan) or plan(PILOT)
    if state == BillingState.CANCELED:
        in_force = plan(PILOT)
    reason: str | None = None
    if settings.configured:
        if state == BillingState.PILOT and subscription.pilot_ends_at <= now:
            reason = "The pilot has ended: choose a plan to change anything again. The survey keeps collecting."
        elif state == BillingState.PAST_DUE and subscription.past_due_since is not None and \
                subscription.past_due_since + timedelta(days=settings.grace_days) <= now:
            reason = "The payment is overdue past the grace period: update the card in the billing portal."
        elif state == BillingState.UNPAID:
            reason = "The subscription is unpaid: update the card in the billing portal."
        elif state == BillingState.CANCELED:
            reason = "The subscription is canceled: choose a plan to change anything again."
    return Standing(subscription=subscription, plan=in_force, state=state, configured=settings.configured,
                    read_only=reason is not None, reason=reason)


async def standing(tenant: Tenant) -> Standing:
    """The tenant's :class:`Standing` now (one query)."""
    return standing_of(await subscription_of(tenant))


def _timestamp(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value else None


def _plan_of(snapshot: dict[str, Any]) -> Plan | None:
    items = (snapshot.get("items") or {}).get("data") or []
    for item in items:
        price = item.get("price") or item.get("plan") or {}
        found = plan_by_price(str(price.get("id", "")))
        if found is not None:
            return found
    key = (snapshot.get("metadata") or {}).get("pejling_plan")
    return plans().get(key) if key else None


async def tenant_of_subscription(snapshot: dict[str, Any]) -> UUID | None:
    """The tenant a Stripe subscription belongs to: by its customer id, else by the ``tenant_id`` metadata."""
    customer = snapshot.get("customer")
    with all_tenants():
        if customer:
            row = await Subscription.filter(stripe_customer_id=str(customer)).first()
            if row is not None:
                return row.tenant_id
        tenant_id = (snapshot.get("metadata") or {}).get("tenant_id")
        if tenant_id:
            try:
                found = await Tenant.get_or_none(id=UUID(str(tenant_id)))
            except ValueError:
                return None
            return found.id if found else None
    return None


async def apply_stripe_subscription(tenant: Tenant, snapshot: dict[str, Any], now: datetime | None = None
                                    ) -> Subscription:
    """Move the tenant's state to what Stripe says of its subscription ``snapshot`` (a re-fetched subscription).

    A snapshot of another subscription than the tenant's current one only applies when it is live (a new
    subscription replaces an ended one; an old one ending does not cancel the new). Nothing is ever deleted.
    """
    now = now or utcnow()
    row = await stored_subscription(tenant)
    status = str(snapshot.get("status", ""))
    new_state = STRIPE_STATUSES.get(status)
    sub_id = str(snapshot.get("id", ""))
    live = new_state in (BillingState.TRIALING, BillingState.ACTIVE, BillingState.PAST_DUE, BillingState.UNPAID)
    if row.stripe_subscription_id and row.stripe_subscription_id != sub_id and not live:
        return row  # an old or never-started subscription: the current one stands
    row.stripe_status = status
    row.stripe_customer_id = str(snapshot.get("customer") or row.stripe_customer_id or "") or None
    if status == "incomplete_expired" and row.state == BillingState.PILOT:
        new_state = None  # a subscription whose first payment never succeeded ends: the tenant stays on its pilot
    if new_state is not None:
        row.stripe_subscription_id = sub_id
        found = _plan_of(snapshot)
        if new_state == BillingState.CANCELED:
            row.plan = PILOT
        elif found is not None:
            row.plan = found.key
        if new_state == BillingState.PAST_DUE:
            row.past_due_since = row.past_due_since or now
        else:
            row.past_due_since = None
        row.state = new_state
        row.current_period_end = _timestamp(snapshot.get("current_period_end"))
        row.trial_ends_at = _timestamp(snapshot.get("trial_end"))
    elif not row.stripe_subscription_id:
        row.stripe_subscription_id = sub_id
    row.synced_at = now
    with tenant_scope(tenant.id):
        await row.save()
    return row

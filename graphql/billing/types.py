"""The GraphQL types of billing: the tenant's plan, state, limits and usage, and the URL of a Stripe-hosted page."""

from __future__ import annotations

import enum
from datetime import datetime

import strawberry

from pejling.graphql.errors import UserError
from pejling.plugins.billing.plans import Plan


@strawberry.enum(description="Where a tenant's subscription is.")
class BillingState(enum.Enum):
    PILOT = "pilot"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    UNPAID = "unpaid"
    CANCELED = "canceled"


@strawberry.type(description="A plan Pejling sells. A limit of null is unlimited.")
class BillingPlan:
    key: str = strawberry.field(description="The plan's key, as startCheckout takes it (pilot, store, chain).")
    name: str
    description: str
    price_per_store: int = strawberry.field(description="Price per store per month in the currency's smallest unit.")
    currency: str
    trial_days: int | None = strawberry.field(description="Free days (the pilot).")
    stores: int | None
    monthly_responses: int | None
    users: int | None
    plugins: list[str] = strawberry.field(description="Plugins the plan allows; [\"*\"] is every plugin.")

    @classmethod
    def of(cls, plan: Plan) -> BillingPlan:
        return cls(key=plan.key, name=plan.name, description=plan.description, price_per_store=plan.price_per_store,
                   currency=plan.currency, trial_days=plan.trial_days, stores=plan.stores,
                   monthly_responses=plan.monthly_responses, users=plan.users, plugins=list(plan.plugins))


@strawberry.type(description="What the tenant uses now, against its plan's limits.")
class BillingUsage:
    stores: int
    monthly_responses: int = strawberry.field(description="Shopper responses received this month (UTC).")
    seats: int = strawberry.field(description="Members plus pending invitations.")


@strawberry.type(description="The tenant's billing: plan, state, limits and usage.")
class Billing:
    configured: bool = strawberry.field(description="False when this Pejling has no Stripe keys: the Pilot plan is "
                                        "shown and no limit is enforced.")
    plan: BillingPlan = strawberry.field(description="The plan whose limits apply now.")
    state: BillingState
    stripe_status: str | None = strawberry.field(description="Stripe's status of the subscription (e.g. incomplete).")
    current_period_end: datetime | None
    pilot_ends_at: datetime
    after_pilot: str = strawberry.field(description="What happens when the pilot ends.")
    read_only: bool = strawberry.field(description="True when changes are refused (the survey keeps collecting).")
    read_only_reason: str | None
    notice: str | None = strawberry.field(description="A warning before something changes: a failed payment in its "
                                          "grace period, a trial or the pilot ending.")
    over_quota: bool = strawberry.field(description="True when this month's responses exceed the plan: they are "
                                        "stored and marked; upgrade to see the plan's limits lifted.")
    over_quota_responses: int = strawberry.field(description="Responses stored over the quota this month.")
    usage: BillingUsage
    read_only_store_ids: list[strawberry.ID] = strawberry.field(
        description="Stores beyond the plan's limit after a downgrade: kept, read-only.")
    plans: list[BillingPlan] = strawberry.field(description="Every plan, cheapest first.")


@strawberry.type(description="A Stripe-hosted page to send the person to.")
class BillingSessionPayload:
    url: str | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

"""What billing stores: each tenant's subscription, the Stripe events seen, and the over-quota marks of responses.

:class:`Subscription` and :class:`OverQuotaResponse` belong to one tenant (see :mod:`pejling.tenants.scope`).
:class:`StripeEvent` is a system row (like a job): Stripe's event ids are global, and the webhook stores each one
once before any tenant is known.
"""

from __future__ import annotations

import enum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from pejling.tenants.scope import TenantModel


class BillingState(enum.StrEnum):
    """Where a tenant's subscription is. ``pilot`` until a paid subscription starts."""

    PILOT = "pilot"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    UNPAID = "unpaid"
    CANCELED = "canceled"


class Subscription(TenantModel):
    """A tenant's plan and subscription state, with the Stripe ids it is kept in step with. One per tenant."""

    id = fields.UUIDField(primary_key=True)
    plan = fields.CharField(max_length=40, default="pilot")
    state = fields.CharEnumField(BillingState, max_length=16, default=BillingState.PILOT)
    #: Stripe's own status of the subscription (``incomplete`` after a declined first payment, …).
    stripe_status = fields.CharField(max_length=32, null=True)
    stripe_customer_id = fields.CharField(max_length=255, null=True, db_index=True)
    stripe_subscription_id = fields.CharField(max_length=255, null=True, db_index=True)
    current_period_end = fields.DatetimeField(null=True)
    pilot_ends_at = fields.DatetimeField()
    trial_ends_at = fields.DatetimeField(null=True)
    past_due_since = fields.DatetimeField(null=True)
    #: When Stripe's view of the subscription was applied last.
    synced_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "billing_subscription"
        unique_together = (("tenant",),)


class StripeEvent(Model):
    """A Stripe event received by the webhook, stored once by its id (a replay is acknowledged and ignored)."""

    id = fields.CharField(max_length=255, primary_key=True)
    type = fields.CharField(max_length=100)
    payload: Any = fields.JSONField()
    received_at = fields.DatetimeField(auto_now_add=True)
    processed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "billing_stripe_event"


class OverQuotaResponse(TenantModel):
    """A shopper response stored after the plan's monthly responses were used up: kept, marked, shown to the portal."""

    id = fields.UUIDField(primary_key=True)
    response_id = fields.UUIDField(unique=True)
    month = fields.CharField(max_length=7)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "billing_over_quota_response"

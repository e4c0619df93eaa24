"""What the Vipps plugin keeps: the payments it was told about and each webhook event of them.

Both belong to one tenant (:class:`pejling.tenants.scope.TenantModel`). Nothing here names the shopper: a payment is
known by the retailer's ``reference`` and Vipps' ``pspReference``, never by a phone number or a name.
"""

from __future__ import annotations

import enum
from typing import Any
from uuid import UUID

from tortoise import fields

from pejling.tenants.scope import TenantModel


class PaymentEvent(enum.StrEnum):
    """The ePayment webhook events (``name``) the plugin reads."""

    CREATED = "CREATED"
    AUTHORIZED = "AUTHORIZED"
    CAPTURED = "CAPTURED"
    REFUNDED = "REFUNDED"
    CANCELLED = "CANCELLED"
    ABORTED = "ABORTED"
    EXPIRED = "EXPIRED"
    TERMINATED = "TERMINATED"


#: Where each event comes in a payment's life: the tie-break of events with the same time.
LIFECYCLE_RANK: dict[str, int] = {
    PaymentEvent.CREATED: 0,
    PaymentEvent.AUTHORIZED: 1,
    PaymentEvent.ABORTED: 1,
    PaymentEvent.EXPIRED: 1,
    PaymentEvent.TERMINATED: 1,
    PaymentEvent.CAPTURED: 2,
    PaymentEvent.CANCELLED: 2,
    PaymentEvent.REFUNDED: 3,
}


class VippsPayment(TenantModel):
    """One Vipps payment of the tenant (by its reference), its state and the survey link of its purchase."""

    id = fields.UUIDField(primary_key=True)
    reference = fields.CharField(max_length=64)
    msn = fields.CharField(max_length=10)
    store_id: UUID | None
    store: Any = fields.ForeignKeyField("tenants.Store", null=True, on_delete=fields.SET_NULL, related_name=False)
    state = fields.CharField(max_length=16, default="")
    """The name of the payment's latest event by event time, once the events are applied."""
    state_at = fields.DatetimeField(null=True)
    link_token = fields.CharField(max_length=43, null=True, unique=True)
    """The token of the purchase's survey link, set once when the payment is first seen captured."""
    captured_at = fields.DatetimeField(null=True)
    response_id = fields.UUIDField(null=True)
    """The response the survey link was used for (one per purchase)."""
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "vipps_payment"
        unique_together = (("tenant", "reference"),)


class VippsEvent(TenantModel):
    """One webhook event of a payment, kept once per idempotency key (applied_at: when it counted in the state)."""

    id = fields.UUIDField(primary_key=True)
    payment_id: UUID
    payment: Any = fields.ForeignKeyField("vipps.VippsPayment", on_delete=fields.CASCADE, related_name="events")
    key = fields.CharField(max_length=200)
    """The event's idempotency key (``idempotencyKey``, else ``pspReference`` and the event name)."""
    name = fields.CharField(max_length=16)
    occurred_at = fields.DatetimeField()
    received_at = fields.DatetimeField(auto_now_add=True)
    applied_at = fields.DatetimeField(null=True)

    class Meta:
        table = "vipps_event"
        unique_together = (("tenant", "key"),)


class VippsWebhookRegistration(TenantModel):
    """The webhook Pejling registered with the Vipps Webhooks API for one sales unit of the tenant.

    ``secret`` is the one Vipps returned, sealed (purpose :func:`~.settings.registration_secret_purpose`); incoming
    webhooks of that sales unit are verified with it. ``pejling rotate-keys`` reseals it (``SEALED_FIELDS``).
    """

    SEALED_FIELDS = ("secret",)

    id = fields.UUIDField(primary_key=True)
    msn = fields.CharField(max_length=10)
    vipps_id = fields.CharField(max_length=100)
    """The webhook's id at Vipps (what ``DELETE /webhooks/v1/webhooks/<id>`` takes)."""
    url = fields.CharField(max_length=2000)
    events: Any = fields.JSONField(default=list)
    secret = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "vipps_webhook_registration"
        unique_together = (("tenant", "msn"),)

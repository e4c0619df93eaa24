"""Outbound webhooks: a tenant's endpoints, the deliveries of events to them and every attempt of a delivery.

Every model here belongs to one tenant (see :mod:`pejling.tenants.scope`).
"""

from __future__ import annotations

import enum
from typing import Any
from uuid import UUID

from tortoise import fields

from pejling.tenants.scope import TenantModel


class DeliveryStatus(enum.StrEnum):
    """Where a delivery is."""

    PENDING = "pending"
    """Queued, not tried yet (or queued again by a manual redelivery)."""
    RETRYING = "retrying"
    """The last attempt failed; another is scheduled at ``next_retry_at``."""
    DELIVERED = "delivered"
    """The endpoint answered 2xx."""
    FAILED = "failed"
    """Given up: every attempt failed, or the endpoint is gone or switched off."""


class WebhookEndpoint(TenantModel):
    """An HTTPS address of an integrator that receives the tenant's events, signed with its own secret."""

    #: Sealed columns (core/secrets_at_rest.py), resealed by ``pejling rotate-keys``.
    SEALED_FIELDS = ("secret_sealed", "previous_secret_sealed")
    id = fields.UUIDField(primary_key=True)
    url = fields.CharField(max_length=2000)
    description = fields.CharField(max_length=200, default="")
    events: Any = fields.JSONField(default=list)
    enabled = fields.BooleanField(default=True)
    secret_sealed = fields.TextField()
    secret_fingerprint = fields.CharField(max_length=16)
    previous_secret_sealed = fields.TextField(null=True)
    """The secret before the last rotation, still signing alongside the new one until ``previous_secret_until``."""
    previous_secret_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "webhook_endpoint"


class WebhookDelivery(TenantModel):
    """One event sent to one endpoint: the exact body, its status and when it is tried next."""

    id = fields.UUIDField(primary_key=True)
    endpoint: Any = fields.ForeignKeyField("webhooks.WebhookEndpoint", related_name="deliveries",
                                           on_delete=fields.CASCADE)
    endpoint_id: UUID
    event_id = fields.UUIDField()
    event_type = fields.CharField(max_length=50)
    body = fields.TextField()
    status = fields.CharEnumField(DeliveryStatus, max_length=16, default=DeliveryStatus.PENDING)
    attempts = fields.IntField(default=0)
    last_response_code = fields.IntField(null=True)
    last_error = fields.CharField(max_length=300, null=True)
    next_retry_at = fields.DatetimeField(null=True)
    delivered_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "webhook_delivery"
        indexes = (("tenant_id", "endpoint_id", "created_at"),)


class WebhookAttempt(TenantModel):
    """One try of a delivery: the answer's status code and a short excerpt of its body, or why it failed."""

    id = fields.UUIDField(primary_key=True)
    delivery: Any = fields.ForeignKeyField("webhooks.WebhookDelivery", related_name="attempt_log",
                                           on_delete=fields.CASCADE)
    delivery_id: UUID
    number = fields.IntField()
    response_code = fields.IntField(null=True)
    response_excerpt = fields.CharField(max_length=300, default="")
    error = fields.CharField(max_length=300, null=True)
    succeeded = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "webhook_attempt"
        unique_together = (("delivery", "number"),)

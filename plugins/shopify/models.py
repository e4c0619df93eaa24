"""What the Shopify integration keeps: installed shops, webhooks seen, orders to invite for, data-request exports.

Every model belongs to one tenant (:mod:`pejling.tenants.scope`). Secrets and addresses are sealed
(:mod:`pejling.core.secrets_at_rest`); an order keeps a hash of the customer's address for privacy requests and the
sealed address only until its invitation is sent; where the tenant set a reward, the address is sealed again for the
reward mail (``sealed_reward_email``) and kept only until that mail is sent or the invitation expires.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from tortoise import fields

from pejling.tenants.scope import TenantModel


class OrderStatus:
    """Where an order's invitation is."""

    SCHEDULED = "scheduled"
    INVITED = "invited"
    SKIPPED = "skipped"


class ShopifyShop(TenantModel):
    """A Shopify shop installed by a tenant, with its offline access token sealed (forgotten on uninstall)."""

    #: Sealed columns (core/secrets_at_rest.py), resealed by ``pejling rotate-keys``.
    SEALED_FIELDS = ("sealed_token",)
    id = fields.UUIDField(primary_key=True)
    shop = fields.CharField(max_length=255, unique=True, description="The shop's ….myshopify.com domain")
    sealed_token = fields.TextField(null=True)
    scopes = fields.CharField(max_length=500, default="")
    installed_at = fields.DatetimeField()
    uninstalled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "shopify_shop"


class ShopifyWebhook(TenantModel):
    """A webhook delivery already handled (``X-Shopify-Webhook-Id``), so a retry or a replay changes nothing."""

    id = fields.UUIDField(primary_key=True)
    webhook_id = fields.CharField(max_length=100)
    topic = fields.CharField(max_length=64)
    shop = fields.CharField(max_length=255)
    received_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "shopify_webhook"
        unique_together = (("tenant", "webhook_id"),)


class ShopifyOrder(TenantModel):
    """A paid order with a lawful basis to invite its customer, the invitation scheduled for it and what came of it."""

    #: Sealed columns (core/secrets_at_rest.py), resealed by ``pejling rotate-keys``.
    SEALED_FIELDS = ("sealed_email", "sealed_reward_email")
    id = fields.UUIDField(primary_key=True)
    shop = fields.CharField(max_length=255)
    order_id = fields.CharField(max_length=20)
    customer_id = fields.CharField(max_length=20, null=True)
    email_hash = fields.CharField(max_length=64, db_index=True)
    sealed_email = fields.TextField(null=True, description="Until the invitation is sent, then cleared")
    lawful_basis = fields.CharField(max_length=32)
    store: Any = fields.ForeignKeyField("tenants.Store", related_name="shopify_orders", on_delete=fields.CASCADE)
    store_id: UUID
    language = fields.CharField(max_length=5)
    invite_at = fields.DatetimeField()
    status = fields.CharField(max_length=16, default=OrderStatus.SCHEDULED)
    skipped_because = fields.CharField(max_length=32, null=True)
    invitation_id = fields.UUIDField(null=True, db_index=True)
    reward_code = fields.CharField(max_length=40, null=True)
    reward_expires_at = fields.DatetimeField(null=True)
    sealed_reward_email = fields.TextField(
        null=True, description="Only where a reward is set: until the reward mail is sent or the invitation expires")
    reward_mail_sending_at = fields.DatetimeField(null=True, description="When a send of the reward mail claimed it")
    reward_mailed_at = fields.DatetimeField(null=True, description="When the SMTP server took the reward mail")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "shopify_order"
        unique_together = (("tenant", "shop", "order_id"),)


class ShopifyDataRequest(TenantModel):
    """A customer's data request (``customers/data_request``) and the export made for the retailer to hand over."""

    id = fields.UUIDField(primary_key=True)
    shop = fields.CharField(max_length=255)
    request_id = fields.CharField(max_length=40, null=True)
    customer_id = fields.CharField(max_length=20, null=True)
    email_hash = fields.CharField(max_length=64, null=True)
    export: Any = fields.JSONField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "shopify_data_request"

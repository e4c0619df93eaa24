"""Paid orders → email invitations: the store an order belongs to, the lawful basis, and the delayed invitation job.

``orders/paid`` (:func:`order_paid`) keeps an order only when it can lead to an invitation: the tenant mapped its POS
location (or the online store) to a Pejling store, the customer gave an email address, the retailer has a lawful
basis (the customer's email marketing consent on the order, or the retailer's legitimate-interest setting) and the
address is not on the tenant's suppression list. The invitation itself is sent by the ``shopify.invite`` job at the
configured delay, once per order, through core's :func:`~pejling.core.surveys.invitations.send_invitation` (which
checks the suppression list again and queues the mail with its one-click unsubscribe). Where the tenant set a reward
at that moment, the address is sealed again for the reward mail (:mod:`.reward_mail`) and forgotten at the latest
when the invitation expires; otherwise no address is kept once the invitation is sent.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from pejling.core.jobs.queue import enqueue
from pejling.core.jobs.registry import PermanentJobError, register_job
from pejling.core.mail import EMAIL_ADDRESS
from pejling.core.secrets_at_rest import SealedSecretError, seal, unseal
from pejling.core.settings import Settings, shopper_base_url
from pejling.core.surveys.channels import channel_registry
from pejling.core.surveys.invitations import InvitationRefused, send_invitation
from pejling.core.surveys.suppressions import is_suppressed, normalise
from pejling.plugins.shopify.models import OrderStatus, ShopifyOrder, ShopifyShop
from pejling.plugins.shopify.reward_mail import schedule_forgetting, seal_reward_email
from pejling.plugins.shopify.tenant_settings import ShopifySettings
from pejling.tenants.models import Store
from pejling.tenants.scope import current_tenant_id

log = logging.getLogger(__name__)

INVITE_JOB = "shopify.invite"
MARKETING_CONSENT = "marketing_consent"
LEGITIMATE_INTEREST = "legitimate_interest"


def email_hash(tenant_id: UUID, email: str) -> str:
    """How an order remembers its customer's address for privacy requests: a hash, per tenant."""
    return hashlib.sha256(f"shopify-customer:{tenant_id}:{normalise('email', email)}".encode()).hexdigest()


def email_purpose(tenant_id: UUID, order_row_id: UUID) -> str:
    """What an order's sealed address is bound to."""
    return f"shopify-order-email:{tenant_id}:{order_row_id}"


def json_object(value: object) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one (webhook payloads are read defensively)."""
    return value if isinstance(value, dict) else {}


def customer_email(order: dict[str, Any]) -> str | None:
    """The order's email address (the order's own, else its customer's), when it looks like one."""
    customer = json_object(order.get("customer"))
    for value in (order.get("email"), order.get("contact_email"), customer.get("email")):
        if isinstance(value, str) and len(value.strip()) <= 254 and EMAIL_ADDRESS.match(value.strip()):
            return value.strip()
    return None


def lawful_basis(order: dict[str, Any], config: ShopifySettings) -> str | None:
    """Why the retailer may invite this customer: their email marketing consent, the retailer's legitimate interest,
    or ``None`` (then no invitation)."""
    customer = json_object(order.get("customer"))
    consent = customer.get("email_marketing_consent")
    if (
        order.get("buyer_accepts_marketing") is True
        or customer.get("accepts_marketing") is True
        or isinstance(consent, dict) and consent.get("state") == "subscribed"
    ):
        return MARKETING_CONSENT
    return LEGITIMATE_INTEREST if config.legitimate_interest else None


def _id_text(value: object) -> str | None:
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    return text if isinstance(text, str) and text.isdigit() and len(text) <= 20 else None


async def order_paid(settings: Settings, shop: ShopifyShop, order: dict[str, Any],
                     config: ShopifySettings | None) -> str:
    """Schedule the invitation of a paid order where there is a store, an address and a lawful basis.

    Runs in the tenant's scope; returns what was done (``scheduled`` or why not), for the log and the tests.
    """
    if config is None:
        return "plugin_disabled"
    if shop.uninstalled_at is not None:
        return "uninstalled"
    order_id = _id_text(order.get("id"))
    if order_id is None:
        return "no_order_id"
    email = customer_email(order)
    if email is None:
        return "no_email"
    basis = lawful_basis(order, config)
    if basis is None:
        return "no_lawful_basis"
    slug = config.store_for(order.get("location_id"))
    store = await Store.get_or_none(slug=slug) if slug else None
    if store is None:
        return "no_store"
    tenant_id = current_tenant_id()
    if await is_suppressed(tenant_id, "email", email):
        return "suppressed"
    if await ShopifyOrder.exists(shop=shop.shop, order_id=order_id):
        return "already_scheduled"
    customer = json_object(order.get("customer"))
    row_id = uuid.uuid4()
    invite_at = datetime.now(UTC) + timedelta(minutes=config.invitation_delay_minutes)
    try:
        async with in_transaction():
            await ShopifyOrder.create(
                id=row_id, shop=shop.shop, order_id=order_id, customer_id=_id_text(customer.get("id")),
                email_hash=email_hash(tenant_id, email),
                sealed_email=seal(email, purpose=email_purpose(tenant_id, row_id), settings=settings),
                lawful_basis=basis, store=store, language=store.default_language, invite_at=invite_at,
            )
            await enqueue(INVITE_JOB, {"order": str(row_id)}, tenant_id=tenant_id, run_at=invite_at,
                          idempotency_key=f"{INVITE_JOB}:{row_id}")
    except IntegrityError:
        return "already_scheduled"  # the same order, scheduled a moment ago by another delivery
    return "scheduled"


async def _skip(order: ShopifyOrder, reason: str) -> None:
    await ShopifyOrder.filter(id=order.id, status=OrderStatus.SCHEDULED).update(
        status=OrderStatus.SKIPPED, skipped_because=reason, sealed_email=None)


@register_job(INVITE_JOB, timeout_seconds=120, needs_plugins=True)
async def send_order_invitation(payload: dict[str, Any], plugins: Any) -> None:
    """Send the invitation of one scheduled order (once: an order already invited or skipped is left alone)."""
    try:
        order = await ShopifyOrder.get_or_none(id=UUID(str(payload.get("order"))))
    except ValueError:
        raise PermanentJobError("the payload names no order") from None
    if order is None or order.status != OrderStatus.SCHEDULED or order.sealed_email is None:
        return
    shop = await ShopifyShop.get_or_none(shop=order.shop)
    if shop is None or shop.uninstalled_at is not None:
        await _skip(order, "uninstalled")
        return
    tenant_id = current_tenant_id()
    enabled = (await plugins.enabled_plugins(tenant_id)).get("shopify")
    if enabled is None:
        await _skip(order, "plugin_disabled")  # the retailer turned the integration off meanwhile
        return
    config = enabled.settings if isinstance(enabled.settings, ShopifySettings) else None
    rewarded = config is not None and config.reward_percent is not None
    settings: Settings = plugins.settings
    try:
        email = unseal(order.sealed_email, purpose=email_purpose(tenant_id, order.id), settings=settings)
    except SealedSecretError:
        await _skip(order, "unreadable")
        raise PermanentJobError("the order's address does not open with the current keys") from None
    store = await Store.get(id=order.store_id)
    channels = await channel_registry(plugins).for_tenant(tenant_id)
    try:
        async with in_transaction():
            invitation = await send_invitation(channels, store, channel="email", recipient=email,
                                               language=order.language, base_url=shopper_base_url(settings))
            # Only where a reward is set does the address outlive the invitation: sealed for the reward mail.
            reward_email = seal_reward_email(settings, tenant_id, order.id, email) if rewarded else None
            await ShopifyOrder.filter(id=order.id, status=OrderStatus.SCHEDULED).update(
                status=OrderStatus.INVITED, invitation_id=invitation.id, sealed_email=None,
                sealed_reward_email=reward_email)
            if rewarded:
                await schedule_forgetting(order.id, invitation.expires_at)
    except InvitationRefused as exc:
        if exc.code == "not_delivered":
            raise  # the mail could not be queued: retry
        await _skip(order, exc.code)
        log.info("the invitation of a Shopify order was not sent: %s", exc.code)

"""Shopify's mandatory privacy webhooks: a customer's data request, a customer's erasure and a shop's erasure.

What Pejling holds about a Shopify customer is the orders it scheduled invitations for (order id, customer id, a hash
of the address, the store, the reward code, the address sealed for the reward mail until it is sent) and the
responses given through those invitations. ``customers/data_request`` writes all of it into an export the retailer
sees (``GET /plugins/shopify/data-requests``) and hands to the customer (that a reward address is held, not the
address); ``customers/redact`` erases it (responses through :func:`pejling.core.surveys.erasure.erase_response`, so
the rollups lose them too); ``shop/redact`` erases everything of the shop, the shop itself included.
"""

from __future__ import annotations

import logging
from typing import Any

from tortoise.expressions import Q

from pejling.core.surveys.erasure import erase_response, export_shopper_data
from pejling.core.surveys.models import Invitation, Response
from pejling.plugins.shopify.models import ShopifyDataRequest, ShopifyOrder, ShopifyShop, ShopifyWebhook
from pejling.plugins.shopify.orders import customer_email, email_hash, json_object
from pejling.tenants.models import Store
from pejling.tenants.scope import current_tenant_id

log = logging.getLogger(__name__)

MAX_ORDERS = 1000
"""Order ids one request may name (Shopify sends the customer's orders; more than this is not a real request)."""


def _ids(values: object) -> list[str]:
    if not isinstance(values, list):
        return []
    return [str(v) for v in values[:MAX_ORDERS] if isinstance(v, int | str) and str(v).isdigit() and len(str(v)) <= 20]


def _customer(payload: dict[str, Any]) -> tuple[str | None, str | None]:
    """The customer id and the hash of the address a request names."""
    customer = json_object(payload.get("customer"))
    raw_id = customer.get("id")
    customer_id = str(raw_id) if isinstance(raw_id, int | str) and str(raw_id).isdigit() else None
    email = customer_email({"email": customer.get("email")})
    return customer_id, email_hash(current_tenant_id(), email) if email else None


async def customer_orders(shop: str, payload: dict[str, Any], orders_key: str) -> list[ShopifyOrder]:
    """The orders of a shop a privacy request is about: by customer id, by address or by order id."""
    customer_id, hashed = _customer(payload)
    order_ids = _ids(payload.get(orders_key))
    match = Q(order_id__in=order_ids) if order_ids else Q(id__isnull=True)
    if customer_id:
        match |= Q(customer_id=customer_id)
    if hashed:
        match |= Q(email_hash=hashed)
    return await ShopifyOrder.filter(Q(shop=shop) & match).order_by("created_at")


async def _responses(orders: list[ShopifyOrder]) -> list[Response]:
    invitations = [o.invitation_id for o in orders if o.invitation_id is not None]
    return await Response.filter(invitation_id__in=invitations).order_by("submitted_at") if invitations else []


async def data_request(shop: ShopifyShop, payload: dict[str, Any]) -> ShopifyDataRequest:
    """Export what is held about the customer (``customers/data_request``) for the retailer to hand over."""
    customer_id, hashed = _customer(payload)
    orders = await customer_orders(shop.shop, payload, "orders_requested")
    stores = {s.id: s.name for s in await Store.filter(id__in={o.store_id for o in orders})} if orders else {}
    by_invitation: dict[Any, list[dict[str, Any]]] = {}
    for response in await _responses(orders):
        by_invitation.setdefault(response.invitation_id, []).append(await export_shopper_data(response))
    request = json_object(payload.get("data_request"))
    export = {
        "shop": shop.shop,
        "customer_id": customer_id,
        "orders": [
            {
                "order_id": o.order_id,
                "store": stores.get(o.store_id),
                "lawful_basis": o.lawful_basis,
                "invitation": o.status,
                "invitation_scheduled_for": o.invite_at.isoformat(),
                "reward_code": o.reward_code,
                # The address itself stays sealed (the retailer and the customer know it): only that it is held.
                "reward_email_held": o.sealed_reward_email is not None,
                "reward_mailed_at": o.reward_mailed_at.isoformat() if o.reward_mailed_at else None,
                "responses": by_invitation.get(o.invitation_id, []) if o.invitation_id else [],
            }
            for o in orders
        ],
    }
    raw_request_id = request.get("id")
    return await ShopifyDataRequest.create(
        shop=shop.shop, request_id=str(raw_request_id)[:40] if raw_request_id is not None else None,
        customer_id=customer_id, email_hash=hashed, export=export,
    )


async def _erase_orders(orders: list[ShopifyOrder]) -> int:
    responses = await _responses(orders)
    for response in responses:
        await erase_response(response)
    invitations = [o.invitation_id for o in orders if o.invitation_id is not None]
    if invitations:
        await Invitation.filter(id__in=invitations).delete()
    if orders:
        await ShopifyOrder.filter(id__in=[o.id for o in orders]).delete()
    return len(responses)


async def redact_customer(shop: ShopifyShop, payload: dict[str, Any]) -> int:
    """Erase what is held about the customer (``customers/redact``); returns how many responses were erased."""
    customer_id, hashed = _customer(payload)
    erased = await _erase_orders(await customer_orders(shop.shop, payload, "orders_to_redact"))
    match = Q(customer_id=customer_id) if customer_id else Q(id__isnull=True)
    if hashed:
        match |= Q(email_hash=hashed)
    await ShopifyDataRequest.filter(Q(shop=shop.shop) & match).delete()
    log.info("erased a Shopify customer's data of tenant %s (%d responses)", current_tenant_id(), erased)
    return erased


async def redact_shop(shop: ShopifyShop) -> int:
    """Erase everything of the shop (``shop/redact``, 48 hours after it uninstalled the app)."""
    erased = await _erase_orders(await ShopifyOrder.filter(shop=shop.shop))
    await ShopifyDataRequest.filter(shop=shop.shop).delete()
    await ShopifyWebhook.filter(shop=shop.shop).delete()
    await ShopifyShop.filter(id=shop.id).delete()
    log.info("erased the Shopify shop of tenant %s (%d responses)", current_tenant_id(), erased)
    return erased

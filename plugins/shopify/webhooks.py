"""``POST /webhooks/shopify``: Shopify's webhooks, verified on the raw body and handled once per webhook id.

A delivery whose ``X-Shopify-Hmac-SHA256`` is not the body's HMAC (the app's client secret) is refused with 401 before
anything is read from it. A webhook id already handled is answered 200 and changes nothing (Shopify retries, and a
replayed delivery is the same delivery). Topics: ``orders/paid`` (:mod:`.orders`), ``app/uninstalled`` (the access
token is forgotten, scheduled invitations are not sent) and the privacy topics (:mod:`.privacy`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route
from tortoise.exceptions import IntegrityError

from pejling.core import security_events
from pejling.core.settings import Settings
from pejling.plugins.shopify import orders, privacy
from pejling.plugins.shopify.app_settings import app_settings
from pejling.plugins.shopify.models import ShopifyShop, ShopifyWebhook
from pejling.plugins.shopify.signatures import body_signed, valid_shop
from pejling.plugins.shopify.tenant_settings import ShopifySettings
from pejling.tenants.scope import all_tenants, tenant_scope

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/shopify"
MAX_BODY_BYTES = 1024 * 1024
PLUGIN = "shopify"

Topic = Callable[[Settings, ShopifyShop, dict[str, Any], ShopifySettings | None], Awaitable[object]]


async def _order_paid(settings: Settings, shop: ShopifyShop, payload: dict[str, Any],
                      config: ShopifySettings | None) -> object:
    return await orders.order_paid(settings, shop, payload, config)


async def _uninstalled(settings: Settings, shop: ShopifyShop, payload: dict[str, Any],
                       config: ShopifySettings | None) -> object:
    await ShopifyShop.filter(id=shop.id).update(sealed_token=None, uninstalled_at=datetime.now(UTC))
    return "uninstalled"


async def _data_request(settings: Settings, shop: ShopifyShop, payload: dict[str, Any],
                        config: ShopifySettings | None) -> object:
    return await privacy.data_request(shop, payload)


async def _customer_redact(settings: Settings, shop: ShopifyShop, payload: dict[str, Any],
                           config: ShopifySettings | None) -> object:
    return await privacy.redact_customer(shop, payload)


async def _shop_redact(settings: Settings, shop: ShopifyShop, payload: dict[str, Any],
                       config: ShopifySettings | None) -> object:
    return await privacy.redact_shop(shop)


TOPICS: dict[str, Topic] = {
    "orders/paid": _order_paid,
    "app/uninstalled": _uninstalled,
    "customers/data_request": _data_request,
    "customers/redact": _customer_redact,
    "shop/redact": _shop_redact,
}


def _answer(status: int, **body: Any) -> JSONResponse:
    return JSONResponse(body, status_code=status)


async def receive_webhook(request: Request) -> JSONResponse:
    """Verify, deduplicate and handle one webhook delivery."""
    app = app_settings()
    if not app.configured:
        return _answer(404, error="not_found", message="Not found.")
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        return _answer(413, error="too_large", message="The webhook body is too large.")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return _answer(413, error="too_large", message="The webhook body is too large.")
    if not body_signed(app.client_secret.get_secret_value(), body, request.headers.get("x-shopify-hmac-sha256")):
        security_events.refused("webhook_signature", request.scope, "shopify")
        return _answer(401, error="invalid_signature", message="The webhook is not signed by Shopify.")
    topic = request.headers.get("x-shopify-topic", "")
    shop_domain = request.headers.get("x-shopify-shop-domain", "")
    webhook_id = request.headers.get("x-shopify-webhook-id", "")
    if not valid_shop(shop_domain) or not webhook_id or len(webhook_id) > 100:
        return _answer(400, error="invalid_webhook", message="The shop domain or webhook id is missing.")
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        return _answer(400, error="invalid_webhook", message="The webhook body is not a JSON object.")
    handler = TOPICS.get(topic)
    with all_tenants():
        shop = await ShopifyShop.get_or_none(shop=shop_domain)
    if handler is None or shop is None:
        return _answer(200, handled=False)  # a topic we do not use, or a shop we hold nothing about
    settings: Settings = request.app.state.settings
    plugins = request.app.state.plugins
    enabled = (await plugins.enabled_plugins(shop.tenant_id)).get(PLUGIN)
    config = enabled.settings if enabled is not None and isinstance(enabled.settings, ShopifySettings) else None
    with tenant_scope(shop.tenant_id):
        if await ShopifyWebhook.exists(webhook_id=webhook_id):
            return _answer(200, handled=False, duplicate=True)
        try:
            claim = await ShopifyWebhook.create(webhook_id=webhook_id, topic=topic, shop=shop_domain)
        except IntegrityError:
            return _answer(200, handled=False, duplicate=True)
        try:
            outcome = await handler(settings, shop, payload, config)
        except Exception:
            await ShopifyWebhook.filter(id=claim.id).delete()  # not handled: Shopify's retry must be taken
            log.exception("the Shopify webhook %s of %s failed", topic, shop_domain)
            return _answer(500, error="failed", message="The webhook could not be handled; send it again.")
    log.info("Shopify webhook %s of tenant %s: %s", topic, shop.tenant_id,
             outcome if isinstance(outcome, str) else "done")
    return _answer(200, handled=True)


def webhook_routes() -> list[BaseRoute]:
    """The webhook route (served at the app's root)."""
    return [Route(WEBHOOK_PATH, receive_webhook, methods=["POST"])]

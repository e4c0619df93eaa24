"""Rewards: a one-time discount code made through Shopify's Admin GraphQL API (``discountCodeBasicCreate``).

After a completed response through a Shopify invitation, when the tenant set ``reward_percent``, the shop gets a
basic code discount of that many percent on everything, usable once, valid ``reward_valid_days``; the code is the
:class:`~pejling.core.contracts.Reward` shown on the thank-you screen. An order earns one code: asked again, the
stored code is given back and nothing new is made in the shop. Where the order kept its address for it, the code is
also mailed (:func:`pejling.plugins.shopify.reward_mail.queue_reward_mail`, through the job queue).
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from pejling.core.contracts import Reward, ShopperResponse
from pejling.core.outbound_http import outbound_client
from pejling.core.secrets_at_rest import SealedSecretError, unseal
from pejling.core.settings import Settings, get_settings
from pejling.core.surveys.models import Response
from pejling.plugins.shopify.app_settings import app_settings
from pejling.plugins.shopify.install import token_purpose
from pejling.plugins.shopify.models import ShopifyOrder, ShopifyShop
from pejling.plugins.shopify.reward_mail import queue_reward_mail
from pejling.plugins.shopify.tenant_settings import ShopifySettings
from pejling.tenants.plugin_settings import PluginSetting
from pejling.tenants.scope import current_tenant_id

log = logging.getLogger(__name__)

DISCOUNT_CODE_BASIC_CREATE = """
mutation discountCodeBasicCreate($basicCodeDiscount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}
"""

TEXTS = {
    "da": "{percent} % rabat på dit næste køb hos {shop}",
    "nb": "{percent} % rabatt på ditt neste kjøp hos {shop}",
    "sv": "{percent} % rabatt på ditt nästa köp hos {shop}",
    "en": "{percent}% off your next purchase at {shop}",
}


_settings: Settings | None = None


def use_settings(settings: Settings) -> None:
    """The process settings whose keys opened the shops' tokens (given when the plugin is loaded)."""
    global _settings
    _settings = settings


class DiscountNotCreated(Exception):
    """Shopify did not create the discount (an error answer or ``userErrors``)."""


def discount_input(code: str, percent: int, starts_at: datetime, ends_at: datetime) -> dict[str, Any]:
    """The ``DiscountCodeBasicInput`` of a one-time percentage code on every product."""
    return {
        "title": f"Pejling thank-you {code}",
        "code": code,
        "startsAt": starts_at.isoformat(),
        "endsAt": ends_at.isoformat(),
        "customerSelection": {"all": True},
        "customerGets": {"value": {"percentage": percent / 100}, "items": {"all": True}},
        "appliesOncePerCustomer": True,
        "usageLimit": 1,
    }


async def create_discount_code(shop: str, access_token: str, variables: dict[str, Any]) -> str:
    """Create the discount in the shop; returns its ``DiscountCodeNode`` id."""
    app = app_settings()
    url = app.shop_url(shop, f"/admin/api/{app.api_version}/graphql.json")
    async with outbound_client(timeout=15) as client:
        answer = await client.post(url, json={"query": DISCOUNT_CODE_BASIC_CREATE, "variables": variables},
                                   headers={"X-Shopify-Access-Token": access_token})
    if answer.status_code != 200:
        raise DiscountNotCreated(f"Shopify answered {answer.status_code}")
    body = answer.json()
    result = (body.get("data") or {}).get("discountCodeBasicCreate") or {}
    if body.get("errors") or result.get("userErrors") or not (result.get("codeDiscountNode") or {}).get("id"):
        messages = [e.get("message") for e in (body.get("errors") or result.get("userErrors") or [])]
        raise DiscountNotCreated(f"Shopify refused the discount: {messages}")
    return str(result["codeDiscountNode"]["id"])


def _reward(order: ShopifyOrder, percent: int) -> Reward:
    return Reward(code=str(order.reward_code),
                  description={k: v.format(percent=percent, shop=order.shop) for k, v in TEXTS.items()},
                  expires_at=order.reward_expires_at)


async def reward_for(response: ShopperResponse) -> Reward | None:
    """The discount code a response through a Shopify invitation earns (in the response's tenant scope)."""
    if response.channel != "email":
        return None  # Shopify orders invite by email: any other response costs no query here
    stored = await Response.get_or_none(id=response.id)
    if stored is None or stored.invitation_id is None:
        return None
    order = await ShopifyOrder.get_or_none(invitation_id=stored.invitation_id)
    if order is None:
        return None
    row = await PluginSetting.get_or_none(plugin="shopify")
    config = ShopifySettings.model_validate(row.config if row is not None else {})
    if config.reward_percent is None:
        return None
    if order.reward_code:
        # Queued once per order: asking again only catches a queueing that failed the first time.
        await queue_reward_mail(order, language=response.language, percent=config.reward_percent)
        return _reward(order, config.reward_percent)
    shop = await ShopifyShop.get_or_none(shop=order.shop)
    if shop is None or shop.sealed_token is None:
        return None
    try:
        token = unseal(shop.sealed_token, purpose=token_purpose(current_tenant_id(), shop.shop),
                       settings=_settings or get_settings())
    except SealedSecretError:
        log.warning("the Shopify access token of %s does not open with the current keys", shop.shop)
        return None
    code = f"PEJLING-{secrets.token_hex(5).upper()}"
    now = datetime.now(UTC)
    ends = now + timedelta(days=config.reward_valid_days)
    try:
        await create_discount_code(shop.shop, token, {"basicCodeDiscount": discount_input(
            code, config.reward_percent, now, ends)})
    except (DiscountNotCreated, httpx.HTTPError, ValueError) as exc:
        log.warning("no reward code from %s: %s", shop.shop, exc)
        return None
    claimed = await ShopifyOrder.filter(id=order.id, reward_code__isnull=True).update(
        reward_code=code, reward_expires_at=ends)
    order = await ShopifyOrder.get(id=order.id)
    if not claimed:
        log.info("a reward code of %s was made twice for one order; the first is kept", shop.shop)
    await queue_reward_mail(order, language=response.language, percent=config.reward_percent)
    return _reward(order, config.reward_percent)

"""Built-in plugin ``shopify``: Pejling as a Shopify app (docs/shopify.md).

A retailer installs the app on its shop (OAuth, :mod:`.install`); paid orders then lead to email invitations after a
delay, where the retailer has a lawful basis (:mod:`.orders`, fed by :mod:`.webhooks`); a completed response through
such an invitation may earn a one-time discount code (:mod:`.discounts`); Shopify's privacy webhooks export and erase
what is held about a customer or a shop (:mod:`.privacy`). The app's credentials are process settings
(:mod:`.app_settings`, ``PEJLING_SHOPIFY_…``); what a tenant configures is :class:`.tenant_settings.ShopifySettings`.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel
from starlette.routing import BaseRoute

from pejling.core.contracts import Integration, Reward, ShopperResponse
from pejling.core.dev_only import DevSwitch
from pejling.core.hookspecs import hookimpl
from pejling.core.settings import Settings
from pejling.plugins.shopify import discounts
from pejling.plugins.shopify.app_settings import app_settings
from pejling.plugins.shopify.install import install_routes
from pejling.plugins.shopify.retailer_routes import retailer_routes
from pejling.plugins.shopify.tenant_settings import ShopifySettings
from pejling.plugins.shopify.webhooks import webhook_routes
from pejling.tenants.scope import tenant_scope


class Shopify(Integration):
    """The Shopify integration: install, paid orders → invitations, rewards, privacy webhooks."""

    id = "shopify"
    name = "Shopify"
    config_schema = ShopifySettings


@hookimpl
def register_integrations(settings: Settings) -> list[Integration]:
    discounts.use_settings(settings)
    return [Shopify()]


@hookimpl
def register_dev_switches() -> list[DevSwitch]:
    return [DevSwitch("PEJLING_SHOPIFY_API_BASE=http://…", "shops over plain http (the tests' local shop)",
                      app_settings().api_base.startswith("http://"))]


@hookimpl
def register_model_apps() -> dict[str, dict[str, Any]]:
    return {"shopify": {"models": ["pejling.plugins.shopify.models"],
                        "migrations": "pejling.plugins.shopify.migrations"}}


@hookimpl
def register_plugin_settings() -> type[BaseModel]:
    return ShopifySettings


@hookimpl
def register_app_routes() -> list[BaseRoute]:
    return [*install_routes(), *webhook_routes()]


@hookimpl
def register_routes() -> list[BaseRoute]:
    return retailer_routes()


@hookimpl
async def reward_for_response(tenant_id: UUID, response: ShopperResponse) -> Reward | None:
    """A one-time discount code for a completed response through a Shopify invitation (when the tenant wants it)."""
    with tenant_scope(tenant_id):
        return await discounts.reward_for(response)

"""Built-in plugin ``billing``: Stripe subscriptions, plans and the entitlements they give (docs/billing.md).

It serves ``POST /webhooks/stripe``, marks shopper responses stored over the plan's monthly quota, and runs
``pejling billing sync``. Without ``PEJLING_STRIPE_SECRET_KEY`` and ``PEJLING_STRIPE_WEBHOOK_SECRET`` every tenant is
shown the Pilot plan with billing "not configured" and no limit is enforced; ``PEJLING_PLUGINS_DISABLED=billing``
removes it altogether.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from starlette.routing import BaseRoute, Route

from pejling.core.contracts import ShopperResponse
from pejling.core.dev_only import DevSwitch
from pejling.core.hookspecs import hookimpl
from pejling.core.settings import Settings
from pejling.plugins.billing import stripe_events  # noqa: F401 - registers the job kind
from pejling.plugins.billing.entitlements import mark_if_over_quota
from pejling.plugins.billing.stripe_settings import stripe_settings
from pejling.plugins.billing.stripe_webhook import stripe_webhook
from pejling.tenants.models import Tenant
from pejling.tenants.scope import all_tenants

#: A tenant cannot switch billing off for itself (that would lift its plan's limits); the operator can, for the install.
TENANTS_CANNOT_DISABLE = ("billing applies your plan's limits; the operator of this install can run it without billing "
                          "(PEJLING_PLUGINS_DISABLED=billing)")


@hookimpl
def register_model_apps() -> dict[str, dict[str, Any]]:
    return {"billing": {"models": ["pejling.plugins.billing.models"],
                        "migrations": "pejling.plugins.billing.migrations"}}


@hookimpl
def register_dev_switches() -> list[DevSwitch]:
    return [DevSwitch("PEJLING_STRIPE_API_BASE=http://…", "Stripe over plain http (the tests' localstripe)",
                      stripe_settings().api_base.startswith("http://"))]


@hookimpl
def register_app_routes() -> list[BaseRoute]:
    return [Route("/webhooks/stripe", stripe_webhook, methods=["POST"])]


@hookimpl
async def responses_received(tenant_id: UUID, responses: Sequence[ShopperResponse]) -> None:
    """Mark each response that is over the month's quota (it is stored either way); the settings and the tenant are
    read once for the batch, and nothing is read at all while billing is not configured."""
    if not stripe_settings().configured:
        return
    with all_tenants():
        tenant = await Tenant.get_or_none(id=tenant_id)
    if tenant is not None:
        for response in responses:
            await mark_if_over_quota(tenant, response.id)


async def run_command(settings: Settings, action: str) -> int:
    """``pejling billing <action>``; ``sync`` is the one action: the plans' Stripe products and prices."""
    from pejling.plugins.billing.catalogue_sync import sync_catalogue

    if action != "sync":
        print(f"error: unknown billing action {action!r}", file=sys.stderr)
        return 2
    if not stripe_settings().secret_key.get_secret_value():
        print("error: billing is not configured: set PEJLING_STRIPE_SECRET_KEY", file=sys.stderr)
        return 2
    for line in await sync_catalogue():
        print(f"{line.plan}: product {line.product}, price {line.price}" + (" (created)" if line.created else ""))
    return 0

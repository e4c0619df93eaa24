"""The plan's limits as typed errors of the mutations where they bite: ``createStore``, ``inviteMember`` and
``enablePlugin`` each call one function here. Nothing is refused when the billing plugin is not loaded."""

from __future__ import annotations

from pejling.graphql.context import Info
from pejling.graphql.errors import UserError
from pejling.plugins.billing import entitlements
from pejling.plugins.billing.entitlements import PlanLimitReached
from pejling.tenants.models import Tenant

PLAN_LIMIT = "plan_limit"
"""The ``code`` of a mutation error the plan's limits cause; the message names the plan that allows it."""


def billing_loaded(info: Info) -> bool:
    """True when this process runs the billing plugin."""
    plugins = info.context.plugins
    return plugins is not None and "billing" in plugins.loaded


def _error(refusal: PlanLimitReached | None) -> UserError | None:
    if refusal is None:
        return None
    return UserError(code=PLAN_LIMIT, message=refusal.message, field=refusal.field)


async def store_refused(info: Info, tenant: Tenant) -> UserError | None:
    """The error for one store too many, or ``None``."""
    return _error(await entitlements.refuse_new_store(tenant)) if billing_loaded(info) else None


async def seat_refused(info: Info, tenant: Tenant) -> UserError | None:
    """The error for one user too many (members and open invitations), or ``None``."""
    return _error(await entitlements.refuse_new_seat(tenant)) if billing_loaded(info) else None


async def plugin_refused(info: Info, tenant: Tenant, name: str) -> UserError | None:
    """The error for a plugin outside the plan, or ``None``."""
    return _error(await entitlements.refuse_plugin(tenant, name)) if billing_loaded(info) else None

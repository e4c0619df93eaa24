"""Built-in plugin ``webhooks``: signed event deliveries to the HTTPS endpoints integrators register.

A tenant's owners and admins register endpoints with the events they want (GraphQL, ``graphql/webhooks``); when
such an event happens — a response arrives (``responses_received``), a follow-up opens (``follow_up_opened``) or
changes status (``follow_up_updated``) — one
delivery per subscribed endpoint is queued as a ``webhooks.deliver`` job, signed with the endpoint's own secret,
retried with back-off and kept in a delivery log. See ``docs/webhooks.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from pejling.core.contracts import ShopperResponse
from pejling.core.dev_only import DevSwitch
from pejling.core.followups.notices import FollowUpNotice
from pejling.core.hookspecs import hookimpl
from pejling.plugins.webhooks import deliveries  # noqa: F401 - registers the webhooks.deliver job kind
from pejling.plugins.webhooks.events import EventType, follow_up_data, publish, publish_each, response_data
from pejling.plugins.webhooks.settings import webhook_settings
from pejling.tenants.scope import tenant_scope


@hookimpl
def register_model_apps() -> dict[str, dict[str, Any]]:
    return {"webhooks": {"models": ["pejling.plugins.webhooks.models"],
                         "migrations": "pejling.plugins.webhooks.migrations"}}


@hookimpl
def register_dev_switches() -> list[DevSwitch]:
    return [DevSwitch("PEJLING_WEBHOOKS_ALLOW_PRIVATE=true", "webhooks to internal addresses and over plain http",
                      webhook_settings().allow_private)]


@hookimpl
async def responses_received(tenant_id: UUID, responses: Sequence[ShopperResponse]) -> None:
    """Queue ``response.created`` for the tenant's subscribed endpoints, one event per response (the endpoints read
    once for the batch)."""
    with tenant_scope(tenant_id):
        await publish_each(tenant_id, EventType.RESPONSE_CREATED, [response_data(r) for r in responses])


@hookimpl
async def follow_up_opened(tenant_id: UUID, follow_up: FollowUpNotice) -> None:
    """Queue ``followup.opened`` for the tenant's subscribed endpoints."""
    with tenant_scope(tenant_id):
        await publish(tenant_id, EventType.FOLLOWUP_OPENED, follow_up_data(follow_up))


@hookimpl
async def follow_up_updated(tenant_id: UUID, follow_up: FollowUpNotice, status: str, previous_status: str) -> None:
    """Queue ``followup.updated`` for the tenant's subscribed endpoints."""
    with tenant_scope(tenant_id):
        await publish(tenant_id, EventType.FOLLOWUP_UPDATED, follow_up_data(follow_up, status, previous_status))

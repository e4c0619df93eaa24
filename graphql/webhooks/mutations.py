"""Register, change, re-key and remove webhook endpoints; send a delivery again. Owners and admins only.

Every failure is a typed error and changes nothing. The signing secret is in the answer of
``createWebhookEndpoint`` and ``rotateWebhookSecret`` only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar
from uuid import UUID

import strawberry

from pejling.graphql.context import Info
from pejling.graphql.errors import UserError
from pejling.graphql.permissions import mutation_guard
from pejling.graphql.relay_ids import decode_id
from pejling.graphql.tenants.mutations import DeletePayload
from pejling.graphql.webhooks.types import (
    WebhookDeliveryPayload,
    WebhookDeliveryType,
    WebhookEndpointPayload,
    WebhookEndpointType,
    WebhookEventType,
)
from pejling.plugins.webhooks import deliveries, endpoints
from pejling.plugins.webhooks.endpoints import EndpointRefused
from pejling.plugins.webhooks.models import WebhookAttempt, WebhookDelivery
from pejling.tenants.scope import tenant_scope

PLUGIN = "webhooks"
MAX_EVENTS = 20
T = TypeVar("T")


@strawberry.input(description="A new webhook endpoint.")
class WebhookEndpointInput:
    url: str = strawberry.field(description="An https URL on a public address.")
    events: list[WebhookEventType]
    description: str = ""


@strawberry.input(description="What to change on an endpoint; what is left out stays.")
class WebhookEndpointUpdate:
    id: strawberry.ID
    url: str | None = None
    events: list[WebhookEventType] | None = None
    description: str | None = None
    enabled: bool | None = None


def _refused(exc: EndpointRefused) -> UserError:
    return UserError(code=exc.code, message=exc.message, field=exc.field)


async def _guarded(info: Info, work: Callable[[UUID], Awaitable[T]]) -> tuple[T | None, list[UserError]]:
    """Run ``work(tenant_id)`` in the tenant's scope for an owner or admin with the plugin on; else the errors."""
    tenant, error = mutation_guard(info)
    if error or tenant is None:
        return None, [error] if error else []
    plugins = info.context.plugins
    if plugins is not None and PLUGIN not in await plugins.enabled_plugins(tenant.id):
        return None, [UserError(code="forbidden", message="Switch the webhooks plugin on first.", field=None)]
    try:
        with tenant_scope(tenant.id):
            return await work(tenant.id), []
    except EndpointRefused as exc:
        return None, [_refused(exc)]


def _events(values: list[WebhookEventType] | None) -> list[str] | None:
    if values is None:
        return None
    if len(values) > MAX_EVENTS:
        raise EndpointRefused("invalid", f"Give at most {MAX_EVENTS} events.", "events")
    return [v.value for v in values]


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(description="Register an endpoint for some events. The answer holds its signing secret, "
                         "shown this once. The URL must be https and resolve to public addresses only.")
    async def create_webhook_endpoint(self, info: Info, input: WebhookEndpointInput) -> WebhookEndpointPayload:
        async def work(tenant_id: UUID) -> WebhookEndpointPayload:
            endpoint, secret = await endpoints.create_endpoint(tenant_id, input.url, _events(input.events) or [],
                                                               input.description)
            return WebhookEndpointPayload(endpoint=WebhookEndpointType.of(endpoint), secret=secret)

        done, errors = await _guarded(info, work)
        return done or WebhookEndpointPayload(errors=errors)

    @strawberry.mutation(description="Change an endpoint's URL (checked again), events, description or whether it "
                         "is on.")
    async def update_webhook_endpoint(self, info: Info, input: WebhookEndpointUpdate) -> WebhookEndpointPayload:
        async def work(tenant_id: UUID) -> WebhookEndpointPayload:
            endpoint = await endpoints.get_endpoint(decode_id(input.id, "WebhookEndpoint"))
            changed = await endpoints.update_endpoint(endpoint, url=input.url, events=_events(input.events),
                                                      description=input.description, enabled=input.enabled)
            return WebhookEndpointPayload(endpoint=WebhookEndpointType.of(changed))

        done, errors = await _guarded(info, work)
        return done or WebhookEndpointPayload(errors=errors)

    @strawberry.mutation(description="Give an endpoint a new signing secret, shown this once. The old one stops "
                         "signing at once, or with keepOldHours (at most 72) deliveries carry a second signature made "
                         "with it until then, so a receiver can switch over without refusing any.")
    async def rotate_webhook_secret(self, info: Info, id: strawberry.ID,
                                    keep_old_hours: int = 0) -> WebhookEndpointPayload:
        async def work(tenant_id: UUID) -> WebhookEndpointPayload:
            endpoint, secret = await endpoints.rotate_secret(
                await endpoints.get_endpoint(decode_id(id, "WebhookEndpoint")), keep_old_hours)
            return WebhookEndpointPayload(endpoint=WebhookEndpointType.of(endpoint), secret=secret)

        done, errors = await _guarded(info, work)
        return done or WebhookEndpointPayload(errors=errors)

    @strawberry.mutation(description="Remove an endpoint and its delivery log.")
    async def delete_webhook_endpoint(self, info: Info, id: strawberry.ID) -> DeletePayload:
        async def work(tenant_id: UUID) -> DeletePayload:
            await endpoints.delete_endpoint(await endpoints.get_endpoint(decode_id(id, "WebhookEndpoint")))
            return DeletePayload(deleted_id=id)

        done, errors = await _guarded(info, work)
        return done or DeletePayload(errors=errors)

    @strawberry.mutation(description="Send a delivery once more, now: the same event id and body, signed afresh.")
    async def redeliver_webhook(self, info: Info, delivery: strawberry.ID) -> WebhookDeliveryPayload:
        async def work(tenant_id: UUID) -> WebhookDeliveryPayload:
            delivery_id = decode_id(delivery, "WebhookDelivery")
            found = await WebhookDelivery.get_or_none(id=delivery_id) if delivery_id is not None else None
            if found is None:
                raise EndpointRefused("not_found", "No such webhook delivery.", "delivery")
            again = await deliveries.redeliver(found)
            attempts = await WebhookAttempt.filter(delivery_id=again.id)
            return WebhookDeliveryPayload(delivery=WebhookDeliveryType.of(again, list(attempts)))

        done, errors = await _guarded(info, work)
        return done or WebhookDeliveryPayload(errors=errors)

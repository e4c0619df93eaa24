"""GraphQL types of outbound webhooks: endpoints (never their secret), deliveries and their attempts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import strawberry
from strawberry import relay

from pejling.core.auth.actor import READ
from pejling.graphql.context import Info
from pejling.graphql.errors import UserError
from pejling.graphql.relay_ids import encode_id
from pejling.plugins.webhooks import models
from pejling.plugins.webhooks.events import EventType
from pejling.tenants.scope import tenant_scope

# strawberry.enum registers the enums in place; the aliases keep them usable as annotations.
strawberry.enum(EventType, name="WebhookEventType", description="An event an endpoint can subscribe to.")
strawberry.enum(models.DeliveryStatus, name="WebhookDeliveryStatus",
                description="pending → delivered, or retrying until delivered or failed.")
WebhookEventType = EventType
WebhookDeliveryStatus = models.DeliveryStatus


def _still_signing(until: datetime | None) -> datetime | None:
    return until if until is not None and until > datetime.now(UTC) else None


def _uuids(ids: Iterable[str]) -> list[UUID]:
    found = []
    for value in ids:
        try:
            found.append(UUID(value))
        except ValueError:
            continue
    return found


async def _admin_rows(info: Info, model: Any, ids: list[str]) -> list[Any]:
    """The rows of the current tenant with these ids, for an owner or admin; nothing for anyone else."""
    tenant, actor = info.context.tenant, info.context.actor
    if tenant is None or not actor.authenticated or not actor.is_admin or not actor.can(READ):
        return []
    with tenant_scope(tenant.id):
        rows: list[Any] = await model.filter(id__in=_uuids(ids))
    return rows


@strawberry.type(name="WebhookEndpoint", description="An HTTPS address that receives this tenant's events, signed "
                 "with its own secret. The secret is shown once, when made or rotated; here only its fingerprint.")
class WebhookEndpointType(relay.Node):
    id: relay.NodeID[str]
    url: str
    description: str
    events: list[WebhookEventType]
    enabled: bool
    secret_fingerprint: str = strawberry.field(description="A short label of the current signing secret.")
    old_secret_signs_until: datetime | None = strawberry.field(
        description="After a rotation with keepOldHours: until when deliveries are also signed with the old secret.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, endpoint: models.WebhookEndpoint) -> WebhookEndpointType:
        return cls(id=str(endpoint.id), url=endpoint.url,
                   description=endpoint.description,
                   events=[EventType(e) for e in endpoint.events or [] if e in EventType._value2member_map_],
                   enabled=endpoint.enabled, secret_fingerprint=endpoint.secret_fingerprint,
                   old_secret_signs_until=_still_signing(endpoint.previous_secret_until),
                   created_at=endpoint.created_at, updated_at=endpoint.updated_at)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        ids = list(node_ids)
        found = {str(e.id): e for e in await _admin_rows(info, models.WebhookEndpoint, ids)}
        return [cls.of(found[n]) if n in found else None for n in ids]


@strawberry.type(name="WebhookAttempt", description="One try of a delivery.")
class WebhookAttemptType:
    number: int
    at: datetime
    response_code: int | None = strawberry.field(description="The endpoint's HTTP status; null when none came.")
    response_excerpt: str = strawberry.field(description="The start of the endpoint's answer (at most 200 "
                                             "characters; nothing more is kept).")
    error: str | None = strawberry.field(description="Why no answer counted: timeout, refused address, …")
    succeeded: bool

    @classmethod
    def of(cls, attempt: models.WebhookAttempt) -> WebhookAttemptType:
        return cls(number=attempt.number, at=attempt.created_at, response_code=attempt.response_code,
                   response_excerpt=attempt.response_excerpt, error=attempt.error, succeeded=attempt.succeeded)


@strawberry.type(name="WebhookDelivery", description="One event sent to one endpoint, with every attempt.")
class WebhookDeliveryType(relay.Node):
    id: relay.NodeID[str]
    endpoint_id: strawberry.ID
    event_id: strawberry.ID = strawberry.field(description="The event's id: the same for every endpoint it went "
                                               "to, and the same on each attempt (receivers deduplicate on it).")
    event_type: WebhookEventType
    status: WebhookDeliveryStatus
    attempts: int
    last_response_code: int | None
    last_error: str | None
    next_retry_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    attempt_log: list[WebhookAttemptType] = strawberry.field(description="Every attempt, first first.")

    @classmethod
    def of(cls, delivery: models.WebhookDelivery, attempts: list[models.WebhookAttempt]) -> WebhookDeliveryType:
        return cls(id=str(delivery.id),
                   endpoint_id=strawberry.ID(encode_id("WebhookEndpoint", delivery.endpoint_id)),
                   event_id=strawberry.ID(str(delivery.event_id)), event_type=EventType(delivery.event_type),
                   status=models.DeliveryStatus(delivery.status), attempts=delivery.attempts,
                   last_response_code=delivery.last_response_code, last_error=delivery.last_error,
                   next_retry_at=delivery.next_retry_at, delivered_at=delivery.delivered_at,
                   created_at=delivery.created_at,
                   attempt_log=[WebhookAttemptType.of(a) for a in sorted(attempts, key=lambda a: a.number)])

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        ids = list(node_ids)
        found = {str(d.id): d for d in await _admin_rows(info, models.WebhookDelivery, ids)}
        attempts: dict[UUID, list[models.WebhookAttempt]] = {}
        if found:
            with tenant_scope(next(iter(found.values())).tenant_id):
                for attempt in await models.WebhookAttempt.filter(delivery_id__in=[d.id for d in found.values()]):
                    attempts.setdefault(attempt.delivery_id, []).append(attempt)
        return [cls.of(found[n], attempts.get(found[n].id, [])) if n in found else None for n in ids]


@strawberry.type
class WebhookEndpointPayload:
    endpoint: WebhookEndpointType | None = None
    secret: str | None = strawberry.field(default=None, description="The signing secret, on creation and rotation "
                                          "only: store it now, it is never shown again.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class WebhookDeliveryPayload:
    delivery: WebhookDeliveryType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

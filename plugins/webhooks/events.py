"""The events integrators can subscribe to, what each one carries, and turning one into deliveries.

An event is built once (one id, one body) and delivered to every enabled endpoint of the tenant that subscribed
to its type. Bodies carry ids, scores and texts a store team works with, never shopper contact details (the
response's e-mail address is not part of what plugins see, and the follow-up's mail recipients are left out).
"""

from __future__ import annotations

import enum
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from tortoise.transactions import in_transaction

from pejling.core.contracts import ShopperResponse
from pejling.core.followups.notices import FollowUpNotice
from pejling.core.jobs import enqueue
from pejling.plugins.webhooks.models import WebhookDelivery, WebhookEndpoint

DELIVER_JOB = "webhooks.deliver"


class EventType(enum.StrEnum):
    """What happened, as an integrator subscribes to it."""

    RESPONSE_CREATED = "response.created"
    """A shopper submitted a survey response (hook ``response_received``)."""
    FOLLOWUP_OPENED = "followup.opened"
    """An alert rule opened a follow-up (hook ``follow_up_opened``)."""
    FOLLOWUP_UPDATED = "followup.updated"
    """A member acknowledged, resolved or reopened a follow-up (hook ``follow_up_updated``)."""


def _time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _id(value: UUID | None) -> str | None:
    return None if value is None else str(value)


def response_data(response: ShopperResponse) -> dict[str, Any]:
    """The ``data`` of ``response.created``: the response as plugins see it (no contact details)."""
    return {
        "response": {
            "id": str(response.id), "store_id": _id(response.store_id), "zone_id": _id(response.zone_id),
            "channel": response.channel, "language": response.language,
            "submitted_at": _time(response.submitted_at), "comment": response.comment,
            "answers": [{"statement_id": a.statement_id, "value": a.value, "not_applicable": a.not_applicable}
                        for a in response.answers],
        }
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return _time(value)
    if isinstance(value, UUID):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def follow_up_data(follow_up: FollowUpNotice, status: str = "open",
                   previous_status: str | None = None) -> dict[str, Any]:
    """The ``data`` of ``followup.opened`` and ``followup.updated``: the follow-up notice without the staff addresses
    it was mailed to; ``previous_status`` only on an update."""
    data: dict[str, Any] = {
        "follow_up": {
            "id": str(follow_up.id), "store_id": str(follow_up.store_id), "store_name": follow_up.store_name,
            "status": status, "rule_kind": follow_up.rule_kind, "rule_name": follow_up.rule_name,
            "reason": follow_up.reason, "title": follow_up.title, "language": follow_up.language,
            "opened_at": _time(follow_up.opened_at), "url": follow_up.url,
            "response_id": _id(follow_up.response_id), "details": _jsonable(dict(follow_up.details)),
        }
    }
    if previous_status is not None:
        data["previous_status"] = previous_status
    return data


def event_body(event_id: UUID, event_type: EventType, tenant_id: UUID, data: dict[str, Any],
               created: datetime | None = None) -> str:
    """The JSON body of a delivery: ``{"id", "type", "created", "tenant_id", "data"}``, compact, keys sorted."""
    document = {"id": str(event_id), "type": event_type.value, "created": _time(created or datetime.now(UTC)),
                "tenant_id": str(tenant_id), "data": data}
    return json.dumps(document, separators=(",", ":"), sort_keys=True, ensure_ascii=False, allow_nan=False)


async def queue_delivery_attempt(delivery: WebhookDelivery, attempt: int, run_at: datetime | None = None,
                                 key: str | None = None) -> None:
    """Queue attempt number ``attempt`` of a delivery (a job that carries ids only, never a secret)."""
    await enqueue(DELIVER_JOB, {"delivery_id": str(delivery.id), "attempt": attempt}, tenant_id=delivery.tenant_id,
                  run_at=run_at, max_attempts=3, idempotency_key=key or f"{DELIVER_JOB}:{delivery.id}:{attempt}")


async def publish(tenant_id: UUID, event_type: EventType, data: dict[str, Any]) -> list[WebhookDelivery]:
    """Record one event for every enabled endpoint subscribed to ``event_type`` and queue their first attempts.

    Runs in the current tenant scope; returns the deliveries (none when no endpoint wants the event).
    """
    return await publish_each(tenant_id, event_type, [data])


async def publish_each(
    tenant_id: UUID, event_type: EventType, events: Sequence[dict[str, Any]]
) -> list[WebhookDelivery]:
    """:func:`publish` for several events of one type (the endpoints read once): one event per item of ``events``."""
    endpoints = [e for e in await WebhookEndpoint.filter(enabled=True) if event_type.value in (e.events or [])]
    if not endpoints:
        return []
    deliveries = []
    for data in events:
        event_id = uuid.uuid4()
        body = event_body(event_id, event_type, tenant_id, data)
        async with in_transaction():
            for endpoint in endpoints:
                delivery = await WebhookDelivery.create(endpoint_id=endpoint.id, event_id=event_id,
                                                        event_type=event_type.value, body=body)
                await queue_delivery_attempt(delivery, 1)
                deliveries.append(delivery)
    return deliveries

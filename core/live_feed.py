"""The live feed of stored responses: what the ingest announces after a commit, and today's count so far.

After a batch of responses is committed (:mod:`pejling.core.surveys.group_commit`),
:func:`announce_response` publishes a small event on the tenant's topic (:func:`topic_for`) through
:mod:`pejling.core.pubsub`: the response's, store's and zone's global ids, the channel and the times. No shopper
text, no answers, no contact: the feed says *that* a response arrived, the API says what it holds.
:mod:`pejling.core.live_routes` streams these events to the tenant's members. A response written inside a caller's own
transaction (a job, a test: :func:`pejling.core.surveys.group_commit.store_submission`) is not announced: its commit
is the caller's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from strawberry import relay

from pejling.core.pubsub import publish
from pejling.core.surveys.models import Response
from pejling.tenants.models import Store

EVENT = "response"
"""The SSE event name (and ``type``) of one stored response."""


def topic_for(tenant_id: UUID) -> str:
    """The pub/sub topic of a tenant's stored responses."""
    return f"responses:{tenant_id}"


def global_id(type_name: str, value: UUID) -> str:
    """The GraphQL (relay) global id of an object, as the API shows it (``Store``, ``Zone``, ``Response``)."""
    return str(relay.GlobalID(type_name=type_name, node_id=str(value)))


def response_event(response: Response) -> dict[str, Any]:
    """The event of one stored response: ids, channel and times only."""
    return {
        "type": EVENT,
        "id": global_id("Response", response.id),
        "store": global_id("Store", response.store_id),
        "zone": global_id("Zone", response.zone_id) if response.zone_id else None,
        "channel": response.channel,
        "submitted_at": _iso(response.submitted_at),
        "received_at": _iso(response.received_at or datetime.now(UTC)),
    }


def announce_response(response: Response) -> None:
    """Publish a committed response to its tenant's live feed, in the background (a failure is only logged)."""
    publish(topic_for(response.tenant_id), response_event(response))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def start_of_day(timezone: str, now: datetime | None = None) -> datetime:
    """Midnight of today in ``timezone`` (a store's), as a UTC time; an unknown zone counts as UTC."""
    try:
        zone: Any = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    local = (now or datetime.now(UTC)).astimezone(zone)
    return datetime.combine(local.date(), time(0), tzinfo=zone).astimezone(UTC)


async def today_so_far(stores: Iterable[Store], now: datetime | None = None) -> int:
    """Responses submitted since midnight (each store's own time zone) at ``stores``; inside their tenant's scope."""
    by_zone: dict[str, list[UUID]] = {}
    for store in stores:
        by_zone.setdefault(store.timezone, []).append(store.id)
    total = 0
    for timezone, store_ids in by_zone.items():
        total += await Response.filter(
            store_id__in=store_ids, submitted_at__gte=start_of_day(timezone, now)
        ).count()
    return total

"""Registering, changing, re-keying and removing a tenant's webhook endpoints (in the current tenant scope).

Every function refuses with :class:`EndpointRefused` (a code, a message and the field at fault) and then changes
nothing. A new or rotated signing secret is returned once, to be shown once; only its sealed form and fingerprint
are stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from tortoise.transactions import in_transaction

from pejling.core.outbound_addresses import UrlRefused, check_url
from pejling.core.secrets_at_rest import fingerprint, seal
from pejling.plugins.webhooks.deliveries import secret_purpose
from pejling.plugins.webhooks.events import EventType
from pejling.plugins.webhooks.models import WebhookEndpoint
from pejling.plugins.webhooks.settings import webhook_settings
from pejling.plugins.webhooks.signatures import new_secret

#: Endpoints one tenant may register, and the longest description.
MAX_ENDPOINTS = 20
MAX_DESCRIPTION_CHARS = 200


class EndpointRefused(Exception):
    """A change to an endpoint was refused; nothing was changed."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


async def checked_url(url: str) -> str:
    """``url`` when it may receive webhooks now (see :mod:`.addresses`); else ``invalid`` on ``url``."""
    try:
        await check_url(url, allow_private=webhook_settings().allow_private)
    except UrlRefused as exc:
        raise EndpointRefused("invalid", str(exc), "url") from None
    return url.strip()


def checked_events(events: Sequence[str]) -> list[str]:
    """The event types, known and without repeats, in a stable order; ``invalid`` on ``events``."""
    known = {e.value for e in EventType}
    unknown = [e for e in events if e not in known]
    if unknown or not events:
        raise EndpointRefused("invalid", f"Choose one or more of: {', '.join(sorted(known))}.", "events")
    return sorted(set(events))


def checked_description(description: str) -> str:
    text = description.strip()
    if len(text) > MAX_DESCRIPTION_CHARS or any(ord(ch) < 32 for ch in text):
        raise EndpointRefused("invalid", f"Describe the endpoint in at most {MAX_DESCRIPTION_CHARS} characters "
                              "on one line.", "description")
    return text


def _sealed(tenant_id: UUID, endpoint_id: UUID, secret: str) -> dict[str, Any]:
    return {"secret_sealed": seal(secret, purpose=secret_purpose(tenant_id, endpoint_id)),
            "secret_fingerprint": fingerprint(secret)}


async def create_endpoint(tenant_id: UUID, url: str, events: Sequence[str],
                          description: str = "") -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its signing secret (shown once)."""
    wanted_events = checked_events(events)
    text = checked_description(description)
    address = await checked_url(url)
    async with in_transaction():
        if await WebhookEndpoint.all().count() >= MAX_ENDPOINTS:
            raise EndpointRefused("conflict", f"A tenant may have at most {MAX_ENDPOINTS} webhook endpoints.")
        endpoint_id = uuid.uuid4()
        secret = new_secret()
        endpoint = await WebhookEndpoint.create(id=endpoint_id, url=address, events=wanted_events,
                                                description=text, **_sealed(tenant_id, endpoint_id, secret))
    return endpoint, secret


async def get_endpoint(endpoint_id: UUID | None) -> WebhookEndpoint:
    """The current tenant's endpoint with this id; else ``not_found``."""
    found = await WebhookEndpoint.get_or_none(id=endpoint_id) if endpoint_id is not None else None
    if found is None:
        raise EndpointRefused("not_found", "No such webhook endpoint.", "id")
    return found


async def update_endpoint(endpoint: WebhookEndpoint, *, url: str | None = None, events: Sequence[str] | None = None,
                          description: str | None = None, enabled: bool | None = None) -> WebhookEndpoint:
    """Change what is given; the rest stays."""
    changes: dict[str, object] = {}
    if events is not None:
        changes["events"] = checked_events(events)
    if description is not None:
        changes["description"] = checked_description(description)
    if enabled is not None:
        changes["enabled"] = enabled
    if url is not None:
        changes["url"] = await checked_url(url)
    if changes:
        await WebhookEndpoint.filter(id=endpoint.id).update(**changes)
    return await WebhookEndpoint.get(id=endpoint.id)


#: The longest an old secret may keep signing after a rotation.
MAX_GRACE_HOURS = 72


async def rotate_secret(endpoint: WebhookEndpoint, keep_old_hours: int = 0) -> tuple[WebhookEndpoint, str]:
    """Give the endpoint a new signing secret; returns it (shown once).

    With ``keep_old_hours`` (at most :data:`MAX_GRACE_HOURS`), deliveries carry a signature with the old secret too
    until then, so the integrator can switch their receiver over without refusing a delivery; with 0 the old one
    stops at once (and so does any older one still in its grace period).
    """
    if not 0 <= keep_old_hours <= MAX_GRACE_HOURS:
        raise EndpointRefused("invalid", f"Keep the old secret for 0 to {MAX_GRACE_HOURS} hours.", "keepOldHours")
    secret = new_secret()
    changes = _sealed(endpoint.tenant_id, endpoint.id, secret)
    if keep_old_hours:
        changes.update(previous_secret_sealed=endpoint.secret_sealed,
                       previous_secret_until=datetime.now(UTC) + timedelta(hours=keep_old_hours))
    else:
        changes.update(previous_secret_sealed=None, previous_secret_until=None)
    await WebhookEndpoint.filter(id=endpoint.id).update(**changes)
    return await WebhookEndpoint.get(id=endpoint.id), secret


async def delete_endpoint(endpoint: WebhookEndpoint) -> None:
    """Remove the endpoint with its delivery log; attempts still queued find nothing and stop."""
    await endpoint.delete()

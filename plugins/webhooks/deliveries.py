"""Sending a delivery: the ``webhooks.deliver`` job, one attempt per job, with retries and exponential back-off.

Each attempt checks the endpoint's address again (:mod:`pejling.core.outbound_addresses`, the operator's allow-list
included), connects to the checked address (:mod:`pejling.core.outbound_http`), follows no redirect, waits at most
``PEJLING_WEBHOOKS_TIMEOUT_SECONDS`` and keeps at most :data:`EXCERPT_CHARS` of the answer. A 2xx answer delivers;
anything else is recorded and the next attempt is queued after :func:`pejling.core.jobs.queue.retry_delay` of the
attempts so far, until ``PEJLING_WEBHOOKS_MAX_ATTEMPTS``.
"""

from __future__ import annotations

import logging
import secrets
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
from tortoise.transactions import in_transaction

from pejling.core.jobs import PermanentJobError, register_job
from pejling.core.jobs.queue import retry_delay
from pejling.core.outbound_addresses import UrlRefused, parse_url
from pejling.core.outbound_http import outbound_client
from pejling.core.secrets_at_rest import SealedSecretError, unseal
from pejling.plugins.webhooks.events import DELIVER_JOB, queue_delivery_attempt
from pejling.plugins.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from pejling.plugins.webhooks.settings import WebhookSettings, webhook_settings
from pejling.plugins.webhooks.signatures import SIGNATURE_HEADER, signature_header

log = logging.getLogger(__name__)

#: How much of an endpoint's answer is kept (characters), and read (bytes) at most.
EXCERPT_CHARS = 200
READ_BYTES = 1024
USER_AGENT = "Pejling-Webhooks/1"


def secret_purpose(tenant_id: UUID, endpoint_id: UUID) -> str:
    """What an endpoint's sealed secret is bound to: this tenant and this endpoint."""
    return f"webhooks.endpoint:{tenant_id}:{endpoint_id}"


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: a status code and an excerpt of the answer, or an error."""

    status_code: int | None = None
    excerpt: str = ""
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def printable(text: str) -> str:
    """``text`` with control characters (a NUL, which PostgreSQL cannot store, among them) shown as U+FFFD."""
    return "".join(ch if ch.isprintable() or ch in "\n\t" else "\ufffd" for ch in text)


def _now() -> datetime:
    return datetime.now(UTC)


async def send(url: str, body: str, headers: dict[str, str], settings: WebhookSettings) -> Outcome:
    """POST ``body`` to ``url`` once, to the address its host resolves to now once that is checked; never raises.

    The shape and the operator's allow-list are checked here; the address by the client's transport, which connects
    to the address it checked and verifies the certificate for the URL's host name (:mod:`pejling.core.outbound_http`).
    """
    try:
        parse_url(url, allow_private=settings.allow_private)
    except UrlRefused as exc:
        return Outcome(error=f"refused: {exc}")
    timeout = httpx.Timeout(settings.timeout_seconds)
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=settings.ca_file) if settings.ca_file else True
    try:
        async with outbound_client(tenant_chosen=True, private_allowed=settings.allow_private, verify=verify,
                                   follow_redirects=False, timeout=timeout) as client:
            request = client.build_request("POST", url, content=body.encode(), headers=headers)
            response = await client.send(request, stream=True)
            try:
                read = b""
                async for chunk in response.aiter_raw():
                    read += chunk
                    if len(read) >= READ_BYTES:
                        break
            finally:
                await response.aclose()
    except UrlRefused as exc:  # the transport's check: an internal address, or a host not allowed
        return Outcome(error=f"refused: {exc}")
    except httpx.TimeoutException:
        return Outcome(error="timeout")
    except httpx.HTTPError as exc:
        return Outcome(error=f"connection failed: {type(exc).__name__}")
    excerpt = printable(read[:READ_BYTES].decode("utf-8", "replace"))[:EXCERPT_CHARS]
    return Outcome(status_code=response.status_code, excerpt=excerpt)


def signing_secrets(endpoint: WebhookEndpoint, now: datetime | None = None) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the old one during its grace period.

    Raises :class:`~pejling.core.secrets_at_rest.SealedSecretError` when the current one does not open; an old one
    that does not open is left out.
    """
    purpose = secret_purpose(endpoint.tenant_id, endpoint.id)
    found = [unseal(endpoint.secret_sealed, purpose=purpose)]
    until = endpoint.previous_secret_until
    if endpoint.previous_secret_sealed and until is not None and (now or datetime.now(UTC)) < until:
        try:
            found.append(unseal(endpoint.previous_secret_sealed, purpose=purpose))
        except SealedSecretError:
            pass
    return found


def delivery_headers(delivery: WebhookDelivery, signing: list[str], timestamp: int) -> dict[str, str]:
    """The headers of an attempt: content type, event id and type, delivery id, timestamp and signature (one
    ``v1`` entry per signing secret)."""
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Pejling-Event-Id": str(delivery.event_id),
        "Pejling-Event-Type": delivery.event_type,
        "Pejling-Delivery-Id": str(delivery.id),
        "Pejling-Timestamp": str(timestamp),
        SIGNATURE_HEADER: signature_header(signing, timestamp, delivery.body.encode()),
    }


async def _give_up(delivery: WebhookDelivery, error: str) -> None:
    await WebhookDelivery.filter(id=delivery.id).update(status=DeliveryStatus.FAILED, last_error=error[:300],
                                                        next_retry_at=None, updated_at=_now())


@register_job(DELIVER_JOB, timeout_seconds=60)
async def deliver(payload: dict[str, Any]) -> None:
    """Make attempt ``payload["attempt"]`` of delivery ``payload["delivery_id"]`` (in the tenant's scope)."""
    try:
        delivery_id, attempt = UUID(str(payload["delivery_id"])), int(payload["attempt"])
    except (KeyError, ValueError, TypeError):
        raise PermanentJobError("a webhooks.deliver job needs a delivery_id and an attempt number") from None
    settings = webhook_settings()
    delivery = await WebhookDelivery.get_or_none(id=delivery_id)
    if delivery is None or delivery.status is DeliveryStatus.DELIVERED:
        return  # deleted with its endpoint, or delivered already
    # Claim the attempt: a second job for the same attempt (a redelivery racing a retry) finds it taken.
    claimed = await WebhookDelivery.filter(id=delivery.id, attempts=attempt - 1).update(attempts=attempt,
                                                                                         updated_at=_now())
    if not claimed:
        return
    endpoint = await WebhookEndpoint.get_or_none(id=delivery.endpoint_id)
    if endpoint is None or not endpoint.enabled:
        await _record(delivery, attempt, Outcome(error="endpoint switched off"), final=True)
        return
    try:
        signing = signing_secrets(endpoint)
    except SealedSecretError:
        await _record(delivery, attempt, Outcome(error="signing secret unreadable; rotate it"), final=True)
        raise PermanentJobError("the endpoint's signing secret does not open with the current keys") from None
    outcome = await send(endpoint.url, delivery.body, delivery_headers(delivery, signing, int(time.time())), settings)
    final = outcome.delivered or attempt >= settings.max_attempts
    await _record(delivery, attempt, outcome, final=final, settings=settings)
    log.info("webhook delivery %s attempt %d: %s", delivery.id, attempt,
             outcome.status_code if outcome.status_code is not None else outcome.error)


async def _record(delivery: WebhookDelivery, attempt: int, outcome: Outcome, *, final: bool,
                  settings: WebhookSettings | None = None) -> None:
    now = _now()
    changes: dict[str, Any] = {"last_response_code": outcome.status_code, "updated_at": now,
                               "last_error": outcome.error[:300] if outcome.error else None}
    if outcome.delivered:
        changes.update(status=DeliveryStatus.DELIVERED, delivered_at=now, next_retry_at=None)
    elif final:
        changes.update(status=DeliveryStatus.FAILED, next_retry_at=None)
    else:
        assert settings is not None
        delay = retry_delay(attempt, base=settings.retry_base_seconds, cap=settings.retry_cap_seconds,
                            random=secrets.randbelow(1000) / 1000)
        changes.update(status=DeliveryStatus.RETRYING, next_retry_at=now + timedelta(seconds=delay))
    async with in_transaction():
        await WebhookAttempt.create(delivery_id=delivery.id, number=attempt, response_code=outcome.status_code,
                                    response_excerpt=outcome.excerpt, succeeded=outcome.delivered,
                                    error=outcome.error[:300] if outcome.error else None)
        await WebhookDelivery.filter(id=delivery.id).update(**changes)
        if changes["status"] is DeliveryStatus.RETRYING:
            await queue_delivery_attempt(delivery, attempt + 1, run_at=changes["next_retry_at"])


async def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """Queue one more attempt of a delivery now, whatever its state (the same event id and body, signed afresh)."""
    async with in_transaction():
        await WebhookDelivery.filter(id=delivery.id).update(status=DeliveryStatus.PENDING, next_retry_at=None,
                                                            updated_at=_now())
        await queue_delivery_attempt(delivery, delivery.attempts + 1,
                                     key=f"{DELIVER_JOB}:{delivery.id}:{delivery.attempts + 1}:{secrets.token_hex(4)}")
    return await WebhookDelivery.get(id=delivery.id)

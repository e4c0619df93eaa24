"""Vipps payment events: kept once each, then applied to their payment in order, on the job queue.

**The ordering rule.** Vipps delivers a payment's events in order and retries a failing one (for days) before it
sends the next, but a retry can still land after a later event, and two events can be in flight at once. So a
payment's state is never built from the order of arrival: :func:`apply_payment_events` (the job
:data:`APPLY_JOB`, queued for every new event) reads *all* the payment's events and orders them by event time
(``timestamp``), ties by their place in a payment's life (:data:`~.models.LIFECYCLE_RANK`); the state is the last
one. An event arriving late is slotted in where it belongs, and the job runs under a row lock on the payment
(PostgreSQL; SQLite writes one at a time), so two jobs of one payment apply one after the other. A payment first seen
captured gets its survey link exactly once (a conditional update of an empty ``link_token``), whatever the order or
number of the deliveries. A refund later keeps the link: the visit was real.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from pejling.core.jobs.queue import enqueue
from pejling.core.jobs.registry import PermanentJobError, register_job
from pejling.plugins.vipps.models import LIFECYCLE_RANK, PaymentEvent, VippsEvent, VippsPayment
from pejling.tenants.models import Store

log = logging.getLogger(__name__)

APPLY_JOB = "vipps.apply_payment_events"


class EventInvalid(ValueError):
    """A webhook body that is not an ePayment event the plugin reads (the message names the field)."""


@dataclass(frozen=True)
class PaymentEventIn:
    """The fields of one ePayment webhook event the plugin uses (the body has more; nothing names the shopper)."""

    msn: str
    reference: str
    psp_reference: str
    name: str
    occurred_at: datetime
    key: str

    @classmethod
    def read(cls, body: Any) -> PaymentEventIn:
        """The event in a parsed webhook body; raises :class:`EventInvalid`."""
        if not isinstance(body, dict):
            raise EventInvalid("the body must be a JSON object")
        texts: dict[str, str] = {}
        for name, limit in (("msn", 10), ("reference", 64), ("pspReference", 100), ("name", 16), ("timestamp", 40)):
            value = body.get(name)
            if not isinstance(value, str) or not value or len(value) > limit or not value.isprintable():
                raise EventInvalid(f"{name} must be a text of at most {limit} characters")
            texts[name] = value
        if texts["name"] not in PaymentEvent.__members__:
            raise EventInvalid("name is not an ePayment event")
        try:
            occurred = datetime.fromisoformat(texts["timestamp"].replace("Z", "+00:00"))
        except ValueError:
            raise EventInvalid("timestamp is not an ISO 8601 time") from None
        if occurred.tzinfo is None:
            raise EventInvalid("timestamp needs a time zone")
        key = body.get("idempotencyKey")
        if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= 150 or not key.isprintable()):
            raise EventInvalid("idempotencyKey must be a text of at most 150 characters")
        return cls(msn=texts["msn"], reference=texts["reference"], psp_reference=texts["pspReference"],
                   name=texts["name"], occurred_at=occurred.astimezone(UTC),
                   key=f"key:{key}" if key else f"psp:{texts['pspReference']}:{texts['name']}")


async def record_event(tenant_id: UUID, event: PaymentEventIn, store: Store) -> bool:
    """Keep ``event`` of a payment at ``store`` and queue it to be applied, inside the tenant's scope.

    Returns False, changing nothing, when an event with the same idempotency key was kept before (a replay).
    """
    for _ in range(2):
        try:
            async with in_transaction():
                if await VippsEvent.filter(key=event.key).exists():
                    return False
                payment = await VippsPayment.get_or_none(reference=event.reference)
                if payment is None:
                    payment = await VippsPayment.create(reference=event.reference, msn=event.msn, store=store)
                stored = await VippsEvent.create(payment=payment, key=event.key, name=event.name,
                                                 occurred_at=event.occurred_at)
                await enqueue(APPLY_JOB, {"payment_id": str(payment.id)}, tenant_id=tenant_id,
                              idempotency_key=f"{APPLY_JOB}:{stored.id}")
                return True
        except IntegrityError:
            continue  # the same event or the first of this payment, stored at the same moment by another request
    return False


def ordered(events: list[VippsEvent]) -> list[VippsEvent]:
    """A payment's events in the order they happened: event time, then their place in a payment's life."""
    return sorted(events, key=lambda e: (e.occurred_at, LIFECYCLE_RANK.get(e.name, 0), e.received_at))


@register_job(APPLY_JOB, timeout_seconds=60)
async def apply_payment_events(payload: dict[str, Any]) -> None:
    """Apply every event of one payment in order (runs in the tenant's scope); makes the survey link once."""
    try:
        payment_id = UUID(str(payload["payment_id"]))
    except (KeyError, ValueError):
        raise PermanentJobError("the payload names no payment") from None
    async with in_transaction():
        payment = await VippsPayment.filter(id=payment_id).select_for_update().first()
        if payment is None:
            return
        events = ordered(await VippsEvent.filter(payment_id=payment_id))
        if not events:
            return
        latest = events[-1]
        now = datetime.now(UTC)
        captured = [e for e in events if e.name == PaymentEvent.CAPTURED]
        await VippsPayment.filter(id=payment_id).update(state=latest.name, state_at=latest.occurred_at)
        if captured and payment.link_token is None and payment.store_id is not None:
            await VippsPayment.filter(id=payment_id, link_token__isnull=True).update(
                link_token=secrets.token_urlsafe(24), captured_at=captured[0].occurred_at)
        await VippsEvent.filter(payment_id=payment_id, applied_at__isnull=True).update(applied_at=now)

"""Stripe events, processed by the job queue: each re-fetches the subscription from Stripe and moves the state.

Events come unordered and at least once, so an event is only a reason to look: the handler asks Stripe for the
subscription it concerns and applies what Stripe says now (:func:`apply_stripe_subscription`). Running the same
event again, or an old one after a newer one, ends in the same state. Two jobs of one subscription running at once
take its lock in turn around fetch and save, so the fetch made last is the one saved last.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from pejling.core.insights import sql
from pejling.core.jobs.registry import register_job
from pejling.plugins.billing.models import StripeEvent
from pejling.plugins.billing.stripe_settings import stripe_client
from pejling.plugins.billing.subscription_state import apply_stripe_subscription, tenant_of_subscription
from pejling.tenants.models import Tenant
from pejling.tenants.scope import all_tenants, all_tenants_sql

log = logging.getLogger(__name__)

JOB_KIND = "billing.stripe_event"
_ADVISORY_LOCK = all_tenants_sql("SELECT pg_advisory_xact_lock(?) AS locked")

#: The event types that change a tenant's subscription; others are stored and acknowledged only.
HANDLED = frozenset({
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.trial_will_end",
    "invoice.paid",
    "invoice.payment_succeeded",
    "invoice.payment_failed",
})


def subscription_id_of(event: dict[str, Any]) -> str | None:
    """The id of the subscription an event is about, or ``None`` when it is about none."""
    if event.get("type") not in HANDLED:
        return None
    obj = (event.get("data") or {}).get("object") or {}
    if obj.get("object") == "subscription":
        return str(obj.get("id")) if obj.get("id") else None
    found = obj.get("subscription")
    if isinstance(found, dict):
        found = found.get("id")
    return str(found) if found else None


async def process_event(event_id: str) -> None:
    """Apply one stored event: re-fetch its subscription from Stripe and move the tenant's state."""
    with all_tenants():
        row = await StripeEvent.get_or_none(id=event_id)
    if row is None:
        return
    subscription_id = subscription_id_of(row.payload)
    if subscription_id is not None:
        async with in_transaction():
            await _lock_subscription(subscription_id)
            await _refetch_and_apply(row, event_id, subscription_id)
    row.processed_at = datetime.now(UTC)
    with all_tenants():
        await row.save(update_fields=["processed_at"])


async def _lock_subscription(subscription_id: str) -> None:
    """Hold one subscription's lock to the end of the transaction, so jobs of the same subscription fetch and save
    one after the other (the later fetch is saved last). PostgreSQL: a transaction-level advisory lock; SQLite
    runs one write transaction at a time anyway."""
    if sql.is_postgres():
        key = int.from_bytes(hashlib.sha256(f"stripe-subscription:{subscription_id}".encode()).digest()[:8], "big",
                             signed=True)
        with all_tenants():
            await _ADVISORY_LOCK.rows([key])


async def _refetch_and_apply(row: StripeEvent, event_id: str, subscription_id: str) -> None:
    import stripe

    client = stripe_client()
    try:
        fetched = await client.v1.subscriptions.retrieve_async(subscription_id)
    except stripe.InvalidRequestError as exc:
        if exc.http_status != 404:
            raise
        log.warning("stripe event %s: subscription %s is unknown to Stripe", event_id, subscription_id)
        return
    snapshot = fetched.to_dict()
    obj = (row.payload.get("data") or {}).get("object") or {}
    if not (snapshot.get("metadata") or {}).get("tenant_id") and obj.get("client_reference_id"):
        snapshot.setdefault("metadata", {})["tenant_id"] = obj["client_reference_id"]
    tenant_id = await tenant_of_subscription(snapshot)
    if tenant_id is None:
        log.warning("stripe event %s: subscription %s belongs to no tenant", event_id, subscription_id)
        return
    with all_tenants():
        tenant = await Tenant.get(id=tenant_id)
    await apply_stripe_subscription(tenant, snapshot)


@register_job(JOB_KIND, timeout_seconds=60)
async def stripe_event_job(payload: dict[str, Any]) -> None:
    """The job of one received Stripe event (``{"event_id": …}``)."""
    await process_event(str(payload["event_id"]))


__all__ = ["HANDLED", "JOB_KIND", "process_event", "subscription_id_of"]

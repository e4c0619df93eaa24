"""``POST /webhooks/stripe``: Stripe's events, verified on the raw body, stored once, processed by the job queue.

The ``Stripe-Signature`` header is checked with the stripe library (HMAC-SHA256 of ``t.body`` with the endpoint
secret, compared in constant time, at most 300 s old). A forged or stale one is ``400`` and nothing is stored.
Each event id is stored once: a replay is answered ``200`` and ignored. The answer comes before any Stripe call;
the work is a job (:mod:`pejling.plugins.billing.stripe_events`).
"""

from __future__ import annotations

import json
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from pejling.core import security_events
from pejling.core.jobs.queue import enqueue
from pejling.plugins.billing.models import StripeEvent
from pejling.plugins.billing.stripe_events import JOB_KIND
from pejling.plugins.billing.stripe_settings import stripe_settings
from pejling.tenants.scope import all_tenants

log = logging.getLogger(__name__)

#: Stripe's tolerance for the signature's timestamp, in seconds.
TOLERANCE_SECONDS = 300
#: Largest event body accepted (Stripe's events are a few kilobytes).
MAX_EVENT_BYTES = 512 * 1024


def _refused(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def stripe_webhook(request: Request) -> JSONResponse:
    """Verify, store once, queue, answer."""
    import stripe

    settings = stripe_settings()
    secret = settings.webhook_secret.get_secret_value()
    if not secret:
        return _refused("billing is not configured", 404)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_EVENT_BYTES:
        return _refused("event too large", 413)
    body = await request.body()
    if len(body) > MAX_EVENT_BYTES:
        return _refused("event too large", 413)
    header = request.headers.get("stripe-signature", "")
    try:
        stripe.WebhookSignature.verify_header(body.decode("utf-8"), header, secret, tolerance=TOLERANCE_SECONDS)
    except (stripe.SignatureVerificationError, UnicodeDecodeError):
        security_events.refused("webhook_signature", request.scope, "stripe")
        return _refused("invalid signature")
    try:
        event = json.loads(body)
    except ValueError:
        return _refused("not JSON")
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        return _refused("not a Stripe event")
    if not 0 < len(event["id"]) <= 255 or len(event["type"]) > 100:
        return _refused("not a Stripe event")
    try:
        with all_tenants():
            async with in_transaction():
                await StripeEvent.create(id=event["id"], type=event["type"], payload=event)
                await enqueue(JOB_KIND, {"event_id": event["id"]}, idempotency_key=f"stripe-event:{event['id']}")
    except IntegrityError:
        return JSONResponse({"received": True, "duplicate": True})
    return JSONResponse({"received": True})

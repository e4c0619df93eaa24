"""A shopper's request by receipt code: export what was stored about their response, or erase it.

The thank-you screen shows a receipt code (``receipts.py``); a shopper gives it to the retailer to ask for their
answers or their erasure. Everything here runs inside the current tenant scope, so a code of another tenant is
simply not found.

Erasure deletes the response, its answers, its stored scores, its follow-ups (with their notes) and the replies sent
to the shopper, and takes the response out of the tenant's rollups by subtracting what it added (rollups are sums:
the cost is the few rows it touched, not the tenant's size; the tests prove the result equals a full recomputation),
all in one transaction. ``pejling recompute-rollups`` stays the repair for rollups recorded by older scoring code.
"""

from __future__ import annotations

import logging
from typing import Any

from tortoise.transactions import in_transaction

from pejling.core.followups.models import FollowUp, FollowUpNote, Reply
from pejling.core.insights.models import Score
from pejling.core.insights.rollups import bump_version, subtract_response
from pejling.core.surveys.models import Answer, Response
from pejling.core.surveys.receipts import normalise_receipt_code
from pejling.tenants.models import Store, Zone
from pejling.tenants.scope import current_tenant_id

log = logging.getLogger(__name__)


async def find_by_receipt(code: str) -> Response | None:
    """The response of the current tenant with this receipt code (read generously: case, spaces, dash), or None."""
    normalised = normalise_receipt_code(code)
    if normalised is None:
        return None
    return await Response.get_or_none(receipt_code=normalised)


async def export_shopper_data(response: Response) -> dict[str, Any]:
    """What is stored about one response, as JSON-friendly data (the contact email only when one was stored)."""
    store = await Store.get_or_none(id=response.store_id)
    zone = await Zone.get_or_none(id=response.zone_id) if response.zone_id else None
    answers = await Answer.filter(response_id=response.id).order_by("position")
    data: dict[str, Any] = {
        "receipt_code": response.receipt_code,
        "store": store.name if store else None,
        "zone": zone.name if zone else None,
        "channel": response.channel,
        "language": response.language,
        "submitted_at": response.submitted_at.isoformat(),
        "outcome": response.outcome,
        "comment": response.comment,
        "answers": [
            # "not_applicable" only on a "doesn't apply" answer (value null)
            {"statement_id": a.statement_id, "value": a.value, "reaction_ms": a.reaction_ms,
             **({"not_applicable": True} if a.not_applicable else {})} for a in answers
        ],
    }
    if response.contact_email:
        data["contact_email"] = response.contact_email
    return data


async def erase_response(response: Response) -> None:
    """Delete a response and everything stored about it, and subtract it from the tenant's rollups.

    One transaction: follow-up notes, follow-ups, replies, scores and answers are deleted explicitly (not left to
    database cascades), then the response, and its contribution is subtracted from the rollups.
    """
    tenant_id = current_tenant_id()
    async with in_transaction():
        answers = await Answer.filter(response_id=response.id)
        store = await Store.get_or_none(id=response.store_id)
        follow_up_ids = await FollowUp.filter(response_id=response.id).values_list("id", flat=True)
        await Reply.filter(response_id=response.id).delete()
        if follow_up_ids:
            await Reply.filter(follow_up_id__in=list(follow_up_ids)).update(follow_up_id=None)
            await FollowUpNote.filter(follow_up_id__in=list(follow_up_ids)).delete()
            await FollowUp.filter(id__in=list(follow_up_ids)).delete()
        await Score.filter(response_id=response.id).delete()
        await Answer.filter(response_id=response.id).delete()
        await Response.filter(id=response.id).delete()
        await subtract_response(response, answers, timezone=store.timezone if store else None)
        await bump_version(tenant_id)
    log.info("erased a shopper response of tenant %s on request", tenant_id)

"""A shopper's request by receipt code: export what was stored about their response, or erase it.

The thank-you screen shows a receipt code (``receipts.py``); a shopper gives it to the retailer to ask for their
answers or their erasure. Everything here runs inside the current tenant scope, so a code of another tenant is
simply not found.

Erasure deletes the response, its answers, its stored scores, its follow-ups (with their notes) and the replies sent
to the shopper, and takes the response out of the tenant's rollups by subtracting what it added (rollups are sums:
the cost is the few rows it touched, not the tenant's size; the tests prove the result equals a full recomputation),
all in one transaction. What a plugin keeps about a response (a Shopify order's reward address, say) goes in the same
transaction through the steps it registers with :func:`register_erasure_step`. ``pejling recompute-rollups`` stays
the repair for rollups recorded by older scoring code.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from tortoise.transactions import in_transaction

from pejling.core.followups.exports import forget_exports_since
from pejling.core.followups.models import FollowUp, FollowUpNote, Reply
from pejling.core.insights.models import Score
from pejling.core.insights.rollups import Recorded, bump_version, subtract_responses
from pejling.core.surveys.models import Answer, Response
from pejling.core.surveys.receipts import normalise_receipt_code
from pejling.tenants.models import Store, Zone
from pejling.tenants.scope import current_tenant_id

log = logging.getLogger(__name__)

ErasureStep = Callable[[Sequence[Response]], Awaitable[None]]

_erasure_steps: list[ErasureStep] = []


def register_erasure_step(step: ErasureStep) -> ErasureStep:
    """Have ``step(responses)`` run inside every erasure of responses (in the erasure's transaction and tenant scope,
    before the responses are deleted), so what a plugin keeps about them goes too. Registered at import time, like
    job kinds; registering the same function again changes nothing."""
    if step not in _erasure_steps:
        _erasure_steps.append(step)
    return step


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
    database cascades), then the response, and its contribution is subtracted from the rollups. Export files made
    since the response arrived are deleted too (:func:`~pejling.core.followups.exports.forget_exports_since`).
    """
    await erase_responses([response])
    log.info("erased a shopper response of tenant %s on request", current_tenant_id())


async def erase_responses(responses: Sequence[Response]) -> None:
    """Erase several responses of the current tenant as :func:`erase_response` does one, in one transaction whose
    statements do not grow with the number of responses (a retention purge erases them a page at a time)."""
    if not responses:
        return
    tenant_id = current_tenant_id()
    ids = [r.id for r in responses]
    async with in_transaction():
        answers: dict[Any, list[Answer]] = {}
        for answer in await Answer.filter(response_id__in=ids):
            answers.setdefault(answer.response_id, []).append(answer)
        zones = dict(await Store.filter(id__in={r.store_id for r in responses}).values_list("id", "timezone"))
        for step in list(_erasure_steps):
            await step(responses)
        await forget_shopper_threads(ids)
        await Score.filter(response_id__in=ids).delete()
        await Answer.filter(response_id__in=ids).delete()
        await Response.filter(id__in=ids).delete()
        await subtract_responses([Recorded(r, answers.get(r.id, []), zones.get(r.store_id)) for r in responses])
        await bump_version(tenant_id)
        await forget_exports_since(min(r.received_at for r in responses))
        await forget_mail_copies(responses)


async def forget_shopper_threads(response_ids: Sequence[Any]) -> None:
    """Delete the follow-ups of these responses with their notes, and every reply sent to their shoppers."""
    follow_up_ids = list(await FollowUp.filter(response_id__in=list(response_ids)).values_list("id", flat=True))
    await Reply.filter(response_id__in=list(response_ids)).delete()
    if follow_up_ids:
        await Reply.filter(follow_up_id__in=follow_up_ids).update(follow_up_id=None)
        await FollowUpNote.filter(follow_up_id__in=follow_up_ids).delete()
        await FollowUp.filter(id__in=follow_up_ids).delete()


async def forget_mail_copies(responses: Sequence[Response]) -> int:
    """Remove the copies of mail to these responses' shoppers that we keep: the queued or finished invitation-mail
    jobs of their invitations (their payload holds the address) and, where mail is written to files (development),
    the ``.eml`` files to those addresses or to the shopper's contact address. Returns how many files went.

    Mail handed to an SMTP server is beyond reach; replies are deleted with the follow-up threads.
    """
    from pejling.core import followups
    from pejling.core.jobs.models import Job, JobStatus
    from pejling.core.mail import forget_mail_files, mail_to_files
    from pejling.core.surveys.invitation_mail import INVITATION_MAIL_JOB

    addresses = {r.contact_email for r in responses if r.contact_email}
    keys = [f"{INVITATION_MAIL_JOB}:{r.invitation_id}" for r in responses if r.invitation_id]
    if keys:
        jobs = await Job.filter(tenant_id=current_tenant_id(), kind=INVITATION_MAIL_JOB, idempotency_key__in=keys,
                                status__not=JobStatus.RUNNING)
        addresses |= {str(j.payload.get("to")) for j in jobs if isinstance(j.payload, dict) and j.payload.get("to")}
        if jobs:
            await Job.filter(id__in=[j.id for j in jobs]).delete()
    settings = followups.current_settings()
    if not addresses or not mail_to_files(settings):
        return 0
    return await asyncio.to_thread(forget_mail_files, settings.mail_dir, addresses)

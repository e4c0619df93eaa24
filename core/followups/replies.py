"""Replying to a shopper who agreed to be contacted. Everyone else stays anonymous.

A reply is refused with ``no_consent`` unless the response carries the shopper's consent and address.
The mail holds only the member's text, the store and the retailer's name: no other response data, and
the address is read from the response when the job runs, so it is never copied into the job table.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pejling.core import followups
from pejling.core.followups.models import FollowUp, Reply
from pejling.core.followups.refusals import FollowUpRefused
from pejling.core.jobs import PermanentJobError, enqueue, register_job
from pejling.core.mail import build_mail, send_mail
from pejling.core.surveys.models import Response
from pejling.tenants.models import Store, Tenant
from pejling.tenants.scope import all_tenants

REPLY_JOB = "followups.reply"
MAX_REPLY_CHARS = 5000
MAX_SUBJECT_CHARS = 200
#: Replies one shopper can get about one response: a conversation, not a mailing list.
MAX_REPLIES_PER_RESPONSE = 5

REPLY_TEXTS: dict[str, dict[str, str]] = {
    "en": {"subject": "About your visit to {store}",
           "footer": "You get this mail because you asked {tenant} to contact you about your feedback."},
    "da": {"subject": "Om dit besøg i {store}",
           "footer": "Du får denne mail, fordi du bad {tenant} om at kontakte dig om din feedback."},
    "nb": {"subject": "Om besøket ditt i {store}",
           "footer": "Du får denne e-posten fordi du ba {tenant} om å kontakte deg om tilbakemeldingen din."},
    "sv": {"subject": "Om ditt besök i {store}",
           "footer": "Du får det här mejlet eftersom du bad {tenant} att kontakta dig om din återkoppling."},
}


async def get_response(response_id: UUID | None, visible_stores: frozenset[UUID] | None = None) -> Response:
    """A response of the current tenant the actor may see, else ``not_found``."""
    response = await Response.get_or_none(id=response_id) if response_id is not None else None
    if response is None or (visible_stores is not None and response.store_id not in visible_stores):
        raise FollowUpRefused("not_found", "No such response.", "responseId")
    return response


def may_contact(response: Response) -> bool:
    """True when the shopper agreed to be contacted and left an address."""
    return bool(response.consent_contact and response.contact_email)


async def reply_to_shopper(response: Response, *, text: str, author_id: UUID | None, subject: str | None = None,
                           follow_up: FollowUp | None = None) -> Reply:
    """Queue a reply mail to the shopper of ``response``; refused with ``no_consent`` without their consent."""
    if not may_contact(response):
        raise FollowUpRefused("no_consent", "This shopper did not ask to be contacted, so they stay anonymous.",
                              "responseId")
    text = text.strip()
    if not 1 <= len(text) <= MAX_REPLY_CHARS:
        raise FollowUpRefused("invalid", f"Write a reply of 1–{MAX_REPLY_CHARS} characters.", "text")
    subject = " ".join((subject or "").split())
    if len(subject) > MAX_SUBJECT_CHARS:
        raise FollowUpRefused("invalid", f"Keep the subject under {MAX_SUBJECT_CHARS} characters.", "subject")
    if await Reply.filter(response_id=response.id).count() >= MAX_REPLIES_PER_RESPONSE:
        raise FollowUpRefused("invalid", f"This shopper already got {MAX_REPLIES_PER_RESPONSE} replies about this "
                              "visit.", "responseId")
    if follow_up is not None and follow_up.response_id != response.id:
        raise FollowUpRefused("invalid", "The follow-up is about another response.", "followUpId")
    if not subject:
        store = await Store.get(id=response.store_id)
        subject = _texts(response.language)["subject"].format(store=store.name)
    reply = await Reply.create(response_id=response.id, follow_up_id=follow_up.id if follow_up else None,
                               author_id=author_id, subject=subject, text=text)
    await enqueue(REPLY_JOB, {"reply_id": str(reply.id)}, tenant_id=reply.tenant_id,
                  idempotency_key=f"{REPLY_JOB}:{reply.id}")
    return reply


def _texts(language: str) -> dict[str, str]:
    return REPLY_TEXTS.get(language, REPLY_TEXTS["en"])


@register_job(REPLY_JOB, timeout_seconds=120)
async def send_reply(payload: dict[str, Any]) -> None:
    """Job: mail a reply to the shopper, if they still consent."""
    reply = await Reply.get_or_none(id=UUID(str(payload.get("reply_id"))))
    if reply is None:
        raise PermanentJobError("the reply no longer exists")
    response = await Response.get_or_none(id=reply.response_id)
    if response is None or not may_contact(response):
        raise PermanentJobError("the shopper can no longer be contacted")
    with all_tenants():
        tenant = await Tenant.get(id=reply.tenant_id)
    settings = followups.current_settings()
    body = f"{reply.text}\n\n-- \n{tenant.name}\n{_texts(response.language)['footer'].format(tenant=tenant.name)}\n"
    message = build_mail(settings, to=str(response.contact_email), subject=reply.subject, text=body)
    message["Content-Language"] = response.language
    await send_mail(settings, message)

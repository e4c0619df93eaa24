"""Invitation mails: the email channel's invitations, sent through the durable job queue, never twice.

:meth:`pejling.plugins.channels.email.Email.deliver` queues one job per invitation (the job's idempotency key is the
invitation's id, so the same invitation is never queued twice). The job builds a localised mail — plain text and
HTML, in the store's brand colour with the tenant's logo — with a one-click unsubscribe (``List-Unsubscribe`` and
``List-Unsubscribe-Post``, RFC 8058) and sends it over SMTP.

Never twice: before sending, the job claims the invitation (``sending_at``, set only where it is unset). A send that
fails before the SMTP server took the message gives the claim back and the job is retried with back-off; a job that
finds a claim it did not give back (a worker died mid-send) gives up rather than risk a second mail. The address is in
the job's payload until it is sent and is then removed from the payload; it is never stored elsewhere.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from uuid import UUID

import aiosmtplib
from babel.dates import format_date

from pejling.core import followups
from pejling.core.jobs.models import Job
from pejling.core.jobs.queue import enqueue
from pejling.core.jobs.registry import PermanentJobError, register_job
from pejling.core.mail import build_mail, send_mail
from pejling.core.settings import Settings, shopper_base_url
from pejling.core.surveys.models import Invitation
from pejling.core.surveys.suppressions import is_suppressed, unsubscribe_token
from pejling.frontend.brand import DEFAULT_BRAND, brand_colours
from pejling.frontend.language import DEFAULT_LANGUAGE, LANGUAGES, messages
from pejling.tenants.models import Store, Tenant
from pejling.tenants.scope import all_tenants, tenant_scope

INVITATION_MAIL_JOB = "channels.email.invitation"
CHANNEL = "email"


async def queue_invitation_mail(
    *, tenant_id: UUID, invitation_id: UUID, to: str, url: str, language: str, store_name: str, expires_at: datetime
) -> None:
    """Queue the mail of one invitation (once: a second call for the same invitation queues nothing)."""
    payload = {"invitation_id": str(invitation_id), "to": to, "url": url, "language": language,
               "store_name": store_name, "expires_at": expires_at.isoformat()}
    await enqueue(INVITATION_MAIL_JOB, payload, tenant_id=tenant_id,
                  idempotency_key=f"{INVITATION_MAIL_JOB}:{invitation_id}")


def unsubscribe_url(settings: Settings, tenant_id: UUID, address: str) -> str:
    """The one-click unsubscribe link of an address (``/u/<token>``)."""
    return f"{shopper_base_url(settings)}/u/{unsubscribe_token(settings, tenant_id, CHANNEL, address)}"


def invitation_message(
    settings: Settings, *, tenant: Tenant, store: Store, invitation_id: UUID, to: str, url: str, language: str,
    expires_at: datetime,
) -> EmailMessage:
    """The invitation mail: localised plain text and HTML, the store's branding and the unsubscribe headers."""
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    t = messages(language)
    store_name = store.name
    expires = format_date(expires_at.date(), format="long", locale=language)
    unsubscribe = unsubscribe_url(settings, tenant.id, to)
    subject = t["invite_subject"].replace("{store}", store_name)
    body = t["invite_body"].replace("{store}", store_name)
    expiry = t["invite_expires"].replace("{date}", expires)
    footer = t["invite_footer"].replace("{tenant}", tenant.name)
    text = "\n".join([
        t["invite_greeting"], "", body, "", f"{t['invite_button']}: {url}", "", expiry, "", "-- ", footer,
        f"{t['invite_unsubscribe']}: {unsubscribe}", "",
    ])
    message = build_mail(settings, to=to, subject=subject, text=text,
                         html=_html(t, tenant, body=body, url=url, expiry=expiry, footer=footer,
                                    unsubscribe=unsubscribe, language=language, settings=settings))
    domain = settings.mail_from.rsplit("@", 1)[-1].strip(" >") or "pejling.localhost"
    del message["Message-ID"]
    # One invitation, one Message-ID: a receiving server that sees it twice can tell it is the same mail.
    message["Message-ID"] = f"<invitation-{invitation_id}@{domain}>"
    message["Content-Language"] = language
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["X-Pejling-Invitation"] = str(invitation_id)
    return message


def _html(
    t: dict[str, str], tenant: Tenant, *, body: str, url: str, expiry: str, footer: str, unsubscribe: str,
    language: str, settings: Settings,
) -> str:
    colours = brand_colours(tenant.brand_colour or DEFAULT_BRAND)
    brand, on_brand = html.escape(colours.fill), html.escape(colours.on_fill)
    logo = ""
    if tenant.logo_type:
        src = f"{shopper_base_url(settings)}/s/{tenant.slug}/logo?v={tenant.logo_version}"
        logo = f'<p><img src="{html.escape(src)}" alt="{html.escape(tenant.name)}" height="48"></p>'
    e = html.escape
    return (
        f'<!doctype html><html lang="{e(language)}"><head><meta charset="utf-8">'
        f"<title>{e(t['invite_greeting'])}</title></head>"
        '<body style="font-family:system-ui,sans-serif;max-width:560px;margin:0 auto;padding:16px;color:#1a1a1a">'
        f"{logo}<p>{e(t['invite_greeting'])}</p><p>{e(body)}</p>"
        f'<p><a href="{e(url)}" style="display:inline-block;padding:12px 20px;border-radius:6px;'
        f'background:{brand};color:{on_brand};text-decoration:none;font-weight:600">{e(t["invite_button"])}</a></p>'
        f'<p style="color:#555">{e(expiry)}</p>'
        f'<hr><p style="color:#555;font-size:13px">{e(footer)} '
        f'<a href="{e(unsubscribe)}" style="color:#555">{e(t["invite_unsubscribe"])}</a></p>'
        "</body></html>"
    )


@register_job(INVITATION_MAIL_JOB, timeout_seconds=120)
async def send_invitation_mail(payload: dict[str, Any]) -> None:
    """Job: send one invitation's mail, unless it was sent (or is being sent) already or the address unsubscribed."""
    try:
        invitation_id = UUID(str(payload["invitation_id"]))
    except (KeyError, ValueError):
        raise PermanentJobError("the payload names no invitation") from None
    to = payload.get("to")
    if not isinstance(to, str) or not to:
        return  # sent already: the address was removed from the payload after the send
    with all_tenants():
        invitation = await Invitation.get_or_none(id=invitation_id)
    if invitation is None:
        raise PermanentJobError("the invitation no longer exists")
    with tenant_scope(invitation.tenant_id):
        if invitation.sent_at is not None:
            return
        if invitation.sending_at is not None:
            raise PermanentJobError("an earlier attempt may have sent this invitation: not sent again")
        if await is_suppressed(invitation.tenant_id, CHANNEL, to):
            await _forget_address(invitation_id)
            return
        tenant = await Tenant.get(id=invitation.tenant_id)
        store = await Store.get(id=invitation.store_id)
        settings = followups.current_settings()
        message = invitation_message(
            settings, tenant=tenant, store=store, invitation_id=invitation.id, to=to, url=str(payload["url"]),
            language=str(payload.get("language") or tenant.default_language), expires_at=invitation.expires_at,
        )
        claimed = await Invitation.filter(id=invitation.id, sending_at=None, sent_at=None).update(
            sending_at=datetime.now(UTC))
        if not claimed:
            return  # another worker has it
        try:
            await send_mail(settings, message)
        except aiosmtplib.SMTPServerDisconnected:
            # Cut off mid-conversation: the server may have taken the message. Not sent again.
            raise PermanentJobError("the SMTP server disconnected during the send: not sent again") from None
        except (aiosmtplib.SMTPException, OSError):
            # Refused or unreachable: the server did not take the message, so the retry may send it.
            await Invitation.filter(id=invitation.id, sent_at=None).update(sending_at=None)
            raise
        await Invitation.filter(id=invitation.id).update(sent_at=datetime.now(UTC))
    await _forget_address(invitation_id)


async def _forget_address(invitation_id: UUID) -> None:
    """Remove the address from the invitation's job once it is no longer needed."""
    jobs = await Job.filter(kind=INVITATION_MAIL_JOB, idempotency_key=f"{INVITATION_MAIL_JOB}:{invitation_id}")
    for job in jobs:
        payload = {k: v for k, v in dict(job.payload).items() if k != "to"}
        await Job.filter(id=job.id).update(payload=payload)

"""The reward mail: the discount code a completed response earned, mailed once to the order's address.

Where the tenant set ``reward_percent``, the ``shopify.invite`` job seals the order's address a second time, for
this mail only (``ShopifyOrder.sealed_reward_email``, purpose :func:`reward_email_purpose`), when it sends the
invitation; without a reward no address is kept after the invitation. When the response earns its code
(:func:`pejling.plugins.shopify.discounts.reward_for`), :func:`queue_reward_mail` queues the ``shopify.reward_mail``
job, once per order (the job's idempotency key is the order row); the job sends the code in the shopper's language
(the response's: da, nb, sv or en) and clears the address.

Never twice: before sending, the job claims the order (``reward_mail_sending_at``, set only where it is unset). A
send the SMTP server refused or could not be reached for gives the claim back and the job is retried with back-off
(docs/jobs.md); a claim that was not given back (a worker died mid-send) or a server that hung up mid-send ends the
job without a second mail. The address is cleared after the send, by the ``shopify.forget_reward_email`` job at the
invitation's expiry (an invitation nobody answered, or a mail that could not be sent by then), by the shopper's own
erasure (:func:`forget_reward_addresses`, registered with core's erasure) and with the order on ``customers/redact``
and ``shop/redact``.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from uuid import UUID

import aiosmtplib
from babel.dates import format_date

from pejling.core import followups
from pejling.core.jobs.queue import enqueue
from pejling.core.jobs.registry import PermanentJobError, register_job
from pejling.core.mail import build_mail, send_mail
from pejling.core.secrets_at_rest import SealedSecretError, seal, unseal
from pejling.core.settings import Settings
from pejling.core.surveys.erasure import register_erasure_step
from pejling.core.surveys.models import Response
from pejling.core.surveys.suppressions import is_suppressed
from pejling.frontend.brand import DEFAULT_BRAND, brand_colours
from pejling.plugins.shopify.models import ShopifyOrder
from pejling.tenants.models import Store, Tenant
from pejling.tenants.scope import current_tenant_id

log = logging.getLogger(__name__)

REWARD_MAIL_JOB = "shopify.reward_mail"
FORGET_REWARD_EMAIL_JOB = "shopify.forget_reward_email"
LANGUAGES = ("da", "nb", "sv", "en")
#: A placeholder of the mail texts: ``{store}``, ``{tenant}``, ``{percent}``, ``{date}``.
PLACEHOLDER = re.compile(r"\{(\w+)\}")

#: The mail's texts per language; ``{store}``, ``{tenant}``, ``{percent}``, ``{date}`` are filled in.
TEXTS: dict[str, dict[str, str]] = {
    "da": {
        "subject": "Din rabatkode fra {store}",
        "greeting": "Hej,",
        "thanks": "Tak, fordi du svarede på vores spørgsmål om dit besøg i {store}.",
        "code": "Din rabatkode",
        "percent": "{percent} % rabat på dit næste køb. Koden kan bruges én gang.",
        "valid": "Gyldig til og med {date}.",
        "footer": "Sendt af Pejling for {tenant}, fordi du svarede på undersøgelsen.",
    },
    "nb": {
        "subject": "Rabattkoden din fra {store}",
        "greeting": "Hei,",
        "thanks": "Takk for at du svarte på spørsmålene våre om besøket ditt i {store}.",
        "code": "Rabattkoden din",
        "percent": "{percent} % rabatt på ditt neste kjøp. Koden kan brukes én gang.",
        "valid": "Gyldig til og med {date}.",
        "footer": "Sendt av Pejling for {tenant} fordi du svarte på undersøkelsen.",
    },
    "sv": {
        "subject": "Din rabattkod från {store}",
        "greeting": "Hej,",
        "thanks": "Tack för att du svarade på våra frågor om ditt besök i {store}.",
        "code": "Din rabattkod",
        "percent": "{percent} % rabatt på ditt nästa köp. Koden kan användas en gång.",
        "valid": "Giltig till och med {date}.",
        "footer": "Skickat av Pejling för {tenant} eftersom du svarade på undersökningen.",
    },
    "en": {
        "subject": "Your discount code from {store}",
        "greeting": "Hello,",
        "thanks": "Thank you for answering our questions about your visit to {store}.",
        "code": "Your discount code",
        "percent": "{percent}% off your next purchase. The code can be used once.",
        "valid": "Valid until {date}.",
        "footer": "Sent by Pejling for {tenant} because you answered the survey.",
    },
}


def reward_email_purpose(tenant_id: UUID, order_row_id: UUID) -> str:
    """What an order's sealed reward address is bound to (not the invitation's purpose: neither opens the other)."""
    return f"shopify-order-reward-email:{tenant_id}:{order_row_id}"


def seal_reward_email(settings: Settings, tenant_id: UUID, order_row_id: UUID, email: str) -> str:
    """The order's address sealed for the reward mail."""
    return seal(email, purpose=reward_email_purpose(tenant_id, order_row_id), settings=settings)


def forget_job_key(order_row_id: UUID) -> str:
    return f"{FORGET_REWARD_EMAIL_JOB}:{order_row_id}"


async def schedule_forgetting(order_row_id: UUID, expires_at: datetime) -> None:
    """Queue the job that clears the order's reward address when its invitation expires (in the tenant's scope)."""
    await enqueue(FORGET_REWARD_EMAIL_JOB, {"order": str(order_row_id)}, tenant_id=current_tenant_id(),
                  run_at=expires_at, idempotency_key=forget_job_key(order_row_id))


async def queue_reward_mail(order: ShopifyOrder, *, language: str, percent: int) -> bool:
    """Queue the reward mail of an order that has its code and a kept address (once per order); True if queued now
    or before. Runs in the tenant's scope, after the response was stored, so it never holds the response up."""
    if order.sealed_reward_email is None or order.reward_code is None or order.reward_mailed_at is not None:
        return False
    payload = {"order": str(order.id), "language": language if language in LANGUAGES else order.language,
               "percent": percent}
    await enqueue(REWARD_MAIL_JOB, payload, tenant_id=current_tenant_id(),
                  idempotency_key=f"{REWARD_MAIL_JOB}:{order.id}")
    return True


def reward_message(settings: Settings, *, tenant: Tenant, store: Store, order: ShopifyOrder, to: str, language: str,
                   percent: int | None) -> EmailMessage:
    """The reward mail: the code, what it gives and until when, localised plain text and HTML in the tenant's brand."""
    language = language if language in LANGUAGES else "en"
    t = TEXTS[language]
    code = str(order.reward_code)
    values = {"store": store.name, "tenant": tenant.name, "percent": str(percent or ""),
              "date": format_date(order.reward_expires_at.date(), format="long", locale=language)
              if order.reward_expires_at else ""}

    def fill(key: str) -> str:
        # One pass over our text (ASVS V1.3.10): a store or tenant name holding "{date}" or "{0.__class__}" stays as
        # it is written, it is never a template itself.
        return PLACEHOLDER.sub(lambda found: values.get(found.group(1), found.group(0)), t[key])

    lines = [fill("greeting"), "", fill("thanks"), "", f"{fill('code')}: {code}"]
    if percent:
        lines.append(fill("percent"))
    if order.reward_expires_at:
        lines.append(fill("valid"))
    lines += ["", "-- ", fill("footer"), ""]
    message = build_mail(settings, to=to, subject=fill("subject"), text="\n".join(lines),
                         html=_html(tenant, language, fill, code=code, percent=bool(percent),
                                    expires=order.reward_expires_at is not None))
    domain = settings.mail_from.rsplit("@", 1)[-1].strip(" >") or "pejling.localhost"
    del message["Message-ID"]
    # One order, one reward mail, one Message-ID: a receiving server that sees it twice can tell.
    message["Message-ID"] = f"<shopify-reward-{order.id}@{domain}>"
    message["Content-Language"] = language
    return message


def _html(tenant: Tenant, language: str, fill: Any, *, code: str, percent: bool, expires: bool) -> str:
    colours = brand_colours(tenant.brand_colour or DEFAULT_BRAND)
    e = html.escape
    details = "".join(f'<p style="color:#555">{e(fill(key))}</p>'
                      for key, shown in (("percent", percent), ("valid", expires)) if shown)
    return (
        f'<!doctype html><html lang="{e(language)}"><head><meta charset="utf-8">'
        f"<title>{e(fill('subject'))}</title></head>"
        '<body style="font-family:system-ui,sans-serif;max-width:560px;margin:0 auto;padding:16px;color:#1a1a1a">'
        f"<p>{e(fill('greeting'))}</p><p>{e(fill('thanks'))}</p><p>{e(fill('code'))}:</p>"
        f'<p style="display:inline-block;padding:12px 20px;border-radius:6px;background:{e(colours.fill)};'
        f'color:{e(colours.on_fill)};font-size:22px;font-weight:700;letter-spacing:2px">{e(code)}</p>'
        f'{details}<hr><p style="color:#555;font-size:13px">{e(fill("footer"))}</p></body></html>'
    )


async def _forget(order_id: UUID) -> None:
    await ShopifyOrder.filter(id=order_id).update(sealed_reward_email=None)


def _order_id(payload: dict[str, Any]) -> UUID:
    try:
        return UUID(str(payload.get("order")))
    except ValueError:
        raise PermanentJobError("the payload names no order") from None


@register_job(REWARD_MAIL_JOB, timeout_seconds=120, needs_plugins=True)
async def send_reward_mail(payload: dict[str, Any], plugins: Any) -> None:
    """Job: mail an order's reward code once, then forget the address (runs in the order's tenant scope)."""
    order_id = _order_id(payload)
    order = await ShopifyOrder.get_or_none(id=order_id)
    if order is None or order.sealed_reward_email is None or order.reward_mailed_at is not None:
        return  # erased, expired, or sent already
    if order.reward_code is None:
        raise PermanentJobError("the order has no reward code")
    if order.reward_mail_sending_at is not None:
        await _forget(order.id)
        raise PermanentJobError("an earlier attempt may have sent this reward mail: not sent again")
    tenant_id = current_tenant_id()
    try:
        to = unseal(order.sealed_reward_email, purpose=reward_email_purpose(tenant_id, order.id),
                    settings=plugins.settings)
    except SealedSecretError:
        await _forget(order.id)
        raise PermanentJobError("the order's reward address does not open with the current keys") from None
    if await is_suppressed(tenant_id, "email", to):
        await _forget(order.id)
        log.info("a Shopify reward mail was not sent: the address is on the suppression list")
        return
    tenant = await Tenant.get(id=tenant_id)
    store = await Store.get(id=order.store_id)
    raw_percent = payload.get("percent")
    percent = raw_percent if isinstance(raw_percent, int) and 1 <= raw_percent <= 100 else None
    settings = followups.current_settings()
    message = reward_message(settings, tenant=tenant, store=store, order=order, to=to,
                             language=str(payload.get("language") or order.language), percent=percent)
    claimed = await ShopifyOrder.filter(id=order.id, reward_mail_sending_at=None, reward_mailed_at=None).update(
        reward_mail_sending_at=datetime.now(UTC))
    if not claimed:
        return  # another worker has it
    try:
        await send_mail(settings, message)
    except aiosmtplib.SMTPServerDisconnected:
        # Cut off mid-conversation: the server may have taken the message. Not sent again.
        await _forget(order.id)
        raise PermanentJobError("the SMTP server disconnected during the send: not sent again") from None
    except (aiosmtplib.SMTPException, OSError):
        # Refused or unreachable: the server did not take the message, so the retry may send it.
        await ShopifyOrder.filter(id=order.id, reward_mailed_at=None).update(reward_mail_sending_at=None)
        raise
    await ShopifyOrder.filter(id=order.id).update(reward_mailed_at=datetime.now(UTC), sealed_reward_email=None)


@register_job(FORGET_REWARD_EMAIL_JOB, timeout_seconds=60)
async def forget_reward_email(payload: dict[str, Any]) -> None:
    """Job, at the invitation's expiry: clear the order's reward address, whatever became of the mail."""
    await _forget(_order_id(payload))


async def forget_reward_addresses(responses: Sequence[Response]) -> None:
    """Core erasure step: a shopper erased responses, so the orders they answered keep no reward address."""
    invitations = [r.invitation_id for r in responses if r.invitation_id is not None]
    if invitations:
        await ShopifyOrder.filter(invitation_id__in=invitations).update(sealed_reward_email=None)


register_erasure_step(forget_reward_addresses)

"""Telling people that a follow-up opened: localised email through the job queue, and channel plugins.

Opening a follow-up queues ``followups.notify``; that job works out the recipients (the assignee, the
members in the rule's roles — store managers only of that store — and the rule's extra addresses),
queues one ``followups.mail`` job per address, and calls the ``follow_up_opened`` hook so that channel
plugins can deliver it their way. Mails are written in the tenant's default language.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pejling.core import followups
from pejling.core.followups.models import AlertRule, FollowUp
from pejling.core.followups.notices import FollowUpNotice
from pejling.core.followups.workflow import store_managers_of
from pejling.core.jobs import PermanentJobError, enqueue, enqueue_each, register_job
from pejling.core.mail import build_mail, send_mail
from pejling.tenants.models import Membership, Role, Store, Tenant, User
from pejling.tenants.scope import all_tenants

if TYPE_CHECKING:
    from pejling.core.loaded_plugins import Plugins

log = logging.getLogger(__name__)

NOTIFY_JOB = "followups.notify"
MAIL_JOB = "followups.mail"

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "subject": "Follow-up for {store}: {title}",
        "greeting": "Hello,",
        "intro": "A shopper's feedback at {store} needs a follow-up.",
        "rule": "Alert rule: {rule}",
        "comment": "Comment: “{comment}”",
        "act": "Open it in Pejling to acknowledge it, add notes and resolve it:",
        "footer": "You get this mail because of the alert rule “{rule}” of {tenant}.",
        "outcome_at_most": "Low rating: {outcome} of 10",
        "goal_strongly_negative": "The goal “{goal}” scored {score} of 5",
        "comment_words": "The comment mentions: {words}",
        "store_score_falling": "The store's rating fell by {fall} (from {baseline_mean} to {recent_mean})",
    },
    "da": {
        "subject": "Opfølgning for {store}: {title}",
        "greeting": "Hej,",
        "intro": "En kundes feedback i {store} kræver opfølgning.",
        "rule": "Alarmregel: {rule}",
        "comment": "Kommentar: “{comment}”",
        "act": "Åbn den i Pejling for at kvittere, skrive noter og afslutte den:",
        "footer": "Du får denne mail på grund af alarmreglen “{rule}” hos {tenant}.",
        "outcome_at_most": "Lav bedømmelse: {outcome} af 10",
        "goal_strongly_negative": "Målet “{goal}” fik {score} af 5",
        "comment_words": "Kommentaren nævner: {words}",
        "store_score_falling": "Butikkens bedømmelse faldt med {fall} (fra {baseline_mean} til {recent_mean})",
    },
    "nb": {
        "subject": "Oppfølging for {store}: {title}",
        "greeting": "Hei,",
        "intro": "En kundes tilbakemelding i {store} trenger oppfølging.",
        "rule": "Varslingsregel: {rule}",
        "comment": "Kommentar: «{comment}»",
        "act": "Åpne den i Pejling for å bekrefte, skrive notater og lukke den:",
        "footer": "Du får denne e-posten på grunn av varslingsregelen «{rule}» hos {tenant}.",
        "outcome_at_most": "Lav vurdering: {outcome} av 10",
        "goal_strongly_negative": "Målet «{goal}» fikk {score} av 5",
        "comment_words": "Kommentaren nevner: {words}",
        "store_score_falling": "Butikkens vurdering falt med {fall} (fra {baseline_mean} til {recent_mean})",
    },
    "sv": {
        "subject": "Uppföljning för {store}: {title}",
        "greeting": "Hej,",
        "intro": "En kunds återkoppling i {store} behöver följas upp.",
        "rule": "Larmregel: {rule}",
        "comment": "Kommentar: ”{comment}”",
        "act": "Öppna den i Pejling för att kvittera, skriva anteckningar och avsluta den:",
        "footer": "Du får det här mejlet på grund av larmregeln ”{rule}” hos {tenant}.",
        "outcome_at_most": "Lågt betyg: {outcome} av 10",
        "goal_strongly_negative": "Målet ”{goal}” fick {score} av 5",
        "comment_words": "Kommentaren nämner: {words}",
        "store_score_falling": "Butikens betyg föll med {fall} (från {baseline_mean} till {recent_mean})",
    },
}


def texts_for(language: str) -> dict[str, str]:
    """The mail texts in ``language`` (English when the language is not one of da, nb, sv, en)."""
    return TEXTS.get(language, TEXTS["en"])


def _number(value: Any) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def title_of(kind: str, details: dict[str, Any], language: str) -> str:
    """The one-line, localised description of why a follow-up opened."""
    template = texts_for(language).get(kind)
    if template is None:
        return kind
    values = {k: _number(v) for k, v in details.items()}
    values["words"] = ", ".join(details.get("words") or [])
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return template.split(":")[0]


def follow_up_url(base_url: str, follow_up_id: UUID) -> str:
    """Where a follow-up is worked in the portal."""
    return f"{base_url.rstrip('/')}/portal/follow-ups/{follow_up_id}"


async def queue_follow_up_notifications(follow_up: FollowUp) -> None:
    """Queue the notifications of a newly opened follow-up (once per follow-up)."""
    await enqueue(NOTIFY_JOB, {"follow_up_id": str(follow_up.id)}, tenant_id=follow_up.tenant_id,
                  idempotency_key=f"{NOTIFY_JOB}:{follow_up.id}")


async def queue_notifications_of(follow_ups: Sequence[FollowUp]) -> None:
    """:func:`queue_follow_up_notifications` for several newly opened follow-ups at once (one look-up, one insert)."""
    by_tenant: dict[UUID, list[FollowUp]] = {}
    for follow_up in follow_ups:
        by_tenant.setdefault(follow_up.tenant_id, []).append(follow_up)
    for tenant_id, group in by_tenant.items():
        await enqueue_each(NOTIFY_JOB, [{"follow_up_id": str(f.id)} for f in group], tenant_id=tenant_id,
                           idempotency_keys=[f"{NOTIFY_JOB}:{f.id}" for f in group])


async def recipients(follow_up: FollowUp, rule: AlertRule | None) -> list[str]:
    """The addresses to tell about a follow-up: assignee, members in the rule's roles, the rule's addresses."""
    users: list[UUID] = []
    if follow_up.assignee_id is not None:
        users.append(follow_up.assignee_id)
    roles = set(rule.notify_roles or []) if rule is not None else {Role.STORE_MANAGER.value}
    if Role.STORE_MANAGER.value in roles:
        users += [user.id for _, user in await store_managers_of(follow_up.store_id)]
    others = [r for r in roles if r != Role.STORE_MANAGER.value]
    if others:
        users += [m.user_id for m in await Membership.filter(role__in=others).order_by("created_at")]
    found = {u.id: u.email for u in await User.filter(id__in=users, is_active=True)}
    addresses = [found[u] for u in users if u in found]
    addresses += list(rule.notify_emails or []) if rule is not None else []
    return list(dict.fromkeys(a.lower() for a in addresses))


async def notice_for(follow_up: FollowUp, addresses: list[str] | None = None) -> FollowUpNotice:
    """The plugin view of a follow-up."""
    rule = await AlertRule.get_or_none(id=follow_up.rule_id) if follow_up.rule_id else None
    store = await Store.get(id=follow_up.store_id)
    with all_tenants():
        tenant = await Tenant.get(id=follow_up.tenant_id)
    kind = rule.kind.value if rule is not None else ""
    return FollowUpNotice(
        id=follow_up.id, tenant_id=follow_up.tenant_id, store_id=store.id, store_name=store.name, rule_kind=kind,
        rule_name=rule.name if rule is not None else "", reason=follow_up.reason, opened_at=follow_up.created_at,
        language=tenant.default_language, title=title_of(kind, dict(follow_up.details or {}), tenant.default_language),
        url=follow_up_url(followups.current_settings().base_url, follow_up.id), response_id=follow_up.response_id,
        details=dict(follow_up.details or {}), recipients=tuple(addresses or ()),
    )


def _digest(address: str) -> str:
    return hashlib.sha256(address.encode()).hexdigest()[:32]


@register_job(NOTIFY_JOB, timeout_seconds=120, needs_plugins=True)
async def notify_follow_up(payload: dict[str, Any], plugins: Plugins) -> None:
    """Job: queue one mail per recipient of a new follow-up, then tell the channel plugins."""
    follow_up = await FollowUp.get_or_none(id=UUID(str(payload.get("follow_up_id"))))
    if follow_up is None:
        raise PermanentJobError("the follow-up no longer exists")
    rule = await AlertRule.get_or_none(id=follow_up.rule_id) if follow_up.rule_id else None
    addresses = await recipients(follow_up, rule)
    for address in addresses:
        await enqueue(MAIL_JOB, {"follow_up_id": str(follow_up.id), "to": address}, tenant_id=follow_up.tenant_id,
                      idempotency_key=f"{MAIL_JOB}:{follow_up.id}:{_digest(address)}")
    await _tell_plugins(plugins, await notice_for(follow_up, addresses))


async def _tell_plugins(plugins: Plugins, notice: FollowUpNotice) -> None:
    enabled = await plugins.plugins_for_tenant(notice.tenant_id)
    try:
        await enabled.call_hook("follow_up_opened", tenant_id=notice.tenant_id, follow_up=notice)
    except Exception:  # noqa: BLE001 - a failing channel plugin must not stop the mails
        log.exception("follow_up_opened failed", extra={"follow_up_id": str(notice.id)})


@register_job(MAIL_JOB, timeout_seconds=120)
async def send_follow_up_mail(payload: dict[str, Any]) -> None:
    """Job: send the localised notification mail of one follow-up to one address."""
    follow_up = await FollowUp.get_or_none(id=UUID(str(payload.get("follow_up_id"))))
    to = payload.get("to")
    if follow_up is None or not isinstance(to, str):
        raise PermanentJobError("the follow-up no longer exists or the payload has no address")
    settings = followups.current_settings()
    notice = await notice_for(follow_up)
    with all_tenants():
        tenant = await Tenant.get(id=follow_up.tenant_id)
    text = texts_for(notice.language)
    comment = ""
    if follow_up.response_id is not None:
        from pejling.core.surveys.models import Response

        response = await Response.get_or_none(id=follow_up.response_id)
        comment = response.comment if response is not None else ""
    lines = [
        text["greeting"], "", text["intro"].format(store=notice.store_name), "", notice.title,
        text["rule"].format(rule=notice.rule_name),
    ]
    if comment:
        lines.append(text["comment"].format(comment=comment))
    lines += ["", text["act"], notice.url, "", "-- ", text["footer"].format(rule=notice.rule_name, tenant=tenant.name)]
    message = build_mail(settings, to=to, subject=text["subject"].format(store=notice.store_name, title=notice.title),
                         text="\n".join(lines) + "\n")
    message["Content-Language"] = notice.language
    await send_mail(settings, message)

"""The weekly report by mail: every Monday from 06:00 UTC each store manager gets last week's report of their stores.

Housekeeping runs :data:`SCAN_JOB` hourly; from Monday 06:00 UTC until the week ends it queues one
:data:`MAIL_JOB` per store, recipient and ISO week, with the idempotency key ``weekly-report:<store>:<user>:<week>``,
so each is queued once however often the scan runs. The mail job sends the PDF as an attachment with a short text
in the store's language. An SMTP server that refuses or cannot be reached raises, and the queue retries later; one
that disconnects mid-send may have taken the message, so that job is not retried (a second copy is worse than a
missing one). Recipients are the active store managers of the store (owners, admins and analysts see every store
and have no per-store mail preference yet, so they are not mailed).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import aiosmtplib

from pejling.core import followups
from pejling.core.insights.weekly_report import report_filename, report_pdf, text_for, weekly_report
from pejling.core.insights.weekly_routes import last_week
from pejling.core.jobs.queue import enqueue, utcnow
from pejling.core.jobs.registry import PermanentJobError, register_job, run_hourly
from pejling.core.mail import build_mail, send_mail
from pejling.tenants.models import Membership, Role, Store, Tenant, User
from pejling.tenants.scope import all_tenants, tenant_scope

SCAN_JOB = "insights.weekly_report_scan"
MAIL_JOB = "insights.weekly_report_mail"
SEND_FROM = dt.time(6, 0)
"""Mails go out from Monday at this time (UTC)."""


def due_week(now: dt.datetime) -> str | None:
    """The week whose reports are due at ``now`` (the previous ISO week), or None before Monday 06:00 UTC."""
    now = now.astimezone(dt.UTC)
    if now.isoweekday() == 1 and now.time() < SEND_FROM:
        return None
    return last_week(now.date())


async def queue_weekly_reports(now: dt.datetime | None = None, tenant_id: UUID | None = None) -> int:
    """Queue the due week's mails not queued yet (of one tenant, or all); returns how many jobs the scan asked for."""
    week = due_week(now or utcnow())
    if week is None:
        return 0
    with all_tenants():
        query = Membership.filter(role=Role.STORE_MANAGER)
        if tenant_id is not None:
            query = query.filter(tenant_id=tenant_id)
        managers = await query.values("tenant_id", "user_id", "store_ids")
        active = {u for u in await User.filter(
            id__in=list({m["user_id"] for m in managers}), is_active=True).values_list("id", flat=True)}
        stores = {(s["tenant_id"], str(s["id"])) for s in await Store.all().values("id", "tenant_id")}
    asked = 0
    for m in managers:
        if m["user_id"] not in active:
            continue
        for store_id in m["store_ids"] or []:
            if (m["tenant_id"], str(store_id)) not in stores:
                continue
            await enqueue(MAIL_JOB, {"store_id": str(store_id), "user_id": str(m["user_id"]), "week": week},
                          tenant_id=m["tenant_id"], idempotency_key=f"weekly-report:{store_id}:{m['user_id']}:{week}")
            asked += 1
    return asked


@register_job(SCAN_JOB, timeout_seconds=300)
async def scan(payload: dict[str, Any]) -> None:
    """Job: queue the weekly report mails that are due."""
    await queue_weekly_reports()


@register_job(MAIL_JOB, timeout_seconds=300)
async def send_weekly_report(payload: dict[str, Any]) -> None:
    """Job: mail one store's weekly report PDF to one member, if they still manage the store."""
    try:
        store_id, user_id, week = UUID(str(payload["store_id"])), UUID(str(payload["user_id"])), str(payload["week"])
    except (KeyError, ValueError):
        raise PermanentJobError("the payload names no store, member or week") from None
    store = await Store.get_or_none(id=store_id)
    if store is None:
        return
    membership = await Membership.get_or_none(user_id=user_id)
    if membership is None or membership.role != Role.STORE_MANAGER or str(store_id) not in map(
            str, membership.store_ids or []):
        return
    with all_tenants():
        user = await User.get_or_none(id=user_id, is_active=True)
    if user is None:
        return
    tenant = await Tenant.get(id=store.tenant_id)
    with tenant_scope(tenant.id):
        report = await weekly_report(tenant.id, store, week)
    t = text_for(report.language)
    settings = followups.current_settings()
    message = build_mail(settings, to=user.email, subject=t["subject"].format(store=store.name, week=week),
                         text=t["body"].format(store=store.name, week=week))
    message.add_attachment(report_pdf(report), maintype="application", subtype="pdf",
                           filename=report_filename(store, week))
    try:
        await send_mail(settings, message)
    except aiosmtplib.SMTPServerDisconnected:
        raise PermanentJobError("the SMTP server disconnected during the send: not sent again") from None


run_hourly(SCAN_JOB)

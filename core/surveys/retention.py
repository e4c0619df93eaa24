"""Retention: a tenant keeps shopper responses for a number of months, then they are anonymised or deleted.

A tenant sets ``retention_months`` (1–120; null keeps responses until a shopper asks for their erasure) and
``retention_mode``:

* ``anonymise`` keeps the answers, scores and rollups (every figure stays as it was) and removes all that could lead
  back to a shopper: the comment, the contact address and consent, the reward, the client-address key, the
  submission digest and the channel's details (only the ``verified_visit`` and ``imported`` flags stay). The receipt
  code is replaced by one no shopper can type, so an old receipt finds nothing. Follow-ups of the response, their
  notes and the replies sent to the shopper are deleted.
* ``delete`` erases the responses as a shopper's erasure request does (:func:`~pejling.core.surveys.erasure
  .erase_responses`): rows deleted and their contribution subtracted from the rollups.

Either way export files that may hold the purged responses are deleted (the copies already made).

An hourly sweep queues one ``privacy.retention`` job per tenant with a retention; each job purges at most
:data:`MAX_PER_RUN` responses, a page per transaction, oldest first, so a first purge of years of data spreads over a
few hours and never holds long locks. Purging is idempotent: an anonymised response is not touched again.
"""

from __future__ import annotations

import calendar
import enum
import logging
import secrets
import string
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from tortoise.transactions import in_transaction

from pejling.core.followups.exports import forget_exports_since
from pejling.core.jobs.queue import enqueue
from pejling.core.jobs.registry import register_job, run_hourly
from pejling.core.surveys.erasure import erase_responses, forget_mail_copies, forget_shopper_threads
from pejling.core.surveys.models import Response
from pejling.tenants.models import Tenant
from pejling.tenants.scope import all_tenants, current_tenant_id

log = logging.getLogger(__name__)

SWEEP_JOB = "privacy.retention_sweep"
PURGE_JOB = "privacy.retention"
MONTHS_MIN, MONTHS_MAX = 1, 120
PAGE_SIZE = 500
MAX_PER_RUN = 50_000
#: Channel details that say something about the visit, not the shopper: kept by an anonymisation.
KEPT_DETAILS = ("verified_visit", "imported")
#: Replacement receipt codes: lower-case letters and "0" are outside the receipt alphabet, so none can be looked up.
_UNTYPEABLE = string.ascii_lowercase + "0"


class RetentionMode(enum.StrEnum):
    """What happens to a response older than the tenant's retention."""

    ANONYMISE = "anonymise"
    DELETE = "delete"


def months_before(moment: datetime, months: int) -> datetime:
    """``moment`` minus whole calendar months (the 31st of a shorter month becomes its last day)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def untypeable_receipt_code() -> str:
    """A receipt code for an anonymised response: unique with overwhelming odds, never matched by a look-up."""
    return "".join(secrets.choice(_UNTYPEABLE) for _ in range(8))


def anonymous_details(details: Any) -> dict[str, Any] | None:
    """The channel details an anonymised response keeps: only the flags about the visit."""
    if not isinstance(details, dict):
        return None
    kept = {key: details[key] for key in KEPT_DETAILS if details.get(key) is True}
    return kept or None


async def anonymise_responses(responses: list[Response], now: datetime) -> None:
    """Anonymise responses of the current tenant in one transaction (see the module's description)."""
    async with in_transaction():
        await forget_shopper_threads([r.id for r in responses])
        for response in responses:
            await Response.filter(id=response.id).update(
                comment="", consent_contact=False, contact_email=None, reward=None, client_key="",
                submission_digest=None, channel_details=anonymous_details(response.channel_details),
                receipt_code=untypeable_receipt_code(), anonymised_at=now,
            )
        await forget_exports_since(min(r.received_at for r in responses))
        await forget_mail_copies(responses)


async def purge_expired(tenant: Tenant, *, now: datetime | None = None, limit: int = MAX_PER_RUN) -> int:
    """Anonymise or delete the current tenant's responses submitted before its retention; returns how many.

    At most ``limit`` responses, a page per transaction, oldest first. Nothing happens without a retention.
    """
    if tenant.retention_months is None:
        return 0
    now = now or datetime.now(UTC)
    cutoff = months_before(now, tenant.retention_months)
    mode = RetentionMode(tenant.retention_mode)
    done = 0
    while done < limit:
        query = Response.filter(submitted_at__lt=cutoff)
        if mode is RetentionMode.ANONYMISE:
            query = query.filter(anonymised_at=None)
        page = await query.order_by("submitted_at", "id").limit(min(PAGE_SIZE, limit - done))
        if not page:
            break
        if mode is RetentionMode.DELETE:
            await erase_responses(page)
        else:
            await anonymise_responses(page, now)
        done += len(page)
    if done:
        log.info("retention purge of tenant %s: %d responses %s", current_tenant_id(), done,
                 "deleted" if mode is RetentionMode.DELETE else "anonymised")
    return done


@register_job(PURGE_JOB, timeout_seconds=1800)
async def run_purge(payload: dict[str, Any]) -> None:
    """Job (in the tenant's scope): one run of the tenant's retention purge."""
    tenant = await Tenant.get_or_none(id=current_tenant_id())
    if tenant is not None:
        await purge_expired(tenant)


@register_job(SWEEP_JOB, timeout_seconds=300)
async def sweep(payload: dict[str, Any]) -> None:
    """Hourly job: queue the purge of every tenant with a retention (once per tenant and hour)."""
    with all_tenants():
        tenant_ids = await Tenant.filter(retention_months__isnull=False).values_list("id", flat=True)
    hour = datetime.now(UTC).strftime("%Y%m%d%H")
    for tenant_id in sorted(tenant_ids, key=str):
        await enqueue(PURGE_JOB, {}, tenant_id=UUID(str(tenant_id)), idempotency_key=f"{PURGE_JOB}:{tenant_id}:{hour}")


run_hourly(SWEEP_JOB)

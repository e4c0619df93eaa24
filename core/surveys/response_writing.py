"""Writing a checked submission: the response, its answers, the invitation claim and the rollups in one transaction.

A receipt-code clash is retried; the same id stored a moment ago (a double submit) is :class:`AlreadyStored`. After
the commit, :func:`tell_plugins` stores the first reward offered and fires ``response_received``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from pejling.core.insights.rollups import record_response
from pejling.core.surveys import hooks
from pejling.core.surveys.models import Answer, Invitation, Response
from pejling.core.surveys.quality import CLOCK_ADJUSTED, TapForQuality, quality_flags
from pejling.core.surveys.receipts import new_receipt_code
from pejling.core.surveys.refusals import IngestRefused
from pejling.core.surveys.submission_check import CheckedSubmission
from pejling.tenants.models import Store
from pejling.tenants.scope import all_tenants

_RECEIPT_ATTEMPTS = 5


class AlreadyStored(Exception):
    """A response under this id was stored meanwhile (here or in any tenant): compare it, as for a resend."""


def _flags(checked: CheckedSubmission) -> list[str]:
    taps_for_quality = [TapForQuality(t.value, t.reaction_ms, t.warmup, t.goal) for t in checked.taps]
    flags = quality_flags(taps_for_quality, checked.started_at, checked.submitted_at)
    if checked.clock_adjusted:
        flags.append(CLOCK_ADJUSTED)
    return flags


def _duration_ms(checked: CheckedSubmission) -> int:
    duration_ms = int((checked.submitted_at - checked.started_at).total_seconds() * 1000)
    return max(-(2**31) + 1, min(duration_ms, 2**31 - 1))


async def write_response(
    response_id: UUID, checked: CheckedSubmission, store: Store, key: str, via: str, now: datetime, digest: str | None,
    plugins: Any | None = None,
) -> Response:
    """Store ``checked`` as the response ``response_id`` of ``store`` (inside its tenant's scope) and return it.

    ``plugins`` (``app.state.plugins``) are the scoring models that score it; without them the rollups load their own.
    """
    flags = _flags(checked)
    duration_ms = _duration_ms(checked)
    for _attempt in range(_RECEIPT_ATTEMPTS):
        try:
            async with in_transaction():
                response = await Response.create(
                    id=response_id,
                    store=store,
                    zone=checked.zone,
                    survey_version=checked.version,
                    invitation=checked.invitation,
                    channel=checked.channel,
                    channel_details=checked.channel_details,
                    via=via,
                    language=checked.language,
                    device_class=checked.device_class,
                    started_at=checked.started_at,
                    submitted_at=checked.submitted_at,
                    duration_ms=duration_ms,
                    outcome=checked.outcome,
                    comment=checked.comment,
                    consent_contact=checked.consent_contact,
                    contact_email=checked.contact_email,
                    quality_flags=flags,
                    receipt_code=new_receipt_code(),
                    client_key=key,
                    submission_digest=digest,
                )
                await _write_answers(response_id, checked, store)
                if checked.invitation is not None:
                    await _claim_invitation(checked.invitation, now)
                await record_response(response, checked.taps, timezone=store.timezone, plugins=plugins)
            return response
        except IntegrityError:
            # Either the same id was stored a moment ago (a double submit, here or in any tenant) or the receipt
            # code clashed: retry.
            with all_tenants():
                if await Response.exists(id=response_id):
                    raise AlreadyStored from None
    raise IngestRefused(503, "busy", "Could not store the response; send it again.", None)  # pragma: no cover


async def _write_answers(response_id: UUID, checked: CheckedSubmission, store: Store) -> None:
    await Answer.bulk_create(
        [
            Answer(
                tenant_id=store.tenant_id,
                response_id=response_id,
                store_id=store.id,
                submitted_at=checked.submitted_at,
                statement_id=t.statement_id,
                goal=t.goal,
                polarity=t.polarity,
                value=t.value,
                position=t.position,
                reaction_ms=t.reaction_ms,
                warmup=t.warmup,
            )
            for t in checked.taps
        ]
    )


async def _claim_invitation(invitation: Invitation, now: datetime) -> None:
    """Mark the invitation used, only if it still is unused and unexpired (two responses may race for it)."""
    claimed = await Invitation.filter(id=invitation.id, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
    if claimed != 1:
        raise IngestRefused(409, "invitation_used", "This invitation has already been used.", "invitation")


async def tell_plugins(plugins: Any | None, tenant_id: UUID, response: Response, checked: CheckedSubmission) -> None:
    """After the commit: store the first reward an enabled plugin offers, then fire ``response_received``."""
    response.reward = await hooks.reward_for(plugins, tenant_id, response, checked.taps)
    if response.reward is not None:
        await Response.filter(id=response.id).update(reward=response.reward)
    await hooks.response_received(plugins, tenant_id, response, checked.taps)

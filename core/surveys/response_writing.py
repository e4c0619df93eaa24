"""Writing checked submissions: the responses, their answers, the invitation claims and the rollups in one transaction.

:func:`write_responses` writes a batch (the group commit of :mod:`.group_commit`): one multi-row insert of the
responses, one of all their answers, the invitation claims, and the rollup deltas merged per row
(:func:`pejling.core.insights.rollups.record_responses`); any failure rolls the whole batch back, and the caller
then writes each submission on its own with :func:`write_response`, which tells a receipt-code clash (retried) from
the same id stored a moment ago (a double submit: :class:`AlreadyStored`). Either way the tenant's rollup version is
raised once, after the commit. After that, :func:`tell_plugins` stores the first reward offered and fires
``response_received``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from pejling.core.database import still_committable
from pejling.core.insights.rollups import Recorded, bump_version, record_responses
from pejling.core.surveys import hooks
from pejling.core.surveys.models import Answer, Invitation, Response
from pejling.core.surveys.quality import CLOCK_ADJUSTED, TapForQuality, quality_flags
from pejling.core.surveys.receipts import new_receipt_code
from pejling.core.surveys.refusals import IngestRefused
from pejling.core.surveys.submission_answers import applicable
from pejling.core.surveys.submission_check import CheckedSubmission
from pejling.tenants.models import Store
from pejling.tenants.scope import all_tenants, tenant_scope

log = logging.getLogger(__name__)

_RECEIPT_ATTEMPTS = 5


class AlreadyStored(Exception):
    """A response under this id was stored meanwhile (here or in any tenant): compare it, as for a resend."""


@dataclass(frozen=True)
class Submission:
    """A checked submission ready to be stored as the response ``response_id`` of ``store``.

    ``key`` is the hashed client key, ``digest`` the submission digest (:mod:`.resends`), ``plugins`` the loaded
    plugins that score it (``app.state.plugins``; None: rollups only).
    """

    response_id: UUID
    checked: CheckedSubmission
    store: Store
    key: str
    via: str
    now: datetime
    digest: str | None
    plugins: Any | None = None


def _flags(checked: CheckedSubmission) -> list[str]:
    taps_for_quality = [TapForQuality(t.value, t.reaction_ms, t.warmup, t.goal, t.not_applicable) for t in checked.taps]
    flags = quality_flags(taps_for_quality, checked.started_at, checked.submitted_at)
    if checked.clock_adjusted:
        flags.append(CLOCK_ADJUSTED)
    return flags


def _duration_ms(checked: CheckedSubmission) -> int:
    duration_ms = int((checked.submitted_at - checked.started_at).total_seconds() * 1000)
    return max(-(2**31) + 1, min(duration_ms, 2**31 - 1))


def proves_visit(details: Any) -> bool:
    """Whether a channel's details prove a real visit (its ``verified_visit`` flag)."""
    return isinstance(details, dict) and details.get("verified_visit") is True


def _response_row(s: Submission) -> Response:
    """The (unsaved) response row of a submission, with a fresh receipt code."""
    checked = s.checked
    return Response(
        id=s.response_id,
        tenant_id=s.store.tenant_id,
        store=s.store,
        zone=checked.zone,
        survey_version=checked.version,
        invitation=checked.invitation,
        channel=checked.channel,
        channel_details=checked.channel_details,
        verified_visit=proves_visit(checked.channel_details),
        via=s.via,
        language=checked.language,
        device_class=checked.device_class,
        started_at=checked.started_at,
        submitted_at=checked.submitted_at,
        duration_ms=_duration_ms(checked),
        outcome=checked.outcome,
        comment=checked.comment,
        consent_contact=checked.consent_contact,
        contact_email=checked.contact_email,
        quality_flags=_flags(checked),
        receipt_code=new_receipt_code(),
        client_key=s.key,
        submission_digest=s.digest,
    )


def _answer_rows(s: Submission) -> list[Answer]:
    return [
        Answer(
            tenant_id=s.store.tenant_id,
            response_id=s.response_id,
            store_id=s.store.id,
            submitted_at=s.checked.submitted_at,
            statement_id=t.statement_id,
            goal=t.goal,
            polarity=t.polarity,
            value=t.value,
            not_applicable=t.not_applicable,
            position=t.position,
            reaction_ms=t.reaction_ms,
            warmup=t.warmup,
        )
        for t in s.checked.taps
    ]


async def _write_tenant_batch(submissions: Sequence[Submission], plugins: Any | None) -> list[Response]:
    """Inside the transaction and the tenant's scope: rows, answers, claims, rollups and scores of one tenant."""
    responses = [_response_row(s) for s in submissions]
    await Response.bulk_create(responses)
    await Answer.bulk_create([a for s in submissions for a in _answer_rows(s)])
    for s in submissions:
        if s.checked.invitation is not None:
            await _claim_invitation(s.checked.invitation, s.now)
    await record_responses(  # "doesn't apply" answers count in no figure
        [Recorded(r, applicable(s.checked.taps), s.store.timezone)
         for r, s in zip(responses, submissions, strict=True)],
        plugins=plugins,
    )
    await still_committable()
    return responses


async def _bump_after_commit(tenant_id: UUID) -> None:
    """Raise the tenant's rollup version after the commit; a failure only delays cache invalidation (logged)."""
    try:
        with tenant_scope(tenant_id):
            await bump_version(tenant_id)
    except Exception:  # noqa: BLE001 - the responses are stored; the next batch raises the version again
        log.exception("could not raise the rollup version of tenant %s", tenant_id)


async def write_responses(submissions: Sequence[Submission]) -> list[Response]:
    """Store a batch of submissions (of any tenants) in one transaction and return their responses, in order.

    Raises whatever stops any one of them (an id or receipt-code clash, a used invitation, …); then nothing of the
    batch is stored and the caller writes each on its own (:func:`write_response`).
    """
    groups: dict[tuple[UUID, int], list[int]] = {}
    for i, s in enumerate(submissions):
        groups.setdefault((s.store.tenant_id, id(s.plugins)), []).append(i)
    stored: list[Response | None] = [None] * len(submissions)
    async with in_transaction():
        for (tenant_id, _), indexes in sorted(groups.items(), key=lambda g: str(g[0][0])):
            with tenant_scope(tenant_id):
                group = [submissions[i] for i in indexes]
                for i, response in zip(indexes, await _write_tenant_batch(group, group[0].plugins), strict=True):
                    stored[i] = response
    for tenant_id in sorted({s.store.tenant_id for s in submissions}, key=str):
        await _bump_after_commit(tenant_id)
    return [r for r in stored if r is not None]


async def write_response(submission: Submission) -> Response:
    """Store one submission on its own (inside its tenant's scope) and return its response.

    Raises :class:`AlreadyStored` when its id was stored meanwhile, :class:`IngestRefused` for a used invitation.
    """
    s = submission
    for _attempt in range(_RECEIPT_ATTEMPTS):
        try:
            async with in_transaction():
                (response,) = await _write_tenant_batch([s], s.plugins)
            await _bump_after_commit(s.store.tenant_id)
            return response
        except IntegrityError:
            # Either the same id was stored a moment ago (a double submit, here or in any tenant) or the receipt
            # code clashed: retry.
            with all_tenants():
                if await Response.exists(id=s.response_id):
                    raise AlreadyStored from None
    raise IngestRefused(503, "busy", "Could not store the response; send it again.", None)  # pragma: no cover


async def _claim_invitation(invitation: Invitation, now: datetime) -> None:
    """Mark the invitation used, only if it still is unused and unexpired (two responses may race for it)."""
    claimed = await Invitation.filter(id=invitation.id, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
    if claimed != 1:
        raise IngestRefused(409, "invitation_used", "This invitation has already been used.", "invitation")


async def tell_plugins(plugins: Any | None, tenant_id: UUID, response: Response, checked: CheckedSubmission) -> None:
    """After the commit: store the first reward an enabled plugin offers (the shopper sees it), then hand the
    response to ``response_received``: told off the request path (:class:`.hooks.ResponseEvents`), or right here for
    a caller inside a transaction (a test, a job: the plugins act in that transaction, as before)."""
    response.reward = await hooks.reward_for(plugins, tenant_id, response, checked.taps)
    if response.reward is not None:
        await Response.filter(id=response.id).update(reward=response.reward)
    if isinstance(connections.get("default"), TransactionalDBClient):
        await hooks.response_received(plugins, tenant_id, response, checked.taps)
    else:
        await hooks.response_events().tell(plugins, tenant_id, response, checked.taps)

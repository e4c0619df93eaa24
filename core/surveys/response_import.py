"""Importing historical responses (integrators): each checked like a live one, idempotent by id, rollups kept right.

:func:`import_responses` takes up to :data:`MAX_BATCH` responses for one store (and optionally one of its zones),
each a mapping in the shape of the JSON ingest (``id``, ``submitted_at``, ``answers`` of ``statement_id`` and
``value``, ``outcome``, ``comment``, ``language``, ``channel``), and answers one :class:`ItemResult` per response:

* ``stored``: written, with its answers and its rollup deltas (through the same writer as the live ingest,
  :func:`.response_writing.write_responses`, in transactions of :data:`WRITE_CHUNK`), so insights equal a full
  recomputation;
* ``duplicate``: the very same response was imported before (or earlier in this batch): nothing is written again;
* ``invalid`` with a code, a message and the field: refused like the live ingest refuses (unknown statement, a value
  off the version's scale, …), or ``id_conflict`` for an id already used with other content (or by a live
  response, or in another tenant: the answer is the same wherever it is stored), never overwritten.

What differs from a live response: the times are historical (``submitted_at`` at most :data:`MAX_AGE` back and not in
the future beyond :data:`MAX_AHEAD`; ``started_at`` is optional and defaults to ``submitted_at``), there are no
reaction times (so no reaction-time quality flag can fire, and the taps carry no conviction weight), no invitation,
no contact consent, no reward and no ``response_received`` hook (an import is not a visit to alert on or to
thank). Every imported response is stored with ``via = "import"`` and ``channel_details = {"imported": true}``, so
insights and exports can tell; its channel is the one given (an installed channel's key) or :data:`IMPORT_CHANNEL`.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from pejling.core.surveys.bank import LANGUAGES
from pejling.core.surveys.models import Response, SurveyVersion
from pejling.core.surveys.quality import MAX_DURATION_MS
from pejling.core.surveys.refusals import IngestRefused
from pejling.core.surveys.resends import submission_digest
from pejling.core.surveys.response_writing import AlreadyStored, Submission, write_response, write_responses
from pejling.core.surveys.submission_answers import MAX_ANSWERS, check_answers
from pejling.core.surveys.submission_check import CheckedSubmission
from pejling.core.surveys.submission_fields import parse_time, read_uuid
from pejling.core.surveys.submission_outcome import check_comment, check_outcome
from pejling.tenants.models import Store, Zone
from pejling.tenants.scope import all_tenants

log = logging.getLogger(__name__)

MAX_BATCH = 1000
"""The most responses one import takes; a larger batch is refused whole."""
MAX_AGE = timedelta(days=5 * 366)
"""How far back an imported ``submitted_at`` may lie (the documented floor: about five years)."""
MAX_AHEAD = timedelta(minutes=5)
"""How far ahead of the server's clock an imported ``submitted_at`` may lie (clock skew of the integrator)."""
IMPORT_VIA = "import"
IMPORT_CHANNEL = "import"
WRITE_CHUNK = 64
"""Responses written per transaction (the group commit's batch size: one insert stays within the bind limits)."""
STORED, DUPLICATE, INVALID = "stored", "duplicate", "invalid"
_FIELDS = frozenset({"id", "submitted_at", "started_at", "answers", "outcome", "comment", "language", "channel"})


class ImportRefused(Exception):
    """The whole batch is refused (nothing is stored): too many responses, or no store or survey to import into."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


@dataclass(frozen=True)
class ItemResult:
    """What became of one response of the batch (``index`` is its place in the batch)."""

    index: int
    id: str | None
    status: str
    code: str | None = None
    message: str | None = None
    field: str | None = None


@dataclass
class _Checked:
    index: int
    response_id: UUID
    checked: CheckedSubmission
    digest: str


def _invalid(index: int, item_id: str | None, refused: IngestRefused) -> ItemResult:
    return ItemResult(index, item_id, INVALID, refused.code, refused.message, refused.field)


def _conflict(index: int, item_id: str) -> ItemResult:
    return ItemResult(index, item_id, INVALID, "id_conflict",
                      "This response id is already in use with other content; it was not changed.", "id")


def _times(item: Mapping[str, Any], now: datetime) -> tuple[datetime, datetime]:
    submitted = parse_time(item.get("submitted_at"), "submitted_at")
    if not now - MAX_AGE <= submitted <= now + MAX_AHEAD:
        raise IngestRefused(422, "time_out_of_range", f"submitted_at must lie within the last {MAX_AGE.days} days "
                            "and not in the future.", "submitted_at")
    if item.get("started_at") is None:
        return submitted, submitted
    started = parse_time(item.get("started_at"), "started_at")
    if not timedelta(0) <= submitted - started <= timedelta(milliseconds=MAX_DURATION_MS):
        raise IngestRefused(422, "invalid_time", "started_at must lie before submitted_at, at most an hour.",
                            "started_at")
    return started, submitted


def _answers(raw: Any) -> list[dict[str, Any]]:
    """The answers in the live ingest's shape: each at its place in the list, without a reaction time."""
    if not isinstance(raw, list) or not raw or len(raw) > MAX_ANSWERS:
        raise IngestRefused(422, "invalid_answers", f"answers must be a list of 1 to {MAX_ANSWERS}.", "answers")
    answers = []
    for position, answer in enumerate(raw):
        if not isinstance(answer, Mapping):
            where = f"answers[{position}]"
            raise IngestRefused(422, "invalid_answers", f"{where} must be an object.", where)
        answers.append({"statement_id": answer.get("statement_id"), "value": answer.get("value"),
                        "position": position})
    return answers


async def _check(item: Mapping[str, Any], store: Store, zone: Zone | None, version: SurveyVersion,
                 channels: Collection[str], now: datetime) -> tuple[UUID, CheckedSubmission, str]:
    unknown = sorted(set(item) - _FIELDS)
    if unknown:
        raise IngestRefused(422, "unknown_field", f"Unknown field {unknown[0]}.", unknown[0])
    response_id = read_uuid(item.get("id"), "id")
    assert response_id is not None
    started, submitted = _times(item, now)
    language = item.get("language") or store.default_language
    if language not in LANGUAGES:
        raise IngestRefused(422, "invalid_language", f"language must be one of {', '.join(LANGUAGES)}.", "language")
    channel = item.get("channel") or IMPORT_CHANNEL
    if channel != IMPORT_CHANNEL and channel not in channels:
        raise IngestRefused(422, "invalid_channel", f"channel must be {IMPORT_CHANNEL} or an installed channel.",
                            "channel")
    taps = await check_answers(_answers(item.get("answers")), version)
    outcome = check_outcome(item.get("outcome"))
    comment = check_comment(item.get("comment"))
    checked = CheckedSubmission(
        version=version, zone=zone, invitation=None, channel=str(channel), channel_details={"imported": True},
        language=str(language), started_at=started, submitted_at=submitted, clock_adjusted=False, taps=taps,
        outcome=outcome, comment=comment, consent_contact=False, contact_email=None, device_class="unknown",
    )
    canonical = {
        "import": 1, "store_id": str(store.id), "zone_id": None if zone is None else str(zone.id),
        "survey_version_id": str(version.id), "started_at": started.isoformat(), "submitted_at": submitted.isoformat(),
        "language": checked.language, "channel": checked.channel, "outcome": outcome, "comment": comment,
        "answers": sorted([t.statement_id, t.value, t.position] for t in taps),
    }
    return response_id, checked, submission_digest(canonical)


async def _stored(ids: Sequence[UUID]) -> dict[UUID, Response]:
    """The responses already stored under any of ``ids``, in any tenant (response ids are global)."""
    with all_tenants():
        return {r.id: r for r in await Response.filter(id__in=list(ids))}


def _same(existing: Response, store: Store, digest: str) -> bool:
    return (existing.tenant_id == store.tenant_id and existing.store_id == store.id and existing.via == IMPORT_VIA
            and existing.submission_digest == digest)


async def _write(store: Store, chunk: Sequence[_Checked], now: datetime, plugins: Any | None) -> dict[int, ItemResult]:
    """Write one chunk in one transaction; if that fails (an id stored meanwhile, a receipt-code clash), one by one."""
    submissions = [Submission(c.response_id, c.checked, store, "", IMPORT_VIA, now, c.digest, plugins) for c in chunk]
    try:
        await write_responses(submissions)
        return {c.index: ItemResult(c.index, str(c.response_id), STORED) for c in chunk}
    except Exception:  # noqa: BLE001 - one response's fault: write each on its own to find it
        log.info("an import chunk of %d responses failed; writing them one by one", len(chunk))
    results: dict[int, ItemResult] = {}
    for c, submission in zip(chunk, submissions, strict=True):
        try:
            await write_response(submission)
            results[c.index] = ItemResult(c.index, str(c.response_id), STORED)
        except AlreadyStored:
            existing = (await _stored([c.response_id])).get(c.response_id)
            same = existing is not None and _same(existing, store, c.digest)
            results[c.index] = (ItemResult(c.index, str(c.response_id), DUPLICATE) if same
                                else _conflict(c.index, str(c.response_id)))
        except IngestRefused as refused:
            results[c.index] = _invalid(c.index, str(c.response_id), refused)
    return results


async def import_responses(
    items: Sequence[Any], *, store: Store, zone: Zone | None, version: SurveyVersion, channels: Collection[str],
    now: datetime, plugins: Any | None = None,
) -> list[ItemResult]:
    """Import ``items`` into ``store`` (inside its tenant's scope) and return one result per item, in order.

    ``version`` is the survey version the answers belong to (a version of the store's tenant), ``channels`` the
    installed channel keys an item may name. Raises :class:`ImportRefused` (nothing stored) for a batch of more than
    :data:`MAX_BATCH` or none.
    """
    if not items:
        raise ImportRefused("invalid", "Give at least one response.", "responses")
    if len(items) > MAX_BATCH:
        raise ImportRefused("too_many", f"At most {MAX_BATCH} responses per import; this batch has {len(items)}. "
                            "Nothing was imported: split it.", "responses")
    results: dict[int, ItemResult] = {}
    fresh: list[_Checked] = []
    for index, item in enumerate(items):
        given = item.get("id") if isinstance(item, Mapping) else None
        item_id = given if isinstance(given, str) else None
        if not isinstance(item, Mapping):
            results[index] = _invalid(index, None, IngestRefused(422, "malformed", "A response is an object.", None))
            continue
        try:
            response_id, checked, digest = await _check(item, store, zone, version, channels, now)
        except IngestRefused as refused:
            results[index] = _invalid(index, item_id, refused)
            continue
        fresh.append(_Checked(index, response_id, checked, digest))
    existing = await _stored([c.response_id for c in fresh])
    first: dict[UUID, str] = {}
    to_write: list[_Checked] = []
    for c in fresh:
        known = existing.get(c.response_id)
        earlier = first.get(c.response_id)
        if known is not None or earlier is not None:
            same = _same(known, store, c.digest) if known is not None else earlier == c.digest
            results[c.index] = (ItemResult(c.index, str(c.response_id), DUPLICATE) if same
                                else _conflict(c.index, str(c.response_id)))
            continue
        first[c.response_id] = c.digest
        to_write.append(c)
    for start in range(0, len(to_write), WRITE_CHUNK):
        results.update(await _write(store, to_write[start:start + WRITE_CHUNK], now, plugins))
    return [results[i] for i in range(len(items))]

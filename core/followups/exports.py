"""Exports of responses as CSV or JSON, made by a job with progress, downloaded through an authenticated route.

:func:`start_export` stores an :class:`Export` and queues ``followups.export``. The job walks the matching
responses in pages (keyset on ``submitted_at, id``), writes ``<var_dir>/exports/<tenant id>/<export id>.<ext>``
and records ``rows_done`` / ``rows_total`` as it goes. Contact emails are written only when the export was
started by an owner or admin; store managers' exports cover only their stores. No IP address exists to export.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from tortoise.expressions import Q

from pejling.core import followups
from pejling.core.followups.models import Export, ExportFormat, ExportStatus
from pejling.core.followups.refusals import FollowUpRefused
from pejling.core.followups.response_filters import ResponseFilter
from pejling.core.jobs import PermanentJobError, enqueue, register_job
from pejling.core.surveys.models import Answer, Response
from pejling.tenants.models import Store, Zone
from pejling.tenants.scope import current_tenant_id

log = logging.getLogger(__name__)

EXPORT_JOB = "followups.export"
PAGE_SIZE = 500
MAX_RUNNING_EXPORTS = 5
#: Finished exports (rows and files) are deleted this many days after they were made.
KEEP_EXPORTS_DAYS = 7
FIXED_COLUMNS = (
    "id", "receipt_code", "submitted_at", "store", "zone", "channel", "language", "device_class", "duration_ms",
    "outcome", "comment", "quality_flags", "consent_contact",
)
CONTACT_COLUMN = "contact_email"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def exports_dir(settings_var_dir: Path, tenant_id: UUID) -> Path:
    """The folder holding a tenant's export files."""
    return settings_var_dir / "exports" / str(tenant_id)


def export_path(export: Export) -> Path:
    """Where the file of ``export`` is (or will be) written."""
    return exports_dir(followups.current_settings().var_dir, export.tenant_id) / f"{export.id}.{export.format.value}"


def progress(export: Export) -> float:
    """How far the export is, 0.0 to 1.0 (1.0 once it succeeded, also for an export of no rows)."""
    if ExportStatus(export.status) is ExportStatus.SUCCEEDED:
        return 1.0
    if not export.rows_total:
        return 0.0
    return min(1.0, export.rows_done / export.rows_total)


async def start_export(fmt: ExportFormat, filters: ResponseFilter, *, requested_by: UUID | None,
                       include_contact: bool) -> Export:
    """Queue an export of the responses ``filters`` covers (the caller narrows it to the visible stores).

    Exports of the tenant older than :data:`KEEP_EXPORTS_DAYS` are deleted first, files included.
    """
    if fmt is ExportFormat.ZIP:
        raise FollowUpRefused("invalid", "A ZIP export holds everything of the tenant: start it with "
                              "startTenantExport (owners and admins).", "format")
    await purge_old_exports()
    running = await Export.filter(status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]).count()
    if running >= MAX_RUNNING_EXPORTS:
        raise FollowUpRefused("invalid", f"At most {MAX_RUNNING_EXPORTS} exports can run at once; wait for one.",
                              "format")
    export = await Export.create(format=fmt, filters=filters.to_json(), include_contact=include_contact,
                                 requested_by_id=requested_by)
    await enqueue(EXPORT_JOB, {"export_id": str(export.id)}, tenant_id=export.tenant_id,
                  idempotency_key=f"{EXPORT_JOB}:{export.id}", max_attempts=3)
    return export


async def purge_old_exports(now: datetime | None = None) -> int:
    """Delete the current tenant's finished exports older than :data:`KEEP_EXPORTS_DAYS`, with their files."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=KEEP_EXPORTS_DAYS)
    old = await Export.filter(created_at__lt=cutoff, status__in=[ExportStatus.SUCCEEDED, ExportStatus.FAILED])
    for export in old:
        path = export_path(export)
        path.unlink(missing_ok=True)
        path.with_suffix(path.suffix + ".part").unlink(missing_ok=True)
    if old:
        await Export.filter(id__in=[e.id for e in old]).delete()
    return len(old)


ERASED_WHILE_RUNNING = "A response in this export was erased while it ran; start the export again."


async def forget_exports_since(since: datetime) -> int:
    """Delete the current tenant's export files that may hold a response received at ``since`` or later (an erasure
    or a retention purge reaches copies already made): finished exports go with their files; a running one stops as
    failed (its partial file removed) and asks to be started again; a queued one reads the rows after the erasure.
    Returns how many exports were removed or stopped.
    """
    made = await Export.filter(created_at__gte=since, status__in=[ExportStatus.SUCCEEDED, ExportStatus.RUNNING])
    for export in made:
        path = export_path(export)
        path.unlink(missing_ok=True)
        path.with_suffix(path.suffix + ".part").unlink(missing_ok=True)
    finished = [e.id for e in made if ExportStatus(e.status) is ExportStatus.SUCCEEDED]
    running = [e.id for e in made if ExportStatus(e.status) is ExportStatus.RUNNING]
    if finished:
        await Export.filter(id__in=finished).delete()
    if running:
        await Export.filter(id__in=running).update(status=ExportStatus.FAILED, error=ERASED_WHILE_RUNNING,
                                                   finished_at=datetime.now(UTC))
    return len(made)


async def matching_pages(filters: ResponseFilter, page_size: int = PAGE_SIZE) -> AsyncIterator[list[Response]]:
    """The responses ``filters`` covers, oldest first, a page at a time (keyset: never an OFFSET scan)."""
    after: tuple[datetime, UUID] | None = None
    while True:
        query = filters.apply(Response.all())
        if after is not None:
            query = query.filter(Q(submitted_at__gt=after[0]) | Q(submitted_at=after[0], id__gt=after[1]))
        page = list(await query.order_by("submitted_at", "id").limit(page_size))
        if not page:
            return
        yield page
        if len(page) < page_size:
            return
        after = (page[-1].submitted_at, page[-1].id)


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet would run a cell starting with = + - @ as a formula: keep it text.
    return "'" + text if text.startswith(_FORMULA_START) else text


class _Writer:
    """Writes rows as CSV or as one JSON array, to an open text file."""

    def __init__(self, handle: io.TextIOBase, fmt: ExportFormat, statement_ids: list[str], contact: bool) -> None:
        self.handle = handle
        self.fmt = fmt
        self.statement_ids = statement_ids
        self.contact = contact
        self.first = True
        if fmt is ExportFormat.CSV:
            self.csv = csv.writer(handle)
            header = [*FIXED_COLUMNS, *([CONTACT_COLUMN] if contact else []),
                      *(f"answer:{sid}" for sid in statement_ids)]
            self.csv.writerow(header)
        else:
            handle.write("[\n")

    def write(self, row: dict[str, Any], answers: list[Answer]) -> None:
        if self.fmt is ExportFormat.CSV:
            values = {a.statement_id: "n/a" if a.not_applicable else a.value for a in answers}
            cells = [row[c] for c in FIXED_COLUMNS] + ([row[CONTACT_COLUMN]] if self.contact else [])
            cells[FIXED_COLUMNS.index("quality_flags")] = " ".join(row["quality_flags"])
            self.csv.writerow([_cell(c) for c in cells] + [_cell(values.get(sid)) for sid in self.statement_ids])
            return
        row = dict(row)
        row["answers"] = [
            {"statement_id": a.statement_id, "goal": a.goal, "polarity": a.polarity, "value": a.value,
             "not_applicable": a.not_applicable, "position": a.position, "reaction_ms": a.reaction_ms,
             "warmup": a.warmup}
            for a in sorted(answers, key=lambda a: a.position)
        ]
        self.handle.write(("" if self.first else ",\n") + json.dumps(row, ensure_ascii=False))
        self.first = False

    def close(self) -> None:
        if self.fmt is ExportFormat.JSON:
            self.handle.write("\n]\n")


def _row(response: Response, stores: dict[UUID, str], zones: dict[UUID, str], contact: bool) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": str(response.id), "receipt_code": response.receipt_code,
        "submitted_at": response.submitted_at.astimezone(UTC).isoformat(),
        "store": stores.get(response.store_id, ""), "zone": zones.get(response.zone_id, "") if response.zone_id else "",
        "channel": response.channel, "language": response.language, "device_class": response.device_class,
        "duration_ms": response.duration_ms, "outcome": response.outcome, "comment": response.comment,
        "quality_flags": list(response.quality_flags or []), "consent_contact": response.consent_contact,
    }
    if contact:
        row[CONTACT_COLUMN] = response.contact_email if response.consent_contact else None
    return row


async def run_export_job(payload: dict[str, Any], write: Callable[[Export], Awaitable[None]]) -> None:
    """The body of an export job: the export of ``payload["export_id"]`` written by ``write``; a failure marks it
    failed (unless an erasure stopped it first and gave its reason) and is not retried."""
    export = await Export.get_or_none(id=UUID(str(payload.get("export_id"))))
    if export is None:
        raise PermanentJobError("the export no longer exists")
    try:
        await write(export)
    except Exception as exc:  # an export stopped by an erasure keeps the reason it was given
        await Export.filter(id=export.id, status=ExportStatus.RUNNING).update(
            status=ExportStatus.FAILED, error=type(exc).__name__, finished_at=datetime.now(UTC))
        raise PermanentJobError(f"export failed: {type(exc).__name__}: {exc}") from exc


@register_job(EXPORT_JOB, timeout_seconds=3600)
async def run_export(payload: dict[str, Any]) -> None:
    """Job: write the export file, recording progress after every page."""
    await run_export_job(payload, _write)


async def write_responses(handle: io.TextIOBase, fmt: ExportFormat, filters: ResponseFilter, *, contact: bool,
                          progress: Callable[[int], Awaitable[None]] | None = None) -> int:
    """Write the current tenant's responses ``filters`` covers to ``handle`` as CSV or JSON, a page at a time,
    calling ``progress`` with the rows written so far after each page; returns how many."""
    stores = {s.id: s.slug for s in await Store.all()}
    zones = {z.id: z.name for z in await Zone.all()}
    statement_ids = sorted(set(await Answer.all().distinct().values_list("statement_id", flat=True)))
    writer = _Writer(handle, fmt, [str(s) for s in statement_ids], contact)
    done = 0
    async for page in matching_pages(filters):
        answers: dict[UUID, list[Answer]] = {}
        for answer in await Answer.filter(response_id__in=[r.id for r in page]):
            answers.setdefault(answer.response_id, []).append(answer)
        for response in page:
            writer.write(_row(response, stores, zones, contact), answers.get(response.id, []))
        done += len(page)
        if progress is not None:
            await progress(done)
    writer.close()
    return done


async def _write(export: Export) -> None:
    filters = ResponseFilter.from_json(export.filters or {})
    total = await filters.apply(Response.all()).count()
    await Export.filter(id=export.id).update(status=ExportStatus.RUNNING, rows_total=total, rows_done=0, error=None)
    path = export_path(export)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".part")

    async def progress(done: int) -> None:
        await Export.filter(id=export.id).update(rows_done=done)

    with partial.open("w", encoding="utf-8", newline="") as handle:
        os.chmod(partial, 0o600)
        done = await write_responses(handle, ExportFormat(export.format), filters, contact=export.include_contact,
                                     progress=progress)
    await finish(export, partial, done, total)


async def finish(export: Export, partial: Path, done: int, total: int) -> None:
    """Put a written export file in place and mark the export succeeded, unless an erasure stopped it meanwhile."""
    path = export_path(export)
    if not await Export.exists(id=export.id, status=ExportStatus.RUNNING):  # stopped by an erasure meanwhile
        await asyncio.to_thread(partial.unlink, missing_ok=True)
        return
    await asyncio.to_thread(partial.replace, path)
    await Export.filter(id=export.id).update(
        status=ExportStatus.SUCCEEDED, rows_done=done, rows_total=max(total, done), file_name=path.name,
        finished_at=datetime.now(UTC),
    )
    log.info("export %s written: %d rows", export.id, done, extra={"tenant_id": str(current_tenant_id())})


def download_name(export: Export) -> str:
    """The file name a browser saves the export as."""
    stamp = export.created_at.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    what = "tenant" if ExportFormat(export.format) is ExportFormat.ZIP else "responses"
    return f"pejling-{what}-{stamp}.{ExportFormat(export.format).value}"

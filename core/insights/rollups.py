"""Keeping rollups up to date as responses arrive, and recomputing them from the raw responses.

One call site: the survey ingest calls :func:`record_response` once a response and its answers are stored (inside
the same transaction, so a response is never counted twice or lost). :func:`recompute_rollups` rebuilds a tenant's
rollups from its responses (after a bulk import such as the demo generator, or to repair); the tests prove that
incremental rollups equal a full recomputation.

Each change raises the tenant's rollup version (``insights_rollup_state``), which keys the cache of heavy models.
Rows are keyed by store, zone (the nil UUID for "no zone"), channel, the store's local day and the goal mask.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from pejling.core.insights import sql
from pejling.core.insights.columns import HISTOGRAM_COLUMNS, INTEGER_COLUMNS, SUM_COLUMNS, FloatArray, contribution
from pejling.core.insights.goal_scores import Tap, TapLike
from pejling.tenants.scope import current_tenant_id, tenant_scope

log = logging.getLogger(__name__)

NO_ZONE = UUID(int=0)
"""The zone of rollup rows for responses given outside any zone."""

_KEY = ("tenant_id", "store_id", "zone_id", "channel", "day")
_DAILY_INSERT = (
    "INSERT INTO insights_daily (id, " + ", ".join(_KEY) + ", mask, " + ", ".join(SUM_COLUMNS) + ") VALUES ("  # noqa: S608 - constant column names
    + sql.marks(len(_KEY) + 2 + len(SUM_COLUMNS)) + ") ON CONFLICT (" + ", ".join(_KEY) + ", mask) DO UPDATE SET "
    + ", ".join(f"{c} = insights_daily.{c} + excluded.{c}" for c in SUM_COLUMNS)
)
_STATEMENT_INSERT = (
    "INSERT INTO insights_statement_daily (id, " + ", ".join(_KEY) + ", statement_id, " + ", ".join(HISTOGRAM_COLUMNS)  # noqa: S608 - constant column names
    + ") VALUES (" + sql.marks(len(_KEY) + 2 + len(HISTOGRAM_COLUMNS)) + ") ON CONFLICT (" + ", ".join(_KEY)
    + ", statement_id) DO UPDATE SET "
    + ", ".join(f"{c} = insights_statement_daily.{c} + excluded.{c}" for c in HISTOGRAM_COLUMNS)
)
_BUMP = (
    "INSERT INTO insights_rollup_state (id, tenant_id, version) VALUES (?, ?, 1) "
    "ON CONFLICT (tenant_id) DO UPDATE SET version = insights_rollup_state.version + 1"
)


class ResponseLike(Protocol):
    """What the rollups need of a stored response."""

    id: Any
    store_id: Any
    zone_id: Any
    channel: str
    submitted_at: datetime
    outcome: int | None
    quality_flags: Any


class StatementTapLike(TapLike, Protocol):
    statement_id: str


@dataclass
class _StatementTap:
    statement_id: str
    goal: str
    polarity: int
    value: int
    reaction_ms: int | None
    warmup: bool


def local_day(moment: datetime, timezone: str | None) -> date:
    """The day of ``moment`` in the store's time zone (UTC when unknown)."""
    try:
        zone = ZoneInfo(timezone) if timezone else None
    except (KeyError, ValueError):
        zone = None
    return moment.astimezone(zone).date() if zone else moment.date()


class _Batch:
    """Rollup deltas gathered in memory and written with one upsert per row."""

    def __init__(self) -> None:
        self.daily: dict[tuple[Any, ...], FloatArray] = {}
        self.statements: dict[tuple[Any, ...], list[int]] = {}

    def add(
        self, store_id: UUID, zone_id: UUID | None, channel: str, day: date, outcome: int | None, flagged: bool,
        taps: Sequence[StatementTapLike],
    ) -> None:
        mask, vec, _ = contribution(taps, outcome, flagged=flagged)
        key = (store_id, zone_id or NO_ZONE, channel, day, mask)
        row = self.daily.get(key)
        if row is None:
            self.daily[key] = vec
        else:
            row += vec
        if flagged:
            return
        for tap in taps:
            if not 0 <= int(tap.value) < len(HISTOGRAM_COLUMNS):
                continue
            skey = (store_id, zone_id or NO_ZONE, channel, day, tap.statement_id)
            counts = self.statements.setdefault(skey, [0] * len(HISTOGRAM_COLUMNS))
            counts[int(tap.value)] += 1

    def __len__(self) -> int:
        return len(self.daily)

    async def write(self, tenant_id: UUID) -> None:
        rows: list[list[Any]] = []
        for (store_id, zone_id, channel, day, mask), vec in self.daily.items():
            values = [
                int(round(v)) if c in INTEGER_COLUMNS else float(v) for c, v in zip(SUM_COLUMNS, vec, strict=True)
            ]
            rows.append([uuid4(), tenant_id, store_id, zone_id, channel, day, mask, *values])
        await sql.execute_many(_DAILY_INSERT, rows)
        srows = [
            [uuid4(), tenant_id, store_id, zone_id, channel, day, statement_id, *counts]
            for (store_id, zone_id, channel, day, statement_id), counts in self.statements.items()
        ]
        await sql.execute_many(_STATEMENT_INSERT, srows)
        self.daily.clear()
        self.statements.clear()


async def bump_version(tenant_id: UUID) -> None:
    await sql.execute(_BUMP, [uuid4(), tenant_id])


async def rollup_version(tenant_id: UUID) -> int:
    """The tenant's rollup version (0 before the first response)."""
    rows = await sql.fetch("SELECT version FROM insights_rollup_state WHERE tenant_id = ?", [tenant_id])
    return int(rows[0]["version"]) if rows else 0


def _flagged(flags: Any) -> bool:
    return bool(sql.as_json(flags))


async def record_response(
    response: ResponseLike, taps: Iterable[StatementTapLike], *, timezone: str | None = None,
) -> None:
    """Add one stored response to its tenant's rollups (the ingest's single call site, in its transaction).

    ``taps`` are the response's answers (objects with statement_id, goal, polarity, value, reaction_ms, warmup);
    ``timezone`` is the store's time zone (looked up when not given).
    """
    tenant_id = current_tenant_id()
    if timezone is None:
        rows = await sql.fetch(
            "SELECT timezone FROM store WHERE id = ? AND tenant_id = ?", [response.store_id, tenant_id]
        )
        timezone = rows[0]["timezone"] if rows else None
    batch = _Batch()
    batch.add(
        sql.as_uuid(response.store_id),
        sql.as_uuid(response.zone_id) if response.zone_id else None,
        response.channel,
        local_day(sql.as_datetime(response.submitted_at), timezone),
        response.outcome,
        _flagged(response.quality_flags),
        list(taps),
    )
    async with in_transaction():
        await batch.write(tenant_id)
        await bump_version(tenant_id)


async def recompute_rollups(tenant_id: UUID | None = None, *, batch_size: int = 5000) -> int:
    """Rebuild the rollups of a tenant (default: the current scope) from its stored responses; returns how many.

    Runs in one transaction: readers see the old rollups until the new ones are complete.
    """
    tenant = tenant_id or current_tenant_id()
    with tenant_scope(tenant):
        timezones = {
            sql.as_uuid(r["id"]): r["timezone"]
            for r in await sql.fetch("SELECT id, timezone FROM store WHERE tenant_id = ?", [tenant])
        }
        total = 0
        async with in_transaction():
            await sql.execute("DELETE FROM insights_daily WHERE tenant_id = ?", [tenant])
            await sql.execute("DELETE FROM insights_statement_daily WHERE tenant_id = ?", [tenant])
            pending = _Batch()
            after: Any = None
            while True:
                where = "tenant_id = ?" + (" AND id > ?" if after is not None else "")
                params: list[Any] = [tenant] + ([after] if after is not None else [])
                responses = await sql.fetch(
                    "SELECT id, store_id, zone_id, channel, submitted_at, outcome, quality_flags FROM survey_response "  # noqa: S608
                    "WHERE " + where + " ORDER BY id LIMIT ?",  # noqa: S608 - fixed text and placeholders only
                    [*params, batch_size],
                )
                if not responses:
                    break
                first, last = responses[0]["id"], responses[-1]["id"]
                taps: dict[str, list[_StatementTap]] = {}
                for a in await sql.fetch(
                    "SELECT a.response_id, a.statement_id, a.goal, a.polarity, a.value, a.reaction_ms, a.warmup "
                    "FROM survey_answer a WHERE a.tenant_id = ? AND a.response_id >= ? AND a.response_id <= ?",
                    [tenant, first, last],
                ):
                    taps.setdefault(str(a["response_id"]), []).append(
                        _StatementTap(a["statement_id"], a["goal"], int(a["polarity"]), int(a["value"]),
                                      None if a["reaction_ms"] is None else int(a["reaction_ms"]), bool(a["warmup"]))
                    )
                for r in responses:
                    store_id = sql.as_uuid(r["store_id"])
                    pending.add(
                        store_id,
                        sql.as_uuid(r["zone_id"]) if r["zone_id"] else None,
                        r["channel"],
                        local_day(sql.as_datetime(r["submitted_at"]), timezones.get(store_id)),
                        None if r["outcome"] is None else int(r["outcome"]),
                        _flagged(r["quality_flags"]),
                        taps.get(str(r["id"]), []),
                    )
                total += len(responses)
                if len(pending) >= 20_000:
                    await pending.write(tenant)
                after = last
                if len(responses) < batch_size:
                    break
            await pending.write(tenant)
            await bump_version(tenant)
    log.info("recomputed the rollups of tenant %s from %d responses", tenant, total)
    return total


def taps_of(rows: Iterable[Any]) -> list[Tap]:
    """Plain taps from answer rows (for scoring without the ORM objects)."""
    return [Tap(r.goal, int(r.polarity), int(r.value), r.reaction_ms, bool(r.warmup)) for r in rows]


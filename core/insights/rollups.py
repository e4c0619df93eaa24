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
from pejling.core.insights.columns import (
    HISTOGRAM_COLUMNS,
    INTEGER_COLUMNS,
    STORE_COLUMNS,
    STORE_INDEX,
    SUM_COLUMNS,
    FloatArray,
    contribution,
)
from pejling.core.insights.goal_scores import Tap, TapLike
from pejling.tenants.scope import current_tenant_id, tenant_scope

log = logging.getLogger(__name__)

FLUSH_KEYS = 2_000_000
"""A full recomputation gathers everything in memory and writes once, unless it gathers more rows than this."""

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
_STORE_INSERT = (
    "INSERT INTO insights_store_daily (id, tenant_id, store_id, day, " + ", ".join(STORE_COLUMNS) + ") VALUES ("  # noqa: S608
    + sql.marks(4 + len(STORE_COLUMNS)) + ") ON CONFLICT (tenant_id, store_id, day) DO UPDATE SET "
    + ", ".join(f"{c} = insights_store_daily.{c} + excluded.{c}" for c in STORE_COLUMNS)
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
        self.stores: dict[tuple[Any, ...], FloatArray] = {}

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
        skey = (store_id, day)
        store_row = self.stores.get(skey)
        if store_row is None:
            self.stores[skey] = vec[STORE_INDEX]
        else:
            store_row += vec[STORE_INDEX]
        if flagged:
            return
        for tap in taps:
            if not 0 <= int(tap.value) < len(HISTOGRAM_COLUMNS):
                continue
            tkey = (store_id, zone_id or NO_ZONE, channel, day, tap.statement_id)
            counts = self.statements.setdefault(tkey, [0] * len(HISTOGRAM_COLUMNS))
            counts[int(tap.value)] += 1

    def __len__(self) -> int:
        return len(self.daily)

    async def write(self, tenant_id: UUID, *, fresh: bool = False) -> None:
        """Add the gathered deltas to the rollups; ``fresh``: no rollup rows yet (a bulk copy on PostgreSQL)."""
        if fresh and sql.is_postgres():
            await self._copy(tenant_id)
            return
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
        await sql.execute_many(_STORE_INSERT, self._store_rows(tenant_id))
        self.daily.clear()
        self.statements.clear()
        self.stores.clear()

    def _store_rows(self, tenant_id: UUID) -> list[list[Any]]:
        return [
            [uuid4(), tenant_id, store_id, day,
             *[int(round(v)) if c in INTEGER_COLUMNS else float(v)
               for c, v in zip(STORE_COLUMNS, vec, strict=True)]]
            for (store_id, day), vec in self.stores.items()
        ]

    async def _copy(self, tenant_id: UUID) -> None:
        daily = [
            (uuid4(), tenant_id, store_id, zone_id, channel, day, mask,
             *[int(round(v)) if c in INTEGER_COLUMNS else float(v) for c, v in zip(SUM_COLUMNS, vec, strict=True)])
            for (store_id, zone_id, channel, day, mask), vec in self.daily.items()
        ]
        statements = [
            (uuid4(), tenant_id, store_id, zone_id, channel, day, statement_id, *counts)
            for (store_id, zone_id, channel, day, statement_id), counts in self.statements.items()
        ]
        async with sql.client().acquire_connection() as connection:
            await connection.copy_records_to_table(
                "insights_daily", records=daily, columns=["id", *_KEY, "mask", *SUM_COLUMNS]
            )
            await connection.copy_records_to_table(
                "insights_statement_daily", records=statements,
                columns=["id", *_KEY, "statement_id", *HISTOGRAM_COLUMNS],
            )
            await connection.copy_records_to_table(
                "insights_store_daily", records=[tuple(r) for r in self._store_rows(tenant_id)],
                columns=["id", "tenant_id", "store_id", "day", *STORE_COLUMNS],
            )
        self.daily.clear()
        self.statements.clear()
        self.stores.clear()


async def bump_version(tenant_id: UUID) -> None:
    await sql.execute(_BUMP, [uuid4(), tenant_id])


async def rollup_version(tenant_id: UUID) -> int:
    """The tenant's rollup version (0 before the first response)."""
    rows = await sql.fetch("SELECT version FROM insights_rollup_state WHERE tenant_id = ?", [tenant_id])
    return int(rows[0]["version"]) if rows else 0


def _flagged(flags: Any) -> bool:
    return bool(sql.as_json(flags))


async def record_response(
    response: ResponseLike, taps: Iterable[StatementTapLike], *, timezone: str | None = None, scores: bool = True,
) -> None:
    """Add one stored response to its tenant's rollups and store its scores (the ingest's single call site).

    Call it in the transaction that stored the response. ``taps`` are the response's answers (objects with
    statement_id, goal, polarity, value, reaction_ms, warmup); ``timezone`` is the store's time zone (looked up when
    not given). ``scores``: also score it with every scoring model enabled for the tenant (``insights_score``).
    """
    taps_list = list(taps)
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
        taps_list,
    )
    async with in_transaction():
        await batch.write(tenant_id)
        await bump_version(tenant_id)
        if scores:
            from pejling.core.insights.scores import store_scores

            await store_scores(None, response, taps_list, new=True)


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
            await sql.execute("DELETE FROM insights_store_daily WHERE tenant_id = ?", [tenant])
            pending = _Batch()
            fresh = True
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
                if len(pending.statements) >= FLUSH_KEYS:
                    # Rows written before may be met again: from here on add to them (upsert).
                    await pending.write(tenant, fresh=fresh)
                    fresh = False
                after = last
                if len(responses) < batch_size:
                    break
            await pending.write(tenant, fresh=fresh)
            await bump_version(tenant)
    log.info("recomputed the rollups of tenant %s from %d responses", tenant, total)
    return total


def taps_of(rows: Iterable[Any]) -> list[Tap]:
    """Plain taps from answer rows (for scoring without the ORM objects)."""
    return [Tap(r.goal, int(r.polarity), int(r.value), r.reaction_ms, bool(r.warmup)) for r in rows]


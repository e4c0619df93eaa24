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
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from pejling.core.goals.scores import Tap, TapLike
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
from pejling.tenants.scope import (
    TenantScopeViolation,
    copy_tenant_rows,
    current_tenant_id,
    current_tenant_id_or_none,
    tenant_scope,
    tenant_sql,
)

if TYPE_CHECKING:
    from pejling.core.loaded_plugins import Plugins

log = logging.getLogger(__name__)

FLUSH_KEYS = 2_000_000
"""A full recomputation gathers everything in memory and writes once, unless it gathers more rows than this."""

NO_ZONE = UUID(int=0)
"""The zone of rollup rows for responses given outside any zone."""

_KEY = ("store_id", "zone_id", "channel", "day")
"""The key of a rollup row after its tenant (``tenant_id``, bound by :func:`tenant_sql`)."""
_CONFLICT = "tenant_id, " + ", ".join(_KEY)
_DAILY_INSERT = tenant_sql(
    "INSERT INTO insights_daily (id, tenant_id, " + ", ".join(_KEY) + ", mask, " + ", ".join(SUM_COLUMNS)  # noqa: S608 - constant column names
    + ") VALUES (?, {tenant}, " + sql.marks(len(_KEY) + 1 + len(SUM_COLUMNS)) + ") ON CONFLICT (" + _CONFLICT
    + ", mask) DO UPDATE SET " + ", ".join(f"{c} = insights_daily.{c} + excluded.{c}" for c in SUM_COLUMNS)
)
_STATEMENT_INSERT = tenant_sql(
    "INSERT INTO insights_statement_daily (id, tenant_id, " + ", ".join(_KEY) + ", statement_id, "  # noqa: S608 - constant column names
    + ", ".join(HISTOGRAM_COLUMNS) + ") VALUES (?, {tenant}, " + sql.marks(len(_KEY) + 1 + len(HISTOGRAM_COLUMNS))
    + ") ON CONFLICT (" + _CONFLICT + ", statement_id) DO UPDATE SET "
    + ", ".join(f"{c} = insights_statement_daily.{c} + excluded.{c}" for c in HISTOGRAM_COLUMNS)
)
_STORE_INSERT = tenant_sql(
    "INSERT INTO insights_store_daily (id, tenant_id, store_id, day, " + ", ".join(STORE_COLUMNS)  # noqa: S608
    + ") VALUES (?, {tenant}, " + sql.marks(2 + len(STORE_COLUMNS)) + ") ON CONFLICT (tenant_id, store_id, day) "
    + "DO UPDATE SET " + ", ".join(f"{c} = insights_store_daily.{c} + excluded.{c}" for c in STORE_COLUMNS)
)
_BUMP = tenant_sql(
    "INSERT INTO insights_rollup_state (id, tenant_id, version) VALUES (?, {tenant}, 1) "
    "ON CONFLICT (tenant_id) DO UPDATE SET version = insights_rollup_state.version + 1"
)
_VERSION = tenant_sql("SELECT version FROM insights_rollup_state WHERE tenant_id = {tenant}")
_STORE_TIMEZONE = tenant_sql("SELECT timezone FROM store WHERE tenant_id = {tenant} AND id = ?")
_STORE_TIMEZONES = tenant_sql("SELECT id, timezone FROM store WHERE tenant_id = {tenant}")
_CLEAR = tuple(
    tenant_sql(f"DELETE FROM {table} WHERE tenant_id = {{tenant}}")  # noqa: S608 - constant table names
    for table in ("insights_daily", "insights_statement_daily", "insights_store_daily")
)
_RESPONSES = "SELECT id, store_id, zone_id, channel, submitted_at, outcome, quality_flags FROM survey_response "
_FIRST_RESPONSES = tenant_sql(_RESPONSES + "WHERE tenant_id = {tenant} ORDER BY id LIMIT ?")
_NEXT_RESPONSES = tenant_sql(_RESPONSES + "WHERE tenant_id = {tenant} AND id > ? ORDER BY id LIMIT ?")
_ANSWERS = tenant_sql(
    "SELECT a.response_id, a.statement_id, a.goal, a.polarity, a.value, a.reaction_ms, a.warmup "
    "FROM survey_answer a WHERE a.tenant_id = {tenant} AND a.response_id >= ? AND a.response_id <= ?"
)


def _in_scope(tenant_id: Any) -> None:
    """Refuse a tenant id that is not the current scope's (the rollups' raw SQL always binds the scope's tenant)."""
    if sql.as_uuid(tenant_id) != current_tenant_id():
        raise TenantScopeViolation("rollups of another tenant than the current scope")


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
        """Add the gathered deltas to the current tenant's rollups (``tenant_id`` must be the scope's); ``fresh``:
        no rollup rows yet (a bulk copy on PostgreSQL)."""
        _in_scope(tenant_id)
        daily, statements, stores = self._daily_rows(), self._statement_rows(), self._store_rows()
        if fresh and sql.is_postgres():
            await copy_tenant_rows("insights_daily", ["id", *_KEY, "mask", *SUM_COLUMNS], daily)
            await copy_tenant_rows("insights_statement_daily", ["id", *_KEY, "statement_id", *HISTOGRAM_COLUMNS],
                                   statements)
            await copy_tenant_rows("insights_store_daily", ["id", "store_id", "day", *STORE_COLUMNS], stores)
        else:
            await _DAILY_INSERT.execute_batch(daily)
            await _STATEMENT_INSERT.execute_batch(statements)
            await _STORE_INSERT.execute_batch(stores)
        self.daily.clear()
        self.statements.clear()
        self.stores.clear()

    def _daily_rows(self) -> list[list[Any]]:
        return [
            [uuid4(), store_id, zone_id, channel, day, mask,
             *[int(round(v)) if c in INTEGER_COLUMNS else float(v) for c, v in zip(SUM_COLUMNS, vec, strict=True)]]
            for (store_id, zone_id, channel, day, mask), vec in self.daily.items()
        ]

    def _statement_rows(self) -> list[list[Any]]:
        return [
            [uuid4(), store_id, zone_id, channel, day, statement_id, *counts]
            for (store_id, zone_id, channel, day, statement_id), counts in self.statements.items()
        ]

    def _store_rows(self) -> list[list[Any]]:
        return [
            [uuid4(), store_id, day,
             *[int(round(v)) if c in INTEGER_COLUMNS else float(v)
               for c, v in zip(STORE_COLUMNS, vec, strict=True)]]
            for (store_id, day), vec in self.stores.items()
        ]


async def bump_version(tenant_id: UUID) -> None:
    _in_scope(tenant_id)
    await _BUMP.execute([uuid4()])


async def rollup_version(tenant_id: UUID) -> int:
    """The tenant's rollup version (0 before the first response); ``tenant_id`` must be the current scope's."""
    _in_scope(tenant_id)
    rows = await _VERSION.rows()
    return int(rows[0]["version"]) if rows else 0


def _flagged(flags: Any) -> bool:
    return bool(sql.as_json(flags))


async def record_response(
    response: ResponseLike, taps: Iterable[StatementTapLike], *, timezone: str | None = None,
    plugins: Plugins | None,
) -> None:
    """Add one stored response to its tenant's rollups and store its scores (the ingest's single call site).

    Call it in the transaction that stored the response. ``taps`` are the response's answers (objects with
    statement_id, goal, polarity, value, reaction_ms, warmup); ``timezone`` is the store's time zone (looked up when
    not given). With ``plugins`` (the caller's loaded plugins) it is also scored by every scoring model enabled for
    the tenant (``insights_score``); ``None`` records the rollups only (a backfill that scores later).
    """
    taps_list = list(taps)
    tenant_id = current_tenant_id()
    if timezone is None:
        rows = await _STORE_TIMEZONE.rows([response.store_id])
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
        if plugins is not None:
            from pejling.core.insights.scores import store_scores

            await store_scores(plugins, response, taps_list, new=True)


async def recompute_rollups(tenant_id: UUID | None = None, *, batch_size: int = 5000) -> int:
    """Rebuild the rollups of a tenant (default: the current scope) from its stored responses; returns how many.

    Called outside any scope (the demo seed, a repair) it enters ``tenant_id``'s; inside a tenant's scope it only
    rebuilds that tenant's. Runs in one transaction: readers see the old rollups until the new ones are complete.
    """
    tenant = sql.as_uuid(tenant_id) if tenant_id else current_tenant_id()
    scope = current_tenant_id_or_none()
    if scope is not None and scope != tenant:
        raise TenantScopeViolation("rollups of another tenant than the current scope")
    with tenant_scope(tenant):
        timezones = {sql.as_uuid(r["id"]): r["timezone"] for r in await _STORE_TIMEZONES.rows()}
        total = 0
        async with in_transaction():
            for clear in _CLEAR:
                await clear.execute()
            pending = _Batch()
            fresh = True
            after: Any = None
            while True:
                if after is None:
                    responses = await _FIRST_RESPONSES.rows([batch_size])
                else:
                    responses = await _NEXT_RESPONSES.rows([after, batch_size])
                if not responses:
                    break
                first, last = responses[0]["id"], responses[-1]["id"]
                taps: dict[str, list[_StatementTap]] = {}
                for a in await _ANSWERS.rows([first, last]):
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


"""Keeping rollups up to date as responses arrive, and recomputing them from the raw responses.

The survey ingest calls :func:`record_responses` once a batch of responses and their answers are stored (inside the
same transaction, so a response is never counted twice or lost): the deltas of the whole batch are merged per rollup
row and written with one upsert per row touched, in key order (so concurrent batches lock rows in the same order).
:func:`record_response` is the same for one response, raising the version itself (backfills, tests). An erasure
takes one response out again by subtracting what it added (:func:`subtract_response`). :func:`recompute_rollups`
rebuilds a tenant's rollups from its responses (after a bulk import such as the demo generator, or to repair:
``pejling recompute-rollups``); the tests prove that incremental rollups equal a full recomputation.

The tenant's rollup version (``insights_rollup_state``) keys the cache of heavy models. The ingest raises it once per
committed batch, *after* the commit and outside the response transaction (:func:`bump_version`), so the one row per
tenant is never held locked while responses are written; a reader that sees the new version sees the new rollups.
Rows are keyed by store, zone (the nil UUID for "no zone"), channel, the store's local day and the goal mask.

A "doesn't apply" answer (``not_applicable``, value NULL) adds nothing: :meth:`_Batch.add` leaves such taps out
before scoring, so a response enters its row as if that statement had not been asked (its goal, when no other of its
statements was answered, drops out of the response's goal mask; see ``docs/insights.md``). Recording, subtracting
and recomputing all go through that one filter, so they stay equal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
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
    Statement,
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
_DAILY_COLUMNS = ("id", "tenant_id", *_KEY, "mask", *SUM_COLUMNS)
_STATEMENT_COLUMNS = ("id", "tenant_id", *_KEY, "statement_id", *HISTOGRAM_COLUMNS)
_STORE_COLUMNS = ("id", "tenant_id", "store_id", "day", *STORE_COLUMNS)
MAX_PARAMETERS = 30_000
"""The most values one upsert statement binds (PostgreSQL allows 32 767, SQLite since 3.32 32 766)."""


def _upsert_text(table: str, columns: Sequence[str], conflict: str, summed: Sequence[str], rows: int) -> str:
    """``INSERT … VALUES (…), (…) ON CONFLICT (…) DO UPDATE`` adding ``summed`` for ``rows`` rows of ``columns``."""
    one = "(" + ", ".join("{tenant}" if c == "tenant_id" else "?" for c in columns) + ")"
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES " + ", ".join([one] * rows)  # noqa: S608 - constant names
        + f" ON CONFLICT ({conflict}) DO UPDATE SET " + ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in summed)
    )


class _Upsert:
    """One rollup table's upsert, as one statement per chunk of rows (statements made once per row count)."""

    def __init__(self, table: str, columns: Sequence[str], conflict: str, summed: Sequence[str]) -> None:
        self.table, self.columns, self.conflict, self.summed = table, tuple(columns), conflict, tuple(summed)
        self.chunk = max(1, MAX_PARAMETERS // len(columns))
        self._statements: dict[int, Statement] = {}

    def _statement(self, rows: int) -> Statement:
        statement = self._statements.get(rows)
        if statement is None:
            text = _upsert_text(self.table, self.columns, self.conflict, self.summed, rows)
            statement = self._statements[rows] = tenant_sql(text)
        return statement

    async def write(self, rows: Sequence[Sequence[Any]]) -> None:
        """Add ``rows`` (values without ``tenant_id``, keys unique) to the table: one statement per chunk."""
        for start in range(0, len(rows), self.chunk):
            chunk = rows[start:start + self.chunk]
            await self._statement(len(chunk)).execute([v for row in chunk for v in row])


_DAILY_UPSERT = _Upsert("insights_daily", _DAILY_COLUMNS, _CONFLICT + ", mask", SUM_COLUMNS)
_STATEMENT_UPSERT = _Upsert("insights_statement_daily", _STATEMENT_COLUMNS, _CONFLICT + ", statement_id",
                            HISTOGRAM_COLUMNS)
_STORE_UPSERT = _Upsert("insights_store_daily", _STORE_COLUMNS, "tenant_id, store_id, day", STORE_COLUMNS)
_EMPTIED = (
    tenant_sql("DELETE FROM insights_daily WHERE tenant_id = {tenant} AND store_id = ? AND day = ? AND n = 0 "
               "AND n_flagged = 0"),
    tenant_sql("DELETE FROM insights_statement_daily WHERE tenant_id = {tenant} AND store_id = ? AND day = ? AND "  # noqa: S608 - constant names
               + " AND ".join(f"{c} = 0" for c in HISTOGRAM_COLUMNS)),
    tenant_sql("DELETE FROM insights_store_daily WHERE tenant_id = {tenant} AND store_id = ? AND day = ? AND n = 0 "
               "AND n_flagged = 0"),
)
"""Rows left without any response after a subtraction (every response adds 1 to ``n`` or ``n_flagged``)."""
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
    "FROM survey_answer a WHERE a.tenant_id = {tenant} AND a.response_id >= ? AND a.response_id <= ? "
    "AND a.value IS NOT NULL"  # "doesn't apply" answers (value NULL) count in no figure
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


def applicable_taps(taps: Iterable[StatementTapLike]) -> list[StatementTapLike]:
    """The taps with a value: a "doesn't apply" answer (``not_applicable``, value None) counts in no figure."""
    return [t for t in taps if t.value is not None and not getattr(t, "not_applicable", False)]


def local_day(moment: datetime, timezone: str | None) -> date:
    """The day of ``moment`` in the store's time zone (UTC when unknown)."""
    try:
        zone = ZoneInfo(timezone) if timezone else None
    except (KeyError, ValueError):
        zone = None
    return moment.astimezone(zone).date() if zone else moment.date()


class _Batch:
    """Rollup deltas gathered in memory and written with one upsert per row (in key order)."""

    def __init__(self) -> None:
        self.daily: dict[tuple[Any, ...], FloatArray] = {}
        self.statements: dict[tuple[Any, ...], list[int]] = {}
        self.stores: dict[tuple[Any, ...], FloatArray] = {}

    def add(
        self, store_id: UUID, zone_id: UUID | None, channel: str, day: date, outcome: int | None, flagged: bool,
        taps: Sequence[StatementTapLike], *, sign: int = 1,
    ) -> None:
        """Add what one response contributes (``sign=-1``: take it away again, for an erasure); "doesn't apply"
        taps are left out."""
        taps = applicable_taps(taps)
        mask, vec, _ = contribution(taps, outcome, flagged=flagged)
        if sign != 1:
            vec = vec * sign
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
            counts[int(tap.value)] += sign

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
            await _DAILY_UPSERT.write(daily)
            await _STATEMENT_UPSERT.write(statements)
            await _STORE_UPSERT.write(stores)
        self.daily.clear()
        self.statements.clear()
        self.stores.clear()

    def touched(self) -> list[tuple[UUID, date]]:
        """The (store, day) of every row gathered, in key order."""
        return sorted(self.stores, key=_order)

    def _daily_rows(self) -> list[list[Any]]:
        return [
            [uuid4(), store_id, zone_id, channel, day, mask,
             *[int(round(v)) if c in INTEGER_COLUMNS else float(v) for c, v in zip(SUM_COLUMNS, vec, strict=True)]]
            for (store_id, zone_id, channel, day, mask), vec in sorted(self.daily.items(), key=_item_order)
        ]

    def _statement_rows(self) -> list[list[Any]]:
        return [
            [uuid4(), store_id, zone_id, channel, day, statement_id, *counts]
            for (store_id, zone_id, channel, day, statement_id), counts in sorted(self.statements.items(),
                                                                                   key=_item_order)
        ]

    def _store_rows(self) -> list[list[Any]]:
        return [
            [uuid4(), store_id, day,
             *[int(round(v)) if c in INTEGER_COLUMNS else float(v)
               for c, v in zip(STORE_COLUMNS, vec, strict=True)]]
            for (store_id, day), vec in sorted(self.stores.items(), key=_item_order)
        ]


def _order(key: tuple[Any, ...]) -> tuple[str, ...]:
    """A total order of rollup keys, the same in every process: concurrent writers lock rows in this order."""
    return tuple(str(part) for part in key)


def _item_order(item: tuple[tuple[Any, ...], Any]) -> tuple[str, ...]:
    return _order(item[0])


async def bump_version(tenant_id: UUID) -> None:
    """Raise the tenant's rollup version (the cache key of heavy models); ``tenant_id`` must be the scope's.

    The ingest calls it once per committed batch, after the commit, in a statement of its own: the row is locked for
    that one statement only, never across a response transaction.
    """
    _in_scope(tenant_id)
    await _BUMP.execute([uuid4()])


async def rollup_version(tenant_id: UUID) -> int:
    """The tenant's rollup version (0 before the first response); ``tenant_id`` must be the current scope's."""
    _in_scope(tenant_id)
    rows = await _VERSION.rows()
    return int(rows[0]["version"]) if rows else 0


def _flagged(flags: Any) -> bool:
    return bool(sql.as_json(flags))


@dataclass(frozen=True)
class Recorded:
    """One stored response for the rollups: the row, its answers (statement_id, goal, polarity, value, reaction_ms,
    warmup) and its store's time zone (None: looked up)."""

    response: ResponseLike
    taps: Sequence[StatementTapLike]
    timezone: str | None = None


async def _timezones(recorded: Sequence[Recorded]) -> dict[UUID, str | None]:
    """The time zone of each response's store: as given, else looked up (once per store)."""
    zones: dict[UUID, str | None] = {}
    for item in recorded:
        store_id = sql.as_uuid(item.response.store_id)
        if item.timezone is not None:
            zones[store_id] = item.timezone
    for store_id in {sql.as_uuid(item.response.store_id) for item in recorded} - zones.keys():
        rows = await _STORE_TIMEZONE.rows([store_id])
        zones[store_id] = rows[0]["timezone"] if rows else None
    return zones


def _add(batch: _Batch, response: ResponseLike, taps: Sequence[StatementTapLike], timezone: str | None,
         sign: int = 1) -> None:
    batch.add(
        sql.as_uuid(response.store_id),
        sql.as_uuid(response.zone_id) if response.zone_id else None,
        response.channel,
        local_day(sql.as_datetime(response.submitted_at), timezone),
        None if response.outcome is None else int(response.outcome),
        _flagged(response.quality_flags),
        taps,
        sign=sign,
    )


async def record_responses(recorded: Sequence[Recorded], *, plugins: Plugins | None) -> None:
    """Add stored responses of the current tenant to its rollups and store their scores (the ingest's call site).

    Call it in the transaction that stored the responses. Their deltas are merged per rollup row, so a batch costs
    one upsert per row touched (in key order), not per response. With ``plugins`` (the caller's loaded plugins) each
    response is also scored by every scoring model enabled for the tenant (``insights_score``); ``None`` records
    the rollups only (a backfill that scores later). The rollup version is not raised here: the caller raises it
    once after the commit (:func:`bump_version`).
    """
    if not recorded:
        return
    tenant_id = current_tenant_id()
    zones = await _timezones(recorded)
    batch = _Batch()
    for item in recorded:
        _add(batch, item.response, item.taps, zones[sql.as_uuid(item.response.store_id)])
    await batch.write(tenant_id)
    if plugins is not None:  # the scores of the whole batch in one insert
        from pejling.core.insights.models import Score
        from pejling.core.insights.scores import new_scores

        rows = [row for item in recorded for row in await new_scores(plugins, item.response, item.taps)]
        if rows:
            await Score.bulk_create(rows)


async def record_response(
    response: ResponseLike, taps: Iterable[StatementTapLike], *, timezone: str | None = None,
    plugins: Plugins | None,
) -> None:
    """Add one stored response to its tenant's rollups, store its scores and raise the rollup version (a backfill
    or a test recording responses one by one; the ingest batches with :func:`record_responses`).

    Call it in the transaction that stored the response; ``timezone`` is the store's time zone (looked up when not
    given), ``plugins`` as for :func:`record_responses`.
    """
    async with in_transaction():
        await record_responses([Recorded(response, list(taps), timezone)], plugins=plugins)
        await bump_version(current_tenant_id())


async def subtract_response(response: ResponseLike, taps: Sequence[StatementTapLike], *,
                            timezone: str | None = None) -> None:
    """Take one stored response out of the current tenant's rollups again (an erasure): subtract its contribution.

    Rollups are sums, so this costs the rows the response touched, not the tenant's size. Rows left without any
    response are deleted, so the rollups equal a full recomputation without it (up to float rounding). Call it in
    the erasure's transaction, before the rows are deleted or after (it reads nothing but the store's time zone), and
    raise the version after (:func:`bump_version`). A response recorded by an older scoring code adds other sums
    than it subtracts now: ``pejling recompute-rollups`` repairs that.
    """
    await subtract_responses([Recorded(response, taps, timezone)])


async def subtract_responses(recorded: Sequence[Recorded]) -> None:
    """Take several stored responses out of the current tenant's rollups (a retention purge), as
    :func:`subtract_response` does for one: their deltas are merged per rollup row first."""
    if not recorded:
        return
    tenant_id = current_tenant_id()
    zones = await _timezones(recorded)
    batch = _Batch()
    for item in recorded:
        _add(batch, item.response, item.taps, zones[sql.as_uuid(item.response.store_id)], sign=-1)
    touched = batch.touched()
    await batch.write(tenant_id)
    for store_id, day in touched:
        for emptied in _EMPTIED:
            await emptied.execute([store_id, day])


async def recompute_rollups(
    tenant_id: UUID | None = None, *, batch_size: int = 5000, progress: Callable[[int], None] | None = None,
) -> int:
    """Rebuild the rollups of a tenant (default: the current scope) from its stored responses; returns how many.

    Called outside any scope (the demo seed, a repair) it enters ``tenant_id``'s; inside a tenant's scope it only
    rebuilds that tenant's. Runs in one transaction: readers see the old rollups until the new ones are complete.
    ``progress`` is called with the number of responses read so far after each batch (the CLI's progress bar).
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
                if progress is not None:
                    progress(total)
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
    return [Tap(r.goal, int(r.polarity), int(r.value), r.reaction_ms, bool(r.warmup)) for r in applicable_taps(rows)]


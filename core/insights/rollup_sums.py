"""Reading rollups: columns summed in SQL over a scope and period, and the figures of one summed row.

A summed row (a scope, store, zone, channel, day or goal mask) holds the outcome histogram ``o0..o10``, per goal
``n, s, ss`` and the other sums of ``columns.py``; every column is a sum, so rows add up (:func:`add_up`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from pejling.core.insights import sql
from pejling.core.insights.columns import OUTCOME_POINTS, SUM_COLUMNS
from pejling.core.insights.request import Request, Scope
from pejling.core.insights.sections import Estimate, GoalValue, NpsScore
from pejling.core.insights.statistics import minimum_n
from pejling.core.insights.statistics.outcomes import mean_interval, nps_from_counts
from pejling.core.surveys.bank import GOALS

Row = Mapping[str, Any]

NOT_ASKED = "not asked"
"""The note of a figure whose question the scope's survey did not ask (no answer at all, while there are responses)."""


async def sum_rollups(
    req: Request, scope: Scope | None, start: date, end: date, *, group: Sequence[str] = (),
    columns: Sequence[str] = SUM_COLUMNS, extra: str = "", extra_params: Sequence[Any] = (), coarse: bool = False,
) -> list[dict[str, Any]]:
    """Summed rollup columns of ``scope`` (None: the chain), one row per ``group`` value.

    ``coarse``: read the per-store-day chain view (``insights_store_daily``) when no channel or zone filter needs the
    finer table; ``extra`` is one more SQL condition with its parameters.
    """
    table = "insights_daily"
    if coarse and not req.channel and (scope is None or not scope.zone_ids):
        table = "insights_store_daily"
    where = "tenant_id = ? AND day >= ? AND day <= ?"
    params: list[Any] = [req.tenant_id, start, end]
    if scope is not None:
        clause, more = scope.where()
        if clause:
            where += " AND " + clause
            params += more
    if req.channel:
        where += " AND channel = ?"
        params.append(req.channel)
    if extra:
        where += " AND " + extra
        params += list(extra_params)
    select = ", ".join([*group, *(f"SUM({c}) AS {c}" for c in columns)])
    text = f"SELECT {select} FROM {table} WHERE {where}"  # noqa: S608 - table and column names are constants
    if group:
        text += " GROUP BY " + ", ".join(group)
    rows = await sql.fetch(text, params)
    return [{k: (row[k] if k in group else sql.number(row[k])) for k in row} for row in rows]


def add_up(rows: Sequence[Row], columns: Sequence[str] = SUM_COLUMNS) -> dict[str, float]:
    """The rows' ``columns`` added up (a missing or NULL value counts 0)."""
    total = dict.fromkeys(columns, 0.0)
    for row in rows:
        for c in columns:
            total[c] += float(row.get(c) or 0.0)
    return total


def variance(n: float, total: float, total_sq: float) -> float:
    """Sample variance (ddof=1) from n, Σx and Σx²; NaN below two values."""
    return max((total_sq - total * total / n) / (n - 1), 0.0) if n > 1 else math.nan


def outcome_histogram(row: Row) -> list[int]:
    """Counts of the outcome answers 0..10."""
    return [int(row.get(f"o{k}", 0)) for k in range(OUTCOME_POINTS)]


def outcome_moments(row: Row) -> tuple[int, float, float]:
    """n, Σx and Σx² of the outcome answers."""
    h = outcome_histogram(row)
    return sum(h), float(sum(k * c for k, c in enumerate(h))), float(sum(k * k * c for k, c in enumerate(h)))


def estimate(e: minimum_n.Estimate) -> Estimate:
    """The statistics estimate as a section."""
    return Estimate(e.value, e.low, e.high, e.n, e.sufficient, e.note)


def nps_score(row: Row, req: Request) -> NpsScore:
    """The row's NPS with its adjusted-Wald interval (withheld below the minimum n)."""
    h = outcome_histogram(row)
    e = nps_from_counts(sum(h[9:]), sum(h[7:9]), sum(h[:7]), min_n=req.min_n, confidence=req.confidence)
    return NpsScore(e.value, e.low, e.high, e.n, e.promoters, e.passives, e.detractors, e.sufficient, e.note)


def outcome_mean(row: Row, req: Request) -> Estimate:
    """The row's mean outcome (0-10) with a t interval (withheld below the minimum n)."""
    n, total, total_sq = outcome_moments(row)
    return estimate(mean_interval(n, total, total_sq, confidence=req.confidence, min_n=req.min_n))


def goal_values(row: Row) -> tuple[GoalValue, ...]:
    """The row's mean fulfilment of every goal (None for a goal nobody answered)."""
    out = []
    for g in GOALS:
        n = int(row.get(f"{g}_n", 0))
        out.append(GoalValue(g, row.get(f"{g}_s", 0.0) / n if n else None, n))
    return tuple(out)

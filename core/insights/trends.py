"""Trends: the scope's NPS, outcome mean and goal means per day and per week (weeks start on Monday)."""

from __future__ import annotations

from datetime import date, timedelta

from pejling.core.insights import sql
from pejling.core.insights.columns import STORE_COLUMNS
from pejling.core.insights.request import Request
from pejling.core.insights.rollup_sums import Row, add_up, goal_values, outcome_histogram, sum_rollups
from pejling.core.insights.sections import TrendPoint, Trends

NO_OUTCOME = "no response of this point answered the outcome question"
ONLY_FLAGGED = "every response of this point was flagged by the quality checks"


async def trends(req: Request) -> Trends:
    rows = await sum_rollups(req, req.scope, req.start, req.end, group=("day",), columns=STORE_COLUMNS, coarse=True)
    by_day = sorted(((sql.as_date(r["day"]), r) for r in rows), key=lambda pair: pair[0])
    weeks: dict[date, list[Row]] = {}
    for day, row in by_day:
        weeks.setdefault(day - timedelta(days=day.weekday()), []).append(row)
    daily = tuple(_point(day, row) for day, row in by_day)
    weekly = tuple(_point(week, add_up(week_rows, STORE_COLUMNS)) for week, week_rows in sorted(weeks.items()))
    return Trends(daily, weekly)


def _point(start: date, row: Row) -> TrendPoint:
    """Plain NPS and outcome mean (no interval, no minimum n: a trend shows every day)."""
    h = outcome_histogram(row)
    n_outcome = sum(h)
    nps = 100.0 * (sum(h[9:]) - sum(h[:7])) / n_outcome if n_outcome else None
    mean = sum(k * c for k, c in enumerate(h)) / n_outcome if n_outcome else None
    note = None if n_outcome else (NO_OUTCOME if int(row["n"]) else ONLY_FLAGGED)
    return TrendPoint(start, int(row["n"]), nps, mean, goal_values(row), note)

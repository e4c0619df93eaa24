"""Store changes: each logged change's outcome difference in differences, 28 days before vs 28 days from the change,
the store vs every other store, with a Welch interval."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import timedelta
from uuid import UUID

from pejling.core.insights import sql
from pejling.core.insights.columns import STORE_COLUMNS
from pejling.core.insights.models import StoreChange
from pejling.core.insights.request import Request
from pejling.core.insights.rollup_sums import Row, add_up, outcome_moments, sum_rollups, variance
from pejling.core.insights.sections import DiD, StoreChangeEffect
from pejling.core.insights.statistics.effects import GroupSummary, difference_in_differences_from_summaries
from pejling.tenants.models import Store

CHANGE_WINDOW_DAYS = 28


async def store_change_effects(req: Request, stores: Mapping[UUID, Store]) -> tuple[StoreChangeEffect, ...]:
    """The effect of every change logged in the scope's stores within the period, oldest first."""
    query = StoreChange.filter(date__gte=req.start, date__lte=req.end).order_by("date")
    if req.scope.kind != "chain":
        query = query.filter(store_id__in=list(req.scope.store_ids))
    effects = []
    for change in await query:
        store = stores.get(change.store_id)
        effects.append(await store_change_effect(req, change, store.name if store else ""))
    return tuple(effects)


async def store_change_effect(req: Request, change: StoreChange, store_name: str) -> StoreChangeEffect:
    """Outcome before/after a change in its store against every other store (difference in differences)."""
    before_start = change.date - timedelta(days=CHANGE_WINDOW_DAYS)
    after_end = change.date + timedelta(days=CHANGE_WINDOW_DAYS - 1)
    rows = await sum_rollups(req, None, before_start, after_end, group=("store_id", "day"), columns=STORE_COLUMNS,
                             coarse=True)
    cells: dict[tuple[bool, bool], list[Row]] = {(t, a): [] for t in (True, False) for a in (True, False)}
    for r in rows:
        treated = sql.as_uuid(r["store_id"]) == change.store_id
        after = sql.as_date(r["day"]) >= change.date
        cells[(treated, after)].append(r)
    did = difference_in_differences_from_summaries(
        _outcome_summary(cells[(True, False)]), _outcome_summary(cells[(True, True)]),
        _outcome_summary(cells[(False, False)]), _outcome_summary(cells[(False, True)]), confidence=req.confidence,
    )
    return StoreChangeEffect(
        change_id=change.id, store_id=change.store_id, store_name=store_name, date=change.date,
        description=change.description, window_days=CHANGE_WINDOW_DAYS,
        outcome=DiD(did.effect, did.low, did.high, did.se, did.p_value, did.treated_change, did.control_change,
                    did.n, did.sufficient, did.note),
    )


def _outcome_summary(rows: Sequence[Row]) -> GroupSummary:
    """Mean, variance and n of the outcome over one group-period's rows."""
    n, total, total_sq = outcome_moments(add_up(rows, STORE_COLUMNS))
    if n == 0:
        return GroupSummary(math.nan, math.nan, 0)
    return GroupSummary(total / n, variance(n, total, total_sq), n)

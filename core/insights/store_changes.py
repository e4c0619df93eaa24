"""Store changes: each logged change's outcome difference in differences on store-day means, 28 days before vs 28
days from the change, the store vs every other store, with an interval that holds under day-to-day store drift
(``statistics.store_drift``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from uuid import UUID

import numpy as np

from pejling.core.insights import sql
from pejling.core.insights.columns import STORE_COLUMNS
from pejling.core.insights.models import StoreChange
from pejling.core.insights.request import Request
from pejling.core.insights.rollup_sums import outcome_moments, sum_rollups
from pejling.core.insights.sections import DiD, StoreChangeEffect
from pejling.core.insights.statistics.store_drift import store_change_effect as store_day_effect
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
    """Outcome before/after a change in its store against every other store, store-day by store-day."""
    before_start = change.date - timedelta(days=CHANGE_WINDOW_DAYS)
    after_end = change.date + timedelta(days=CHANGE_WINDOW_DAYS - 1)
    rows = await sum_rollups(req, None, before_start, after_end, group=("store_id", "day"), columns=STORE_COLUMNS,
                             coarse=True)
    days = 2 * CHANGE_WINDOW_DAYS
    order: dict[UUID, int] = {change.store_id: 0}
    cells: list[tuple[int, int, int, float, float]] = []
    for r in rows:
        store = order.setdefault(sql.as_uuid(r["store_id"]), len(order))
        n, total, total_sq = outcome_moments(r)
        cells.append((store, (sql.as_date(r["day"]) - before_start).days, n, total, total_sq))
    sums = np.zeros((3, len(order), days))
    for store, day, n, total, total_sq in cells:
        if 0 <= day < days:
            sums[:, store, day] += (n, total, total_sq)
    est = store_day_effect(sums[0], sums[1], sums[2], np.arange(days) >= CHANGE_WINDOW_DAYS,
                           confidence=req.confidence)
    return StoreChangeEffect(
        change_id=change.id, store_id=change.store_id, store_name=store_name, date=change.date,
        description=change.description, window_days=CHANGE_WINDOW_DAYS,
        outcome=DiD(est.effect, est.low, est.high, est.se, est.p_value, est.treated_change, est.control_change,
                    est.n, est.sufficient, est.note, est.method, est.store_days, est.control_stores, est.rho,
                    est.df),
    )

"""Where to optimise: the importance x performance map and the goals below target ranked by projected uplift.

Importance (Shapley share of R²) and uplift (OLS coefficient x gap to target) come from **one** linear model: the
driver model's goal set fitted on the same responses (``key_drivers.driver_model``), so the list never ranks by one
model and promises by another. Only goals below their target are places to optimise; a goal at or above its target is
a strength (it stays on the map). The uplift is associational, not causal: what the fitted model expects of the
outcome if the goal reached its target, not what a change would cause.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from pejling.core.goals.playbook import levers
from pejling.core.insights.key_drivers import DriverModel
from pejling.core.insights.request import Request
from pejling.core.insights.sections import Estimate, MapPoint, OptimiseItem
from pejling.core.insights.statistics.linear_model import PriorityItem, Uplift, priority_ranking, projected_uplift

AGREE_TARGET = 4.0
"""The target of a goal when too few stores answer it for a chain top quartile: "agree" on the 1-5 scale."""

TARGET_TOP_QUARTILE = "chain top-quartile store"
TARGET_AGREE = "agree (4 of 5)"


def priorities(model: DriverModel, performance: Mapping[str, float]) -> tuple[PriorityItem, ...]:
    """The goals with an importance and a performance on the map (none without a sufficient driver model)."""
    drivers = model.section
    if not (drivers.sufficient and drivers.drivers):
        return ()
    importance = {d.goal: float(d.importance or 0.0) for d in drivers.drivers if d.goal in performance}
    return priority_ranking(importance, {g: performance[g] for g in importance}) if importance else ()


def importance_map(ranking: tuple[PriorityItem, ...]) -> tuple[MapPoint, ...]:
    """The importance x performance map: every goal of the driver model with a performance, a picture, not a rank."""
    return tuple(MapPoint(p.goal, p.importance, p.performance, p.quadrant) for p in ranking)


def goal_targets(chain_targets: Mapping[str, float], goals: tuple[str, ...]) -> dict[str, tuple[float, str]]:
    """Each goal's target and what it is: the chain's top-quartile store, or "agree" where the chain has none."""
    out = {}
    for goal in goals:
        target = chain_targets.get(goal)
        out[goal] = (target, TARGET_TOP_QUARTILE) if target is not None else (AGREE_TARGET, TARGET_AGREE)
    return out


def optimise_items(
    req: Request, ranking: tuple[PriorityItem, ...], model: DriverModel, performance: Mapping[str, float],
    chain_targets: Mapping[str, float],
) -> tuple[OptimiseItem, ...]:
    """The goals below target, ranked by projected uplift (largest first), with levers in the request's language.

    Ties (equal uplift) go to the more important goal. A goal whose coefficient is not positive is still below
    target but projects no gain; it ranks after every goal that does, and its note says so.
    """
    fit = model.fit
    if not ranking or fit is None or not fit.sufficient:
        return ()
    on_map = {p.goal: p for p in ranking}
    goals = tuple(g for g in model.goals if g in on_map)
    targets = goal_targets(chain_targets, goals)
    uplifts = _uplifts(req, model, performance, {g: t for g, (t, _) in targets.items()})
    below = [u for u in uplifts.values() if u.goal in on_map and u.target > u.current]
    below.sort(key=lambda u: (-u.uplift, -on_map[u.goal].importance, u.goal))
    unclear = {d.goal for d in model.section.drivers if d.indistinguishable_from_none}
    items = []
    for rank, u in enumerate(below, start=1):
        p = on_map[u.goal]
        note = None if u.uplift > 0 else "the model projects no gain from this goal"
        if note is None and u.goal in unclear:
            note = "this goal's importance is indistinguishable from none: the uplift is uncertain"
        uplift = Estimate(u.uplift, u.low, u.high, fit.n, True, note)
        items.append(OptimiseItem(rank, u.goal, p.quadrant, p.importance, p.performance, u.target, uplift,
                                  levers(u.goal, req.language), targets[u.goal][1]))
    return tuple(items)


def _uplifts(
    req: Request, model: DriverModel, performance: Mapping[str, float], targets: Mapping[str, float]
) -> dict[str, Uplift]:
    """Projected uplift of each goal of the model with a finite performance and target."""
    fit = model.fit
    if fit is None or not fit.sufficient:
        return {}
    current = [performance.get(g, math.nan) for g in model.goals]
    target = [targets.get(g, math.nan) for g in model.goals]
    # A goal without a performance or target gets no gap (and so no uplift), never a NaN.
    usable = [math.isfinite(c) and math.isfinite(t) for c, t in zip(current, target, strict=True)]
    current = [c if ok else 0.0 for c, ok in zip(current, usable, strict=True)]
    target = [t if ok else 0.0 for t, ok in zip(target, usable, strict=True)]
    found = projected_uplift(fit, current, target, confidence=req.confidence)
    return {u.goal: u for u, ok in zip(found, usable, strict=True) if ok}

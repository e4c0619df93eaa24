"""Where to optimise: the importance x performance map, the ranked list with the playbook's levers and the projected
uplift if a goal reached the chain's top-quartile store (linear model; associational, not causal)."""

from __future__ import annotations

import math
from collections.abc import Mapping

from pejling.core.goals.playbook import levers
from pejling.core.insights.key_drivers import DriverModel
from pejling.core.insights.request import Request
from pejling.core.insights.sections import Estimate, MapPoint, OptimiseItem
from pejling.core.insights.statistics.linear_model import PriorityItem, Uplift, priority_ranking, projected_uplift


def priorities(model: DriverModel, performance: Mapping[str, float]) -> tuple[PriorityItem, ...]:
    """The goals with an importance and a performance, ranked (none without a sufficient driver model)."""
    drivers = model.section
    if not (drivers.sufficient and drivers.drivers):
        return ()
    importance = {d.goal: float(d.importance or 0.0) for d in drivers.drivers if d.goal in performance}
    return priority_ranking(importance, {g: performance[g] for g in importance}) if importance else ()


def importance_map(ranking: tuple[PriorityItem, ...]) -> tuple[MapPoint, ...]:
    return tuple(MapPoint(p.goal, p.importance, p.performance, p.quadrant) for p in ranking)


def optimise_items(
    req: Request, ranking: tuple[PriorityItem, ...], model: DriverModel, performance: Mapping[str, float],
    targets: Mapping[str, float],
) -> tuple[OptimiseItem, ...]:
    """The ranking with each goal's target, projected uplift and levers in the request's language."""
    uplifts = _uplifts(req, model, performance, targets) if ranking else {}
    items = []
    for p in ranking:
        found = uplifts.get(p.goal)
        if found is not None:
            uplift = Estimate(found.uplift, found.low, found.high, model.fit.n if model.fit else 0)
            target = found.target
        else:
            uplift = Estimate(None, None, None, 0, False, "no linear model")
            target = targets.get(p.goal, p.performance)
        items.append(OptimiseItem(p.rank, p.goal, p.quadrant, p.importance, p.performance, target, uplift,
                                  levers(p.goal, req.language)))
    return tuple(items)


def _uplifts(
    req: Request, model: DriverModel, performance: Mapping[str, float], targets: Mapping[str, float]
) -> dict[str, Uplift]:
    """Projected uplift per goal of the model; a goal already above its target aims at its own value."""
    if model.fit is None or not model.fit.sufficient:
        return {}
    target = [max(targets.get(g, performance.get(g, 0.0)), performance.get(g, 0.0)) for g in model.goals]
    current = [performance.get(g, math.nan) for g in model.goals]
    current = [c if math.isfinite(c) else t for c, t in zip(current, target, strict=True)]
    return {u.goal: u for u in projected_uplift(model.fit, current, target, confidence=req.confidence)}

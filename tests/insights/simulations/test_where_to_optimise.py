""""Where to optimise" ranks the goals below target by what it promises (issue 10, point 4).

Shoppers are drawn from a planted linear model of the outcome on the seven goals' answers (fixed seeds), go through
the rollups' own per-response contribution into summed rows per goal mask, and the real ``driver_model`` and
``optimise_items`` rank them against planted chain targets. The planted uplift of a goal is its weight times the gap
from the scope's performance to its target.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pytest
from scipy import stats

from pejling.core.goals import GOALS
from pejling.core.insights.columns import SUM_COLUMNS, contribution
from pejling.core.insights.key_drivers import driver_model
from pejling.core.insights.optimise import AGREE_TARGET, TARGET_AGREE, TARGET_TOP_QUARTILE, optimise_items, priorities
from pejling.core.insights.request import Request, Scope
from pejling.core.insights.sections import OptimiseItem

REQUEST = Request(uuid.uuid4(), Scope("chain"), date(2026, 1, 1), date(2026, 1, 31))


@dataclass(frozen=True)
class Tap:
    goal: str
    value: int
    reaction_ms: int | None = None  # untimed: the driver model reads answers only, and scoring is faster
    polarity: int = 1
    warmup: bool = False


@dataclass(frozen=True)
class Planted:
    """Per goal: the true weight (outcome points per answer point) and the true mean answer of the scope."""

    weight: dict[str, float]
    level: dict[str, float]


def _rows(rng: np.random.Generator, truth: Planted, n: int) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """n shoppers' rollup rows (one mask: every goal and the outcome) and the scope's mean answer per goal."""
    answers = np.column_stack([
        np.clip(np.round(rng.normal(truth.level[g], 0.9, n)), 1, 5) for g in GOALS
    ]).astype(int)
    weights = np.array([truth.weight[g] for g in GOALS])
    outcome = np.clip(np.round(6.0 + (answers - 3.0) @ weights + rng.normal(0.0, 1.0, n)), 0, 10).astype(int)
    total = np.zeros(len(SUM_COLUMNS))
    mask = 0
    for row, y in zip(answers, outcome, strict=True):
        mask, vec, _ = contribution([Tap(g, int(v)) for g, v in zip(GOALS, row, strict=True)], int(y), flagged=False)
        total += vec
    performance = {g: float(answers[:, k].mean()) for k, g in enumerate(GOALS)}
    return [{"mask": mask, **dict(zip(SUM_COLUMNS, total.tolist(), strict=True))}], performance


async def _optimise(
    rng: np.random.Generator, truth: Planted, targets: dict[str, float], n: int = 300
) -> tuple[tuple[OptimiseItem, ...], dict[str, float]]:
    rows, performance = _rows(rng, truth, n)
    model = await driver_model(REQUEST, rows, [])
    assert model.section.sufficient
    return optimise_items(REQUEST, priorities(model, performance), model, performance, targets), performance


# Constructed against the old ranking (quadrant first, then Shapley share): "ease" is the most important goal but its
# performance is above the goals' mean, so the map calls it a strength and the old list put the low-importance,
# very low "discovery" first; "security" is the best-performing goal and already above its target.
CONSTRUCTED = Planted(
    weight={"security": 0.5, "ease": 0.86, "autonomy": 0.1, "recognition": 0.2, "enjoyment": 0.15,
            "discovery": 0.07, "value": 0.1},
    level={"security": 4.4, "ease": 3.6, "autonomy": 3.4, "recognition": 3.2, "enjoyment": 3.3, "discovery": 2.0,
           "value": 3.3},
)
CONSTRUCTED_TARGETS = {"security": 4.0, "ease": 4.5, "autonomy": 3.6, "recognition": 3.5, "enjoyment": 3.5,
                       "discovery": 3.0, "value": 3.5}


async def test_the_most_promising_goal_comes_first_and_a_goal_at_target_is_not_listed() -> None:
    items, performance = await _optimise(np.random.default_rng(41), CONSTRUCTED, CONSTRUCTED_TARGETS, n=600)
    ranked = [i.goal for i in items]
    assert ranked[0] == "ease", ranked  # +0.86 a point, 0.9 below target: the largest promise
    assert "security" not in ranked  # above its target: a strength, not a priority
    assert ranked.index("ease") < ranked.index("discovery")  # +0.07 a point, though far below target
    assert all(i.target > i.performance for i in items)
    uplifts = [i.uplift.value or 0.0 for i in items]
    assert uplifts == sorted(uplifts, reverse=True)
    assert [i.rank for i in items] == list(range(1, len(items) + 1))
    assert all(i.target_basis == TARGET_TOP_QUARTILE for i in items)
    assert performance["security"] > CONSTRUCTED_TARGETS["security"]
    # a goal the driver model cannot tell from no driver at all says so in its note; a clear driver does not
    notes = {i.goal: i.uplift.note for i in items}
    assert notes["ease"] is None
    assert "indistinguishable" in (notes["discovery"] or "")  # +0.07 a point: its Shapley part is within noise


async def test_a_goal_without_a_chain_target_aims_at_agree() -> None:
    targets = {g: t for g, t in CONSTRUCTED_TARGETS.items() if g != "discovery"}
    items, _ = await _optimise(np.random.default_rng(5), CONSTRUCTED, targets)
    discovery = next(i for i in items if i.goal == "discovery")
    assert discovery.target == AGREE_TARGET and discovery.target_basis == TARGET_AGREE


RUNS = 150


@pytest.mark.once
async def test_the_ranking_recovers_the_planted_priority_and_the_uplift_interval_covers() -> None:
    """Over random planted stores: the first goal is the truly most promising one and the intervals cover.

    Each run draws weights and levels; the planted priority (largest weight x gap) must lead the runner-up by at least
    0.15 outcome points so that n = 300 can tell them apart. Coverage is of the planted weight x the observed gap
    (the interval is the model's uncertainty about the coefficient; the gap is the measured one).
    """
    rng = np.random.default_rng(20261202)
    first_right = 0
    covered = 0
    intervals = 0
    for _ in range(RUNS):
        while True:
            truth = Planted(
                weight={g: float(rng.uniform(0.0, 0.7)) for g in GOALS},
                level={g: float(rng.uniform(2.6, 4.0)) for g in GOALS},
            )
            targets = {g: float(rng.uniform(3.4, 4.2)) for g in GOALS}
            promise = sorted((truth.weight[g] * max(0.0, targets[g] - truth.level[g]), g) for g in GOALS)
            if promise[-1][0] - promise[-2][0] >= 0.15:
                break
        items, performance = await _optimise(rng, truth, targets)
        first_right += items[0].goal == promise[-1][1]
        for item in items:
            gap = item.target - performance[item.goal]
            assert item.uplift.low is not None and item.uplift.high is not None
            intervals += 1
            covered += item.uplift.low <= truth.weight[item.goal] * gap <= item.uplift.high
    assert first_right >= 0.9 * RUNS, first_right
    # 95 % intervals; the goals of one run share a fit, so the binomial floor (1 in 1000) counts runs, not intervals.
    floor = stats.binom.ppf(0.001, RUNS, 0.95) / RUNS
    assert covered / intervals >= floor, (covered, intervals, floor)

"""The key drivers: Shapley importance of the goals for the outcome from rollup moments, and the linear model.

The goal set is the most common goal mask with an outcome (responses that answered exactly those goals; ties go to
the mask with more goals), fitted on every response that answered at least those goals, so a few partial responses
never shrink the model to the goals they share with everyone else; a scope with too few complete responses borrows the
chain's model (basis ``chain``, with a note). Intervals are a parametric (Wishart) bootstrap: see ``moments.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from pejling.core.goals.scores import mask_goals
from pejling.core.insights import moments
from pejling.core.insights.columns import Q
from pejling.core.insights.columns import moments as column_moments
from pejling.core.insights.request import Request
from pejling.core.insights.rollup_sums import Row, add_up, sum_rollups
from pejling.core.insights.sections import Driver, KeyDrivers
from pejling.core.insights.statistics.drivers import BootstrapImportance
from pejling.core.insights.statistics.linear_model import LinearFit
from pejling.core.insights.statistics.minimum_n import MIN_N_DRIVERS, TOO_FEW_RESPONSES
from pejling.core.insights.statistics.results import FloatArray
from pejling.core.insights.strength_moderation import strength_moderation
from pejling.core.surveys.bank import GOALS

N_BOOT = 200
INTERVAL_METHOD = (
    "R²: exact (squared multiple correlation), median-unbiased; goals: parametric bootstrap (Wishart) around the "
    "bias-corrected covariance, with a noise goal as the reference for no contribution"
)
INDISTINGUISHABLE = "indistinguishable from no contribution: a goal of pure noise gets as much by chance"


def _drivers(goals: Sequence[str], boot: BootstrapImportance) -> list[Driver]:
    """The goals' bias-corrected parts with their intervals, strongest first."""
    importance, low, high, none = boot.importance, boot.low, boot.high, boot.indistinguishable
    share, share_low, share_high = boot.share, boot.share_low, boot.share_high
    if (not boot.sufficient or importance is None or low is None or high is None or none is None or share is None
            or share_low is None or share_high is None):
        return []
    drivers = [
        Driver(goal, importance[i], low[i], high[i], share[i], share_low[i], share_high[i], none[i],
               INDISTINGUISHABLE if none[i] else None)
        for i, goal in enumerate(goals)
    ]
    return sorted(drivers, key=lambda d: -(d.importance or 0.0))


@dataclass(frozen=True)
class DriverModel:
    """The key-drivers section, the linear model fitted on the same moments (None without goals) and its goals."""

    section: KeyDrivers
    fit: LinearFit | None
    goals: tuple[str, ...]


@dataclass(frozen=True)
class _Moments:
    """n, Σz and Σzz' of z = (the goal scores, outcome) over the responses that answered every goal of the set."""

    n: int
    sums: FloatArray
    cross: FloatArray


def choose_goal_set(by_mask: Sequence[Row]) -> tuple[int, tuple[str, ...]]:
    """The goal set of the driver model: the most common mask with an outcome and at least two goals.

    Counted by responses with exactly that mask (ties: more goals, then the larger mask). Counting the responses
    whose mask *includes* a candidate instead would always favour the smallest mask any partial response has.
    """
    outcome_bit = 1 << len(GOALS)
    counts: dict[int, float] = {}
    for r in by_mask:
        mask = int(r["mask"])
        if mask & outcome_bit and len(mask_goals(mask)) >= 2:
            counts[mask] = counts.get(mask, 0.0) + float(r["x_n"])
    counts = {m: c for m, c in counts.items() if c > 0}
    if not counts:
        return 0, ()
    best = max(counts, key=lambda m: (counts[m], len(mask_goals(m)), m))
    return best, mask_goals(best)


def _moments_of(by_mask: Sequence[Row], mask: int, goals: Sequence[str]) -> _Moments:
    """The moments of ``goals`` and the outcome, from every mask that includes ``mask``."""
    chosen = [r for r in by_mask if int(r["mask"]) & mask == mask]
    n, sums, cross = column_moments(add_up(chosen))
    idx = [GOALS.index(g) for g in goals] + [Q - 1]
    return _Moments(n, sums[idx], cross[np.ix_(idx, idx)])


async def driver_model(req: Request, by_mask: Sequence[Row], notes: list[str]) -> DriverModel:
    """Key drivers of the scope (rows summed per goal mask), or of the chain when the scope has too few responses."""
    mask, goals = choose_goal_set(by_mask)
    basis = "scope"
    data = _moments_of(by_mask, mask, goals) if goals else None
    if data is not None and data.n < max(MIN_N_DRIVERS, len(goals) + 2) and req.scope.kind != "chain":
        chain_by_mask = await sum_rollups(req, None, req.start, req.end, group=("mask",))
        chain_mask, chain_goals = choose_goal_set(chain_by_mask)
        if chain_goals:
            goals = chain_goals
            data = _moments_of(chain_by_mask, chain_mask, goals)
            by_mask, mask = chain_by_mask, chain_mask  # the strength moderation reads the same rows
            basis = "chain"
            notes.append("Key drivers come from the whole chain: this scope has too few complete responses.")
    if data is None:
        section = KeyDrivers("shapley", basis, (), None, None, None, 0, 0, INTERVAL_METHOD, False, TOO_FEW_RESPONSES)
        return DriverModel(section, None, ())
    boot = moments.bootstrap_importance(data.n, data.sums, data.cross, goals, n_boot=N_BOOT,
                                        confidence=req.confidence)
    fit = moments.linear_fit(data.n, data.sums, data.cross, goals)
    drivers = _drivers(goals, boot)
    section = KeyDrivers("shapley", basis, tuple(drivers), boot.r2, boot.r2_low, boot.r2_high, boot.n, boot.n_boot,
                         INTERVAL_METHOD, boot.sufficient, boot.note)
    section = replace(section, strength_moderation=strength_moderation(req, by_mask, mask, goals))
    return DriverModel(section, fit, goals)

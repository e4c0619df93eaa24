"""The linear model of the outcome on the goals, the importance x performance priorities and the projected uplift.

The model is associational, not causal: the uplift says what the outcome would be under the fitted model if a goal
reached its target, not what a change in the store would cause.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pejling.core.insights.statistics.drivers import column_names, prepare_xy
from pejling.core.insights.statistics.minimum_n import MIN_N_DRIVERS, too_few
from pejling.core.insights.statistics.results import FloatArray, Result, z_critical


@dataclass(frozen=True)
class LinearFit(Result):
    """Ordinary least squares fit y = intercept + X·coefficients, with classical coefficient standard errors."""

    names: tuple[str, ...]
    coefficients: tuple[float, ...] | None
    se: tuple[float, ...] | None
    intercept: float | None
    r2: float | None
    n: int
    sufficient: bool = True
    note: str | None = None


def fit_linear(
    x: npt.ArrayLike, y: npt.ArrayLike, *, names: Sequence[str] | None = None, min_n: int = MIN_N_DRIVERS
) -> LinearFit:
    """Fit OLS with an intercept (rows with a missing value dropped). Needs ``n >= max(min_n, p + 2)``.

    Coefficient SEs are classical: s² (X'X)^-1 with s² = RSS / (n - p - 1) (pseudo-inverse if X is rank-deficient).
    """
    xa, ya = prepare_xy(x, y)
    n, p = xa.shape
    labels = column_names(names, p)
    guard = too_few(n, max(min_n, p + 2))
    if guard is not None:
        return LinearFit(labels, None, None, None, None, n, sufficient=False, note=guard.note)
    design = np.column_stack([np.ones(n), xa])
    beta, *_ = np.linalg.lstsq(design, ya, rcond=None)
    resid = ya - design @ beta
    rss = float(resid @ resid)
    tss = float(((ya - ya.mean()) ** 2).sum())
    r2 = 1.0 - rss / tss if tss > 0 else 0.0
    s2 = rss / (n - p - 1)
    cov = s2 * np.linalg.pinv(design.T @ design, hermitian=True)
    se = np.sqrt(np.clip(np.diag(cov)[1:], 0.0, None))
    return LinearFit(labels, tuple(float(v) for v in beta[1:]), tuple(float(v) for v in se), float(beta[0]), r2, n)


@dataclass(frozen=True)
class PriorityItem(Result):
    """One goal on the importance x performance map with its rank (1 = optimise first)."""

    goal: str
    importance: float
    performance: float
    quadrant: str
    rank: int


QUADRANT_ORDER = ("priority", "secondary", "strength", "possible_overkill")
"""Quadrants in ranking order: priority = high importance & low performance (optimise first); secondary = low
importance & low performance; strength = high importance & high performance (keep up); possible_overkill = low
importance & high performance."""


def priority_ranking(
    importance: Mapping[str, float],
    performance: Mapping[str, float],
    *,
    importance_threshold: float | None = None,
    performance_threshold: float | None = None,
) -> tuple[PriorityItem, ...]:
    """Importance x performance map and a ranked "where to optimise" list.

    Importance is "high" when >= ``importance_threshold`` (default: the mean importance, i.e. an equal share);
    performance is "low" when < ``performance_threshold`` (default: the mean performance over the goals; pass a chain
    benchmark to compare against the chain instead). Items are ranked by quadrant in :data:`QUADRANT_ORDER`, then
    by importance (descending), then performance (ascending).
    """
    goals = list(importance)
    if set(goals) != set(performance):
        raise ValueError("importance and performance must cover the same goals")
    if not goals:
        return ()
    imp = np.array([float(importance[g]) for g in goals])
    perf = np.array([float(performance[g]) for g in goals])
    if not (np.all(np.isfinite(imp)) and np.all(np.isfinite(perf))):
        raise ValueError("importance and performance must be finite")
    it = float(imp.mean()) if importance_threshold is None else importance_threshold
    pt = float(perf.mean()) if performance_threshold is None else performance_threshold

    def quadrant(i: float, pf: float) -> str:
        high, low_perf = i >= it, pf < pt
        if high:
            return "priority" if low_perf else "strength"
        return "secondary" if low_perf else "possible_overkill"

    rows = [(g, float(i), float(pf), quadrant(i, pf)) for g, i, pf in zip(goals, imp, perf, strict=True)]
    rows.sort(key=lambda r: (QUADRANT_ORDER.index(r[3]), -r[1], r[2], r[0]))
    return tuple(PriorityItem(g, i, pf, qd, k + 1) for k, (g, i, pf, qd) in enumerate(rows))


def top_quartile_targets(store_performance: npt.ArrayLike) -> FloatArray:
    """Per-goal target = the chain's top-quartile store value (75th percentile over stores, NaNs ignored).

    ``store_performance`` is (stores, goals).
    """
    arr = np.asarray(store_performance, dtype=float)
    if arr.ndim != 2:
        raise ValueError("store_performance must be 2-D (stores, goals)")
    return np.asarray(np.nanquantile(arr, 0.75, axis=0), dtype=float)


@dataclass(frozen=True)
class Uplift(Result):
    """Projected outcome change if one goal's performance rose from ``current`` to ``target``."""

    goal: str
    current: float
    target: float
    coefficient: float
    uplift: float
    low: float | None
    high: float | None


def projected_uplift(
    model: LinearFit,
    current_performance: Sequence[float] | npt.ArrayLike,
    target_performance: Sequence[float] | npt.ArrayLike,
    *,
    confidence: float = 0.95,
) -> tuple[Uplift, ...]:
    """Predicted outcome change per goal if its performance rose to the target (e.g. :func:`top_quartile_targets`).

    uplift_j = coefficient_j * max(0, target_j - current_j): a goal already at or above the target has no projected
    uplift; the coefficient's sign is kept (a negative coefficient projects a negative change and is shown as such).
    The interval is gap * (coefficient ± z * se) from the model's classical SE. Uplifts are additive under the
    linear model; the model is associational, not causal, which the UI should say.
    """
    if not model.sufficient or model.coefficients is None or model.se is None:
        raise ValueError("model is not sufficient (too few responses)")
    z = z_critical(confidence)
    cur = np.asarray(current_performance, dtype=float).ravel()
    tgt = np.asarray(target_performance, dtype=float).ravel()
    coef = np.asarray(model.coefficients)
    se = np.asarray(model.se)
    if not (cur.size == tgt.size == coef.size):
        raise ValueError("current, target and coefficients must have one value per goal")
    if not (np.all(np.isfinite(cur)) and np.all(np.isfinite(tgt)) and np.all(np.isfinite(coef))
            and np.all(np.isfinite(se))):
        raise ValueError("current, target, coefficients and their SEs must be finite")
    gap = np.clip(tgt - cur, 0.0, None)
    out = []
    for j, name in enumerate(model.names):
        a, b = gap[j] * (coef[j] - z * se[j]), gap[j] * (coef[j] + z * se[j])
        out.append(
            Uplift(
                name,
                float(cur[j]),
                float(tgt[j]),
                float(coef[j]),
                float(gap[j] * coef[j]),
                float(min(a, b)),
                float(max(a, b)),
            )
        )
    return tuple(out)

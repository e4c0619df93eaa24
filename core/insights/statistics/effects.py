"""Effects of a logged store change: difference in differences (the store vs the others, before vs after)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from pejling.core.insights.statistics.minimum_n import too_few
from pejling.core.insights.statistics.results import Result, z_critical


@dataclass(frozen=True)
class GroupSummary(Result):
    """Mean, sample variance (ddof=1) and n of one group-period (a rollup)."""

    mean: float
    variance: float
    n: int

    @classmethod
    def of(cls, values: npt.ArrayLike) -> GroupSummary:
        """Summarise raw per-unit values (NaNs dropped)."""
        a = np.asarray(values, dtype=float).ravel()
        a = a[np.isfinite(a)]
        if a.size == 0:
            return cls(math.nan, math.nan, 0)
        return cls(float(a.mean()), float(a.var(ddof=1)) if a.size > 1 else math.nan, int(a.size))


@dataclass(frozen=True)
class DiDResult(Result):
    """Difference-in-differences estimate (treated change minus control change) with a Welch t interval."""

    effect: float | None
    se: float | None
    low: float | None
    high: float | None
    df: float | None
    p_value: float | None
    treated_change: float | None
    control_change: float | None
    n: tuple[int, int, int, int]
    confidence: float = 0.95
    sufficient: bool = True
    note: str | None = None


def difference_in_differences_from_summaries(
    treated_before: GroupSummary,
    treated_after: GroupSummary,
    control_before: GroupSummary,
    control_after: GroupSummary,
    *,
    confidence: float = 0.95,
    min_n: int = 2,
) -> DiDResult:
    """DiD from group-period summaries; see :func:`difference_in_differences` for the method."""
    groups = (treated_before, treated_after, control_before, control_after)
    ns = (int(treated_before.n), int(treated_after.n), int(control_before.n), int(control_after.n))
    z_critical(confidence)
    for g in groups:
        guard = too_few(g.n, max(min_n, 2))
        if guard is not None or not (math.isfinite(g.mean) and math.isfinite(g.variance)):
            note = guard.note if guard is not None else "non-finite summary"
            return DiDResult(
                effect=None,
                se=None,
                low=None,
                high=None,
                df=None,
                p_value=None,
                treated_change=None,
                control_change=None,
                n=ns,
                confidence=confidence,
                sufficient=False,
                note=f"{note} in at least one group-period",
            )
    v = np.array([g.variance / g.n for g in groups])
    se = math.sqrt(float(v.sum()))
    t_change = treated_after.mean - treated_before.mean
    c_change = control_after.mean - control_before.mean
    effect = t_change - c_change
    dfs = np.array([g.n - 1 for g in groups], dtype=float)
    denom = float((v**2 / dfs).sum())
    df = float(v.sum() ** 2 / denom) if denom > 0 else float(dfs.sum())
    if se > 0:
        t_crit = float(stats.t.ppf(0.5 + confidence / 2.0, df))
        p_value = float(2.0 * stats.t.sf(abs(effect) / se, df))
    else:
        t_crit, p_value = 0.0, (1.0 if effect == 0 else 0.0)
    return DiDResult(
        effect, se, effect - t_crit * se, effect + t_crit * se, df, p_value, t_change, c_change, ns, confidence
    )


def difference_in_differences(
    treated_before: npt.ArrayLike,
    treated_after: npt.ArrayLike,
    control_before: npt.ArrayLike,
    control_after: npt.ArrayLike,
    *,
    confidence: float = 0.95,
    min_n: int = 2,
) -> DiDResult:
    """Difference in differences on per-unit-period values (e.g. one value per store-week or per response).

    effect = (mean TA - mean TB) - (mean CA - mean CB). The four cells are treated as independent samples:
    SE = sqrt(Σ s²_g / n_g) (unequal variances; this equals the heteroskedasticity-robust SE of the interaction term
    in the saturated two-by-two regression up to the ddof convention), and the interval uses Student t with
    Welch-Satterthwaite degrees of freedom — slightly wider than the normal approximation for small cells.
    If the same units are measured before and after, ignoring the pairing is conservative when unit effects are
    positively correlated. Each cell needs at least ``max(min_n, 2)`` values; NaNs are dropped.
    """
    return difference_in_differences_from_summaries(
        GroupSummary.of(treated_before),
        GroupSummary.of(treated_after),
        GroupSummary.of(control_before),
        GroupSummary.of(control_after),
        confidence=confidence,
        min_n=min_n,
    )

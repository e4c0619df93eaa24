"""Outcome scores from counts (rollups), so raw responses are never needed.

NPS with the adjusted-Wald interval and the z test of two NPS values, CSAT with a Wilson interval, CES with a
t interval, and the intervals themselves (Wilson for a proportion, Student t for a mean from n, Σx, Σx²).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from pejling.core.insights.statistics.minimum_n import MIN_N, TOO_FEW_RESPONSES, Estimate, too_few
from pejling.core.insights.statistics.results import Result, z_critical
from pejling.core.insights.statistics.scales import check_count, check_histogram, integer_scores


@dataclass(frozen=True)
class NpsEstimate(Result):
    """Net Promoter Score in points (-100..100) with an adjusted-Wald interval.

    ``value`` is the plain NPS ``100*(p - d)``. The interval is centred on the *adjusted* NPS
    (``adjusted_value``: 0.75 added to promoters and detractors and 3 to n, Rocks 2016) with
    ``se = 100*sqrt((p+d-(p-d)^2)/n_adj)`` on the adjusted shares, clipped to [-100, 100].
    """

    value: float | None
    low: float | None
    high: float | None
    n: int
    promoters: int
    passives: int
    detractors: int
    promoter_share: float | None
    detractor_share: float | None
    adjusted_value: float | None
    se: float | None
    confidence: float = 0.95
    sufficient: bool = True
    note: str | None = None


def nps_from_counts(
    promoters: int, passives: int, detractors: int, *, min_n: int = MIN_N, confidence: float = 0.95
) -> NpsEstimate:
    """NPS from counts (works on rollups): promoters answered 9-10, passives 7-8, detractors 0-6.

    Returns the NPS in points with the adjusted-Wald interval (see :class:`NpsEstimate`); below ``min_n``
    responses the result has ``sufficient=False`` and no value (counts are still reported).
    """
    p_n = check_count("promoters", promoters)
    m_n = check_count("passives", passives)
    d_n = check_count("detractors", detractors)
    n = p_n + m_n + d_n
    z = z_critical(confidence)
    guard = too_few(n, min_n)
    if guard is not None:
        return NpsEstimate(
            None, None, None, n, p_n, m_n, d_n, None, None, None, None, confidence, sufficient=False, note=guard.note
        )
    p, d = p_n / n, d_n / n
    n_adj = n + 3.0
    p_adj, d_adj = (p_n + 0.75) / n_adj, (d_n + 0.75) / n_adj
    nps_adj = 100.0 * (p_adj - d_adj)
    variance = max(p_adj + d_adj - (p_adj - d_adj) ** 2, 0.0)
    se = 100.0 * math.sqrt(variance / n_adj)
    return NpsEstimate(
        value=100.0 * (p - d),
        low=max(-100.0, nps_adj - z * se),
        high=min(100.0, nps_adj + z * se),
        n=n,
        promoters=p_n,
        passives=m_n,
        detractors=d_n,
        promoter_share=p,
        detractor_share=d,
        adjusted_value=nps_adj,
        se=se,
        confidence=confidence,
    )


def nps(scores: npt.ArrayLike, *, min_n: int = MIN_N, confidence: float = 0.95) -> NpsEstimate:
    """NPS from raw 0-10 answers; counts them and delegates to :func:`nps_from_counts`."""
    arr = integer_scores(scores, 0, 10, "NPS")
    promoters = int(np.count_nonzero(arr >= 9))
    detractors = int(np.count_nonzero(arr <= 6))
    return nps_from_counts(
        promoters, int(arr.size) - promoters - detractors, detractors, min_n=min_n, confidence=confidence
    )


@dataclass(frozen=True)
class Comparison(Result):
    """A two-sided comparison of two estimates: ``difference`` = a - b, z statistic, p-value and interval."""

    difference: float | None
    se: float | None
    z: float | None
    p_value: float | None
    low: float | None
    high: float | None
    confidence: float = 0.95
    sufficient: bool = True
    note: str | None = None


def nps_difference_z(a: NpsEstimate, b: NpsEstimate, *, confidence: float = 0.95) -> Comparison:
    """Compare two independent NPS values: z = (NPS_a - NPS_b) / sqrt(SE_a^2 + SE_b^2).

    ``difference`` is the plain difference of the reported NPS values (what users see). The z statistic,
    p-value and interval use the adjusted-Wald NPS values and SEs (better small-sample behaviour; the
    adjusted values are pulled slightly toward 0, so the test is a little conservative).
    If either side is insufficient, so is the comparison.
    """
    z_crit = z_critical(confidence)
    if not (a.sufficient and b.sufficient):
        note = f"{TOO_FEW_RESPONSES} in at least one group"
        return Comparison(None, None, None, None, None, None, confidence, sufficient=False, note=note)
    assert a.value is not None and b.value is not None and a.se is not None and b.se is not None
    assert a.adjusted_value is not None and b.adjusted_value is not None
    se = math.hypot(a.se, b.se)
    diff_adj = a.adjusted_value - b.adjusted_value
    z = diff_adj / se if se > 0 else 0.0
    p_value = float(2.0 * stats.norm.sf(abs(z)))
    return Comparison(a.value - b.value, se, z, p_value, diff_adj - z_crit * se, diff_adj + z_crit * se, confidence)


def wilson_interval(successes: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion (as fractions in [0, 1]). ``n`` must be >= 1."""
    if n < 1 or not 0 <= successes <= n:
        raise ValueError("need n >= 1 and 0 <= successes <= n")
    z = z_critical(confidence)
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def csat(histogram: Sequence[int], *, min_n: int = MIN_N, confidence: float = 0.95) -> Estimate:
    """CSAT: % of answers 4-5 on the 1-5 scale, with a Wilson interval (in percent).

    ``histogram`` holds the counts for scale points 1, 2, 3, 4, 5 (a rollup; use :func:`scale_histogram`
    for raw answers).
    """
    counts = check_histogram(histogram, 5, "CSAT")
    n = int(counts.sum())
    guard = too_few(n, min_n)
    if guard is not None:
        return guard
    satisfied = int(counts[3] + counts[4])
    lo, hi = wilson_interval(satisfied, n, confidence=confidence)
    return Estimate(100.0 * satisfied / n, 100.0 * lo, 100.0 * hi, n)


def mean_interval(n: int, total: float, total_sq: float, *, confidence: float = 0.95, min_n: int = 2) -> Estimate:
    """Mean with a Student-t interval from sufficient statistics (n, sum, sum of squares): works on rollups.

    ``min_n`` is at least 2 (a t interval needs one degree of freedom). With zero spread the interval
    collapses to the mean.
    """
    guard = too_few(n, max(min_n, 2))
    if guard is not None:
        return guard
    mean = total / n
    variance = max((total_sq - total * total / n) / (n - 1), 0.0)
    half = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1)) * math.sqrt(variance / n)
    return Estimate(mean, mean - half, mean + half, n)


@dataclass(frozen=True)
class CesEstimate(Result):
    """CES 2.0 (1-7 agreement): mean with a t interval and % answering 5-7 with a Wilson interval."""

    mean: float | None
    low: float | None
    high: float | None
    n: int
    sd: float | None
    pct_easy: float | None
    pct_easy_low: float | None
    pct_easy_high: float | None
    confidence: float = 0.95
    sufficient: bool = True
    note: str | None = None


def ces(histogram: Sequence[int], *, min_n: int = MIN_N, confidence: float = 0.95) -> CesEstimate:
    """CES from a histogram of counts for scale points 1..7 (a rollup): mean (t interval) and % answering 5-7."""
    counts = check_histogram(histogram, 7, "CES")
    n = int(counts.sum())
    guard = too_few(n, max(min_n, 2))
    if guard is not None:
        return CesEstimate(None, None, None, n, None, None, None, None, confidence, sufficient=False, note=guard.note)
    points = np.arange(1, 8, dtype=float)
    total = float(counts @ points)
    total_sq = float(counts @ points**2)
    m = mean_interval(n, total, total_sq, confidence=confidence)
    easy = int(counts[4:].sum())
    lo, hi = wilson_interval(easy, n, confidence=confidence)
    sd = math.sqrt(max((total_sq - total * total / n) / (n - 1), 0.0))
    return CesEstimate(m.value, m.low, m.high, n, sd, 100.0 * easy / n, 100.0 * lo, 100.0 * hi, confidence)

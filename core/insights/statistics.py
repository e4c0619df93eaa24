"""Statistics behind Pejling's insights: pure functions on numbers, no database and no I/O.

Everything here follows ``research/behavioural-model.md``:

* outcome scores (NPS with the adjusted-Wald interval, CSAT with a Wilson interval, CES with a t interval),
  all computable from *counts* (rollups) so raw responses are never needed;
* reaction-time normalisation within a respondent and the conviction-weighted implicit-goal score
  (the IAT D-score is deliberately **not** implemented: it may not be used commercially without permission);
* key-driver analysis (exact Shapley value regression, Johnson's relative weights, bootstrap intervals);
* empirical-Bayes shrinkage of small stores toward the chain mean;
* importance x performance priorities and projected uplift from a linear model;
* difference-in-differences for before/after comparison of a logged store change;
* a minimum-n guard: below ``min_n`` the functions return a result with ``sufficient=False`` and no number,
  rather than a misleading one.

All results are small frozen dataclasses holding plain Python floats/ints/strings/tuples (JSON-friendly:
``dataclasses.asdict(result)`` or ``result.to_dict()``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

FloatArray = npt.NDArray[np.float64]

MIN_N = 30
"""Default minimum number of responses below which a score is reported as "too few responses"."""

MIN_N_DRIVERS = 50
"""Default minimum number of complete responses for key-driver analysis (also always at least p + 2)."""

TOO_FEW_RESPONSES = "too few responses"

MAX_SHAPLEY_DRIVERS = 12

ANTICIPATION_MS = 300.0
"""Taps faster than this are anticipations (read too fast to be real) and are dropped."""

SLOW_MS = 5000.0
"""Taps slower than this are kept but flagged as deliberate (System-2) answers."""

CAP_MS = 10000.0
"""Reaction times are capped at this value before normalisation."""

BOT_ANTICIPATION_SHARE = 0.10
"""A respondent with more than this share of anticipations is flagged as a likely bot."""


class _Result:
    """Mixin giving every result a ``to_dict()`` (plain JSON-compatible values)."""

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a dict of JSON-compatible values."""
        return asdict(self)  # type: ignore[call-overload]


def _z_crit(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


# ---------------------------------------------------------------------------------------------------------------------
# Minimum-n guard
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate(_Result):
    """A point estimate with an interval. ``value``/``low``/``high`` are ``None`` when ``sufficient`` is False."""

    value: float | None
    low: float | None
    high: float | None
    n: int
    sufficient: bool = True
    note: str | None = None


def too_few(n: int, min_n: int = MIN_N) -> Estimate | None:
    """Minimum-n guard: return an insufficient :class:`Estimate` ("too few responses") if ``n < min_n``, else None.

    Used by every estimator in this module, e.g. ``if (guard := too_few(n, min_n)) is not None: return guard``.
    ``min_n`` is configurable per call; it is never allowed below 1.
    """
    if min_n < 1:
        raise ValueError(f"min_n must be >= 1, got {min_n}")
    if n < min_n:
        return Estimate(None, None, None, int(n), sufficient=False, note=f"{TOO_FEW_RESPONSES} ({n} < {min_n})")
    return None


# ---------------------------------------------------------------------------------------------------------------------
# NPS / CSAT / CES
# ---------------------------------------------------------------------------------------------------------------------


def _check_count(name: str, value: int) -> int:
    if isinstance(value, bool) or int(value) != value or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class NpsEstimate(_Result):
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
    p_n = _check_count("promoters", promoters)
    m_n = _check_count("passives", passives)
    d_n = _check_count("detractors", detractors)
    n = p_n + m_n + d_n
    z = _z_crit(confidence)
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


def _as_integer_scores(scores: npt.ArrayLike, low: int, high: int, what: str) -> npt.NDArray[np.int64]:
    arr = np.asarray(scores, dtype=float).ravel()
    if arr.size and (not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr))):
        raise ValueError(f"{what} scores must be finite integers")
    if arr.size and (arr.min() < low or arr.max() > high):
        raise ValueError(f"{what} scores must lie in {low}..{high}")
    return arr.astype(np.int64)


def nps(scores: npt.ArrayLike, *, min_n: int = MIN_N, confidence: float = 0.95) -> NpsEstimate:
    """NPS from raw 0-10 answers; counts them and delegates to :func:`nps_from_counts`."""
    arr = _as_integer_scores(scores, 0, 10, "NPS")
    promoters = int(np.count_nonzero(arr >= 9))
    detractors = int(np.count_nonzero(arr <= 6))
    return nps_from_counts(
        promoters, int(arr.size) - promoters - detractors, detractors, min_n=min_n, confidence=confidence
    )


@dataclass(frozen=True)
class Comparison(_Result):
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
    z_crit = _z_crit(confidence)
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


def scale_histogram(scores: npt.ArrayLike, low: int, high: int) -> tuple[int, ...]:
    """Count raw integer answers on the scale ``low..high`` into a histogram (one count per scale point)."""
    arr = _as_integer_scores(scores, low, high, "scale")
    counts = np.bincount(arr - low, minlength=high - low + 1)
    return tuple(int(c) for c in counts)


def _check_histogram(histogram: Sequence[int], points: int, what: str) -> npt.NDArray[np.int64]:
    if len(histogram) != points:
        raise ValueError(f"{what} histogram must have {points} counts (one per scale point), got {len(histogram)}")
    return np.array([_check_count(f"{what} count", c) for c in histogram], dtype=np.int64)


def wilson_interval(successes: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion (as fractions in [0, 1]). ``n`` must be >= 1."""
    if n < 1 or not 0 <= successes <= n:
        raise ValueError("need n >= 1 and 0 <= successes <= n")
    z = _z_crit(confidence)
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
    counts = _check_histogram(histogram, 5, "CSAT")
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
class CesEstimate(_Result):
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
    counts = _check_histogram(histogram, 7, "CES")
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


# ---------------------------------------------------------------------------------------------------------------------
# Reaction times and the implicit-goal score
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReactionTimeWeights(_Result):
    """Per-tap conviction weights for one respondent (tuples are aligned with the input taps).

    ``weights[i]``/``z[i]`` are ``None`` for dropped taps (anticipations). ``degenerate`` is one of
    ``None``, ``"no_valid_taps"``, ``"single_valid_tap"`` or ``"zero_sd"`` (see
    :func:`normalise_reaction_times`).
    """

    weights: tuple[float | None, ...]
    z: tuple[float | None, ...]
    valid: tuple[bool, ...]
    slow: tuple[bool, ...]
    capped: tuple[bool, ...]
    n_taps: int
    n_valid: int
    n_anticipations: int
    anticipation_share: float
    likely_bot: bool
    degenerate: str | None
    centre_ln_rt: float | None
    scale_ln_rt: float | None


def conviction_weight(z: npt.ArrayLike, *, low: float = 0.1, high: float = 1.0) -> FloatArray:
    """w = clamp(0.5 - 0.25*z, low, high): faster than the respondent's own mean (z < 0) -> stronger."""
    return np.clip(0.5 - 0.25 * np.asarray(z, dtype=float), low, high)


def normalise_reaction_times(
    rts_ms: npt.ArrayLike,
    *,
    baseline_rts_ms: npt.ArrayLike | None = None,
    anticipation_ms: float = ANTICIPATION_MS,
    slow_ms: float = SLOW_MS,
    cap_ms: float = CAP_MS,
    bot_anticipation_share: float = BOT_ANTICIPATION_SHARE,
) -> ReactionTimeWeights:
    """Normalise one respondent's reaction times (ms) and turn them into conviction weights.

    Steps (Mayerl 2005/2013, within-respondent):

    1. taps < ``anticipation_ms`` are anticipations and dropped (weight ``None``); taps > ``slow_ms`` are kept but
       flagged ``slow``; every RT is capped at ``cap_ms``;
    2. ``z = (ln RT - centre) / scale`` where centre and scale are the mean and sample sd (ddof=1) of ln RT over the
       respondent's valid taps. With ``baseline_rts_ms`` (warm-up/practice taps, not scored) the *centre* is the mean
       ln RT of the valid warm-up taps, and the scale is the sd over valid warm-up and scored taps together (one or two
       warm-up taps cannot estimate a spread); if no warm-up tap is valid the respondent's own mean is used;
    3. ``w = clamp(0.5 - 0.25*z, 0.1, 1.0)``.

    Degenerate cases, handled explicitly and reported in ``degenerate``:

    * ``"no_valid_taps"``: every tap is an anticipation: all weights ``None`` (the respondent gives no implicit score);
    * ``"single_valid_tap"``: fewer than two valid taps to estimate a spread: z = 0 and weight 0.5 (neutral);
    * ``"zero_sd"``: all valid ln RTs are identical (e.g. coarse device timer): z = 0 and weight 0.5 for every tap.

    ``likely_bot`` is set when more than ``bot_anticipation_share`` of the taps are anticipations (flagged, never
    deleted).
    """
    rt = np.asarray(rts_ms, dtype=float).ravel()
    if rt.size and (not np.all(np.isfinite(rt)) or rt.min() < 0):
        raise ValueError("reaction times must be finite and non-negative")
    valid = rt >= anticipation_ms
    slow = rt > slow_ms
    capped = rt > cap_ms
    ln_rt = np.log(np.minimum(np.where(valid, rt, anticipation_ms), cap_ms))
    ln_valid = ln_rt[valid]

    ln_base = np.empty(0)
    if baseline_rts_ms is not None:
        base = np.asarray(baseline_rts_ms, dtype=float).ravel()
        if base.size and (not np.all(np.isfinite(base)) or base.min() < 0):
            raise ValueError("baseline reaction times must be finite and non-negative")
        base = base[base >= anticipation_ms]
        ln_base = np.log(np.minimum(base, cap_ms))

    n_valid = int(valid.sum())
    n_anticip = int(rt.size - n_valid)
    share = n_anticip / rt.size if rt.size else 0.0
    centre: float | None = None
    scale: float | None = None
    degenerate: str | None = None
    z = np.full(rt.size, np.nan)
    if n_valid == 0:
        degenerate = "no_valid_taps"
    else:
        pooled = np.concatenate([ln_base, ln_valid])
        centre = float(ln_base.mean()) if ln_base.size else float(ln_valid.mean())
        if pooled.size < 2:
            degenerate = "single_valid_tap"
            z[valid] = 0.0
        else:
            scale = float(pooled.std(ddof=1))
            if scale <= 1e-12 * max(1.0, abs(centre)):
                degenerate = "zero_sd"
                scale = 0.0
                z[valid] = 0.0
            else:
                z[valid] = (ln_valid - centre) / scale
    w = conviction_weight(z)

    def opt(values: FloatArray) -> tuple[float | None, ...]:
        return tuple(None if math.isnan(v) else float(v) for v in values)

    return ReactionTimeWeights(
        weights=opt(w),
        z=opt(z),
        valid=tuple(bool(v) for v in valid),
        slow=tuple(bool(v) for v in slow),
        capped=tuple(bool(v) for v in capped),
        n_taps=int(rt.size),
        n_valid=n_valid,
        n_anticipations=n_anticip,
        anticipation_share=share,
        likely_bot=share > bot_anticipation_share,
        degenerate=degenerate,
        centre_ln_rt=centre,
        scale_ln_rt=scale,
    )


def scale_answer(answers: npt.ArrayLike, low: float, high: float) -> FloatArray:
    """Map answers on ``low..high`` linearly onto [-1, 1] (e.g. 1..5 -> -1, -0.5, 0, 0.5, 1; 0/1 -> -1/1)."""
    if not high > low:
        raise ValueError("high must be greater than low")
    a = np.asarray(answers, dtype=float)
    if a.size and (np.nanmin(a) < low or np.nanmax(a) > high):
        raise ValueError(f"answers must lie in {low}..{high}")
    return 2.0 * (a - low) / (high - low) - 1.0


@dataclass(frozen=True)
class GoalScore(_Result):
    """Implicit (conviction-weighted) and explicit (unweighted) score of one goal on [-1, 1]."""

    goal: str
    implicit: float | None
    explicit: float | None
    weight_sum: float
    n_taps: int


def implicit_goal_scores(
    goals: Sequence[str],
    answers: npt.ArrayLike,
    weights: Sequence[float | None] | npt.ArrayLike,
    *,
    answer_low: float,
    answer_high: float,
) -> dict[str, GoalScore]:
    """Implicit score per goal: sum(w * answer) / sum(w), answers scaled to [-1, 1].

    Inputs are aligned per tap and may span many respondents (pooling taps). Taps whose weight is ``None``/NaN
    (dropped anticipations) or whose answer is NaN are skipped for both scores. ``explicit`` is the plain mean of
    the scaled answers of the same taps, to show beside the implicit one. A goal whose weights sum to 0 gets
    ``implicit=None``.
    """
    g = list(goals)
    a = scale_answer(np.asarray(answers, dtype=float), answer_low, answer_high)
    w = np.array([np.nan if v is None else float(v) for v in np.asarray(weights, dtype=object).ravel()], dtype=float)
    if not (len(g) == a.size == w.size):
        raise ValueError("goals, answers and weights must have the same length")
    if np.any(w[np.isfinite(w)] < 0):
        raise ValueError("weights must be non-negative")
    keep = np.isfinite(w) & np.isfinite(a)
    out: dict[str, GoalScore] = {}
    goal_arr = np.asarray(g, dtype=object)
    for goal in dict.fromkeys(g):
        sel = keep & (goal_arr == goal)
        n = int(sel.sum())
        ws = float(w[sel].sum())
        implicit = float(w[sel] @ a[sel] / ws) if ws > 0 else None
        explicit = float(a[sel].mean()) if n else None
        out[goal] = GoalScore(goal, implicit, explicit, ws, n)
    return out


@dataclass(frozen=True)
class RespondentScore(_Result):
    """One respondent's reaction-time weights, goal scores and quality flags."""

    reaction_times: ReactionTimeWeights
    goals: dict[str, GoalScore]
    likely_bot: bool
    straight_liner: bool


def score_respondent(
    goals: Sequence[str],
    answers: npt.ArrayLike,
    rts_ms: npt.ArrayLike,
    *,
    answer_low: float,
    answer_high: float,
    baseline_rts_ms: npt.ArrayLike | None = None,
    straight_line_median_ms: float = 600.0,
) -> RespondentScore:
    """Normalise one respondent's RTs and score their goals; flag bots and straight-liners (never delete).

    ``straight_liner`` is set when all answers are identical *and* the median raw RT is below
    ``straight_line_median_ms`` (zero variance in answers with tiny RTs).
    """
    rtw = normalise_reaction_times(rts_ms, baseline_rts_ms=baseline_rts_ms)
    scores = implicit_goal_scores(goals, answers, rtw.weights, answer_low=answer_low, answer_high=answer_high)
    a = np.asarray(answers, dtype=float)
    rt = np.asarray(rts_ms, dtype=float)
    straight = bool(a.size > 1 and np.ptp(a) == 0 and float(np.median(rt)) < straight_line_median_ms)
    return RespondentScore(rtw, scores, rtw.likely_bot, straight)


# ---------------------------------------------------------------------------------------------------------------------
# Key drivers
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DriverImportance(_Result):
    """Relative importance of drivers; ``importance`` sums to ``r2``; ``share`` = importance / r2."""

    method: str
    names: tuple[str, ...]
    importance: tuple[float, ...] | None
    share: tuple[float, ...] | None
    r2: float | None
    n: int
    sufficient: bool = True
    note: str | None = None


def _prepare_xy(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Validate and listwise-delete rows with a missing (NaN) value."""
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float).ravel()
    if xa.ndim == 1:
        xa = xa[:, None]
    if xa.ndim != 2 or xa.shape[0] != ya.size:
        raise ValueError("X must be 2-D (n, p) with one row per element of y")
    if xa.shape[1] < 1:
        raise ValueError("X needs at least one column")
    if np.any(np.isinf(xa)) or np.any(np.isinf(ya)):
        raise ValueError("X and y must not contain infinities")
    keep = ~(np.isnan(xa).any(axis=1) | np.isnan(ya))
    return xa[keep], ya[keep]


def _names(names: Sequence[str] | None, p: int) -> tuple[str, ...]:
    if names is None:
        return tuple(f"x{j}" for j in range(p))
    if len(names) != p:
        raise ValueError(f"expected {p} names, got {len(names)}")
    return tuple(str(s) for s in names)


def _corr_from_cov(cov: FloatArray) -> FloatArray:
    """Correlation matrices from covariance matrices (..., q, q).

    Convention: a zero-variance column has correlation 0 with everything and 1 with itself, so a constant driver
    gets zero importance and the matrix stays well-posed.
    """
    var = np.diagonal(cov, axis1=-2, axis2=-1)
    scale_ref = np.maximum(var.max(axis=-1, keepdims=True), 1e-300)
    ok = var > 1e-12 * scale_ref
    sd = np.where(ok, np.sqrt(np.where(ok, var, 1.0)), 1.0)
    corr = cov / (sd[..., :, None] * sd[..., None, :])
    corr = np.where(ok[..., :, None] & ok[..., None, :], corr, 0.0)
    q = cov.shape[-1]
    idx = np.arange(q)
    corr[..., idx, idx] = 1.0
    return np.clip(corr, -1.0, 1.0)


def _corr_matrix(x: FloatArray, y: FloatArray) -> FloatArray:
    data = np.column_stack([x, y])
    centred = data - data.mean(axis=0)
    cov = centred.T @ centred / max(data.shape[0] - 1, 1)
    return _corr_from_cov(cov)


def _batched_solve(a: FloatArray, b: FloatArray) -> FloatArray:
    """Solve a x = b for stacks of small symmetric systems; pseudo-inverse fallback for singular ones."""
    try:
        sol = np.linalg.solve(a, b[..., None])[..., 0]
        if np.all(np.isfinite(sol)):
            return np.asarray(sol, dtype=np.float64)
    except np.linalg.LinAlgError:
        pass
    return np.asarray((np.linalg.pinv(a, hermitian=True) @ b[..., None])[..., 0], dtype=np.float64)


def _subset_masks(p: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    masks = np.arange(1 << p, dtype=np.int64)
    bits = (masks[:, None] >> np.arange(p)) & 1
    return masks, bits, bits.sum(axis=1)


def _all_subset_r2(corr: FloatArray) -> FloatArray:
    """R^2 of every subset of drivers from stacked correlation matrices (B, p+1, p+1); y is the last variable.

    R^2(S) = r_S' R_SS^-1 r_S. Subsets are solved in batches by size (one batched solve per size), so the whole
    2^p table costs p batched calls. Returns (B, 2^p) indexed by the subset bit mask.
    """
    b_count, q, _ = corr.shape
    p = q - 1
    rxx = corr[:, :p, :p]
    rxy = corr[:, :p, p]
    masks, bits, sizes = _subset_masks(p)
    r2 = np.zeros((b_count, masks.size))
    for k in range(1, p + 1):
        ms = masks[sizes == k]
        cols = np.nonzero(bits[ms])[1].reshape(ms.size, k)
        sub = rxx[:, cols[:, :, None], cols[:, None, :]]
        r = rxy[:, cols]
        sol = _batched_solve(sub, r)
        r2[:, ms] = np.einsum("bmk,bmk->bm", r, sol)
    return np.clip(r2, 0.0, 1.0)


def _shapley_from_corr(corr: FloatArray) -> FloatArray:
    """Shapley decomposition of R^2 for stacked correlation matrices: (B, p+1, p+1) -> (B, p)."""
    p = corr.shape[-1] - 1
    r2 = _all_subset_r2(corr)
    masks, _, sizes = _subset_masks(p)
    fact = [math.factorial(i) for i in range(p + 1)]
    weight = np.array([fact[k] * fact[p - k - 1] / fact[p] if k < p else 0.0 for k in range(p + 1)])
    out = np.empty((corr.shape[0], p))
    for j in range(p):
        without = masks[(masks >> j) & 1 == 0]
        out[:, j] = (r2[:, without | (1 << j)] - r2[:, without]) @ weight[sizes[without]]
    return out


def _relative_weights_from_corr(corr: FloatArray) -> FloatArray:
    """Johnson's (2000) relative weights for stacked correlation matrices: (B, p+1, p+1) -> (B, p).

    R_xx = Q Λ Q', Λ* = Q Λ^1/2 Q', β = Λ*^-1 r_xy, ε_j = Σ_k Λ*_jk² β_k² (a pseudo-inverse for singular R_xx).
    """
    p = corr.shape[-1] - 1
    rxx = corr[:, :p, :p]
    rxy = corr[:, :p, p]
    lam, vec = np.linalg.eigh(rxx)
    lam = np.clip(lam, 0.0, None)
    tol = 1e-10 * np.maximum(lam.max(axis=-1, keepdims=True), 1e-300)
    root = np.sqrt(lam)
    inv_root = np.where(lam > tol, 1.0 / np.where(lam > tol, root, 1.0), 0.0)
    vt = np.swapaxes(vec, -1, -2)
    lam_star = (vec * root[:, None, :]) @ vt
    lam_star_pinv = (vec * inv_root[:, None, :]) @ vt
    beta = (lam_star_pinv @ rxy[..., None])[..., 0]
    return np.asarray((lam_star**2) @ (beta**2)[..., None])[..., 0]


def _importance(
    method: str, x: npt.ArrayLike, y: npt.ArrayLike, names: Sequence[str] | None, min_n: int
) -> DriverImportance:
    xa, ya = _prepare_xy(x, y)
    n, p = xa.shape
    labels = _names(names, p)
    if method == "shapley" and p > MAX_SHAPLEY_DRIVERS:
        raise ValueError(f"exact Shapley regression supports at most {MAX_SHAPLEY_DRIVERS} drivers, got {p}")
    guard = too_few(n, max(min_n, p + 2))
    if guard is not None:
        return DriverImportance(method, labels, None, None, None, n, sufficient=False, note=guard.note)
    if np.var(ya) <= 0:
        return DriverImportance(method, labels, None, None, None, n, sufficient=False, note="outcome has no variation")
    corr = _corr_matrix(xa, ya)[None]
    parts = _shapley_from_corr(corr)[0] if method == "shapley" else _relative_weights_from_corr(corr)[0]
    r2 = float(parts.sum())
    share = tuple(float(v / r2) for v in parts) if r2 > 0 else tuple(0.0 for _ in parts)
    return DriverImportance(method, labels, tuple(float(v) for v in parts), share, r2, n)


def shapley_r2(
    x: npt.ArrayLike, y: npt.ArrayLike, *, names: Sequence[str] | None = None, min_n: int = MIN_N_DRIVERS
) -> DriverImportance:
    """Shapley value regression (Lipovetsky & Conklin 2001), exact over all 2^p subsets (p <= 12).

    SV_j = Σ_{S ⊆ P∖{j}} |S|!(p-|S|-1)!/p! [R²(S∪{j}) - R²(S)]; the parts sum to the full-model R².
    Subset R² values come from the correlation matrix (no refitting). Rows with a missing value are dropped
    (listwise); a constant driver gets 0. Needs ``n >= max(min_n, p + 2)`` and a non-constant outcome.
    """
    return _importance("shapley", x, y, names, min_n)


def relative_weights(
    x: npt.ArrayLike, y: npt.ArrayLike, *, names: Sequence[str] | None = None, min_n: int = MIN_N_DRIVERS
) -> DriverImportance:
    """Johnson's (2000) relative weights; the weights sum to the full-model R². Same input rules as shapley_r2."""
    return _importance("relative_weights", x, y, names, min_n)


@dataclass(frozen=True)
class BootstrapImportance(_Result):
    """Driver importance with percentile bootstrap intervals (per driver and for R²)."""

    method: str
    names: tuple[str, ...]
    importance: tuple[float, ...] | None
    low: tuple[float, ...] | None
    high: tuple[float, ...] | None
    r2: float | None
    r2_low: float | None
    r2_high: float | None
    n: int
    n_boot: int
    seed: int | None
    confidence: float = 0.95
    sufficient: bool = True
    note: str | None = None


def bootstrap_importance(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    method: Literal["shapley", "relative_weights"] = "shapley",
    n_boot: int = 1000,
    seed: int | None = 0,
    *,
    names: Sequence[str] | None = None,
    confidence: float = 0.95,
    min_n: int = MIN_N_DRIVERS,
    chunk: int = 64,
) -> BootstrapImportance:
    """Percentile bootstrap intervals for driver importance (resampling respondents with replacement).

    Reproducible: resamples come from ``numpy.random.default_rng(seed)``. Vectorised: the correlation matrices of
    ``chunk`` resamples are computed at once and decomposed with batched linear algebra. The point estimate is the
    full-sample importance.
    """
    if method not in ("shapley", "relative_weights"):
        raise ValueError(f"unknown method {method!r}")
    if n_boot < 1:
        raise ValueError("n_boot must be >= 1")
    _z_crit(confidence)
    point = _importance(method, x, y, names, min_n)
    if not point.sufficient or point.importance is None:
        return BootstrapImportance(
            method,
            point.names,
            importance=None,
            low=None,
            high=None,
            r2=None,
            r2_low=None,
            r2_high=None,
            n=point.n,
            n_boot=n_boot,
            seed=seed,
            confidence=confidence,
            sufficient=False,
            note=point.note,
        )
    xa, ya = _prepare_xy(x, y)
    data = np.column_stack([xa, ya])
    n, q = data.shape
    rng = np.random.default_rng(seed)
    decompose = _shapley_from_corr if method == "shapley" else _relative_weights_from_corr
    parts = np.empty((n_boot, q - 1))
    for start in range(0, n_boot, chunk):
        stop = min(start + chunk, n_boot)
        idx = rng.integers(0, n, size=(stop - start, n))
        sample = data[idx]
        centred = sample - sample.mean(axis=1, keepdims=True)
        cov = np.swapaxes(centred, 1, 2) @ centred / (n - 1)
        parts[start:stop] = decompose(_corr_from_cov(cov))
    alpha = (1.0 - confidence) / 2.0
    lo, hi = np.quantile(parts, [alpha, 1.0 - alpha], axis=0)
    r2_lo, r2_hi = np.quantile(parts.sum(axis=1), [alpha, 1.0 - alpha])
    return BootstrapImportance(
        method,
        point.names,
        point.importance,
        tuple(float(v) for v in lo),
        tuple(float(v) for v in hi),
        point.r2,
        float(r2_lo),
        float(r2_hi),
        n,
        n_boot,
        seed,
        confidence,
    )


# ---------------------------------------------------------------------------------------------------------------------
# Linear model, priorities and projected uplift
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinearFit(_Result):
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
    xa, ya = _prepare_xy(x, y)
    n, p = xa.shape
    labels = _names(names, p)
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
class PriorityItem(_Result):
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
class Uplift(_Result):
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
    z = _z_crit(confidence)
    cur = np.asarray(current_performance, dtype=float).ravel()
    tgt = np.asarray(target_performance, dtype=float).ravel()
    coef = np.asarray(model.coefficients)
    se = np.asarray(model.se)
    if not (cur.size == tgt.size == coef.size):
        raise ValueError("current, target and coefficients must have one value per goal")
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


# ---------------------------------------------------------------------------------------------------------------------
# Empirical-Bayes shrinkage
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shrinkage(_Result):
    """Shrunk group means, the shrinkage factor B per group, τ² and the chain mean used."""

    shrunk: tuple[float | None, ...]
    b: tuple[float, ...]
    tau2: float
    grand_mean: float | None


def shrink_toward_mean(
    means: Sequence[float] | npt.ArrayLike,
    ns: Sequence[int] | npt.ArrayLike,
    within_variance: float | Sequence[float] | npt.ArrayLike,
    *,
    grand_mean: float | None = None,
) -> Shrinkage:
    """Empirical-Bayes (James-Stein style) shrinkage of store means toward the chain mean.

    θ̂_s = B_s·ȳ_chain + (1 - B_s)·ȳ_s with B_s = v_s / (v_s + τ²), v_s = σ²_s / n_s (``within_variance`` is σ²,
    one pooled value or one per store).

    τ² (between-store variance) is the method-of-moments (DerSimonian-Laird) estimate
    τ² = max(0, (Q - (k-1)) / (Σw - Σw²/Σw)) with w = 1/v and Q = Σ w (ȳ_s - ȳ_w)², floored at 0.
    ȳ_chain defaults to the response-weighted chain mean Σ n_s ȳ_s / Σ n_s (the chain average users see).

    Edge cases: a store with n = 0 (or a NaN mean) gets the chain mean, B = 1 and does not enter τ²; with fewer than
    two usable stores τ² is not estimable and no shrinkage is applied (B = 0) to them; τ² = 0 means every store is
    shrunk fully to the chain mean (B = 1) — the data show no between-store differences beyond noise.
    """
    m = np.asarray(means, dtype=float).ravel()
    n = np.asarray(ns, dtype=float).ravel()
    s2 = np.broadcast_to(np.asarray(within_variance, dtype=float), m.shape).astype(float)
    if n.size != m.size:
        raise ValueError("means and ns must have the same length")
    if np.any(n < 0) or np.any(s2[np.isfinite(s2)] < 0):
        raise ValueError("ns and within_variance must be non-negative")
    usable = (n > 0) & np.isfinite(m) & np.isfinite(s2)
    if not usable.any():
        return Shrinkage(tuple(None for _ in m), tuple(1.0 for _ in m), 0.0, grand_mean)
    mu = float((n[usable] @ m[usable]) / n[usable].sum()) if grand_mean is None else float(grand_mean)
    v = np.where(usable, s2 / np.where(usable, n, 1.0), np.inf)
    k = int(usable.sum())
    tau2 = 0.0
    if k >= 2:
        vu = np.maximum(v[usable], 1e-300)
        w = 1.0 / vu
        yw = float(w @ m[usable] / w.sum())
        q = float(w @ (m[usable] - yw) ** 2)
        denom = float(w.sum() - (w @ w) / w.sum())
        tau2 = max(0.0, (q - (k - 1)) / denom) if denom > 0 else 0.0
        b = np.ones_like(m)
        vu_raw = v[usable]
        denom_b = vu_raw + tau2
        b[usable] = np.where(denom_b > 0, vu_raw / np.where(denom_b > 0, denom_b, 1.0), 0.0)
    else:
        b = np.where(usable, 0.0, 1.0)
    shrunk = np.where(usable, b * mu + (1.0 - b) * np.where(usable, m, 0.0), mu)
    return Shrinkage(tuple(float(s) for s in shrunk), tuple(float(x) for x in b), tau2, mu)


# ---------------------------------------------------------------------------------------------------------------------
# Difference in differences
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupSummary(_Result):
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
class DiDResult(_Result):
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
    _z_crit(confidence)
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

"""Reaction times and the implicit-goal score.

A respondent's reaction times are normalised within the respondent and turned into conviction weights; the implicit
score of a goal is the conviction-weighted mean of its answers (the IAT D-score is deliberately **not** implemented:
it may not be used commercially without permission).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from pejling.core.insights.statistics.minimum_n import Estimate, too_few
from pejling.core.insights.statistics.results import FloatArray, Result

ANTICIPATION_MS = 300.0
"""Taps faster than this are anticipations (read too fast to be real) and are dropped."""

SLOW_MS = 5000.0
"""Taps slower than this are kept but flagged as deliberate (System-2) answers."""

CAP_MS = 10000.0
"""Reaction times are capped at this value before normalisation."""

BOT_ANTICIPATION_SHARE = 0.5
"""A respondent with more than this share of anticipations (< 300 ms) is a likely bot: most of their taps. One
anticipation drops that tap's timing, not the respondent (at 2 % anticipations per tap, "more than 10 %" flagged 15 %
of honest responses; tests/insights/simulations/test_anticipations.py)."""

POPULATION_SD_LN_RT = 0.35
"""The population's within-respondent spread (sd) of ln RT that a respondent's own spread is shrunk toward.

A fixed constant taken from the demo model, not estimated from the rollups: the demo generator
(``core/surveys/demo.py``) draws a scored tap's ln RT with within-respondent noise sd 0.3 plus an answer-extremity
term (0.18 per scale step from the midpoint), about 0.32-0.35 in all, and the simulation model of the tests uses
sdlog 0.35. A respondent's spread is estimated from only 1-9 taps, so a rough constant is enough to anchor it."""

PRIOR_TAPS = 3.0
"""k0: how many taps' worth of weight the population spread gets when a respondent's spread is shrunk."""


@dataclass(frozen=True)
class ReactionTimeWeights(Result):
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
    population_sd: float = POPULATION_SD_LN_RT,
    prior_taps: float = PRIOR_TAPS,
) -> ReactionTimeWeights:
    """Normalise one respondent's reaction times (ms) and turn them into conviction weights.

    Steps (Mayerl 2005/2013, within-respondent):

    1. taps < ``anticipation_ms`` are anticipations and dropped (weight ``None``); taps > ``slow_ms`` are kept but
       flagged ``slow``; every RT is capped at ``cap_ms``;
    2. ``z = (ln RT - centre) / scale``. The centre is the mean ln RT of the respondent's valid taps; with
       ``baseline_rts_ms`` (warm-up/practice taps, not scored) it is the mean ln RT of the valid warm-up taps (if no
       warm-up tap is valid the respondent's own mean is used). The scale is the respondent's spread *shrunk toward
       the population's*: ``scale² = (k·sd_i² + k0·sd_pop²) / (k + k0)`` with ``sd_i`` the sample sd (ddof=1) of
       ln RT over the k valid warm-up and scored taps together, ``k0 = prior_taps`` (3) and ``sd_pop =
       population_sd`` (:data:`POPULATION_SD_LN_RT`). With k = 1 the scale is ``sd_pop``. So one scored tap beside one
       warm-up no longer gives z = ±1.41 (two taps ±0.71) whatever their difference, and a respondent whose taps are
       all equally fast
       gets a small but non-zero scale (z = 0, weight 0.5, unless a warm-up centre differs), never full weight;
    3. ``w = clamp(0.5 - 0.25*z, 0.1, 1.0)``.

    Degenerate cases, handled explicitly and reported in ``degenerate``:

    * ``"no_valid_taps"``: every tap is an anticipation: all weights ``None`` (the respondent gives no implicit score);
    * ``"single_valid_tap"``: one valid tap (warm-up included) cannot estimate a spread: the population's is used
      (without a warm-up the tap is its own centre: z = 0, weight 0.5);
    * ``"zero_sd"``: all valid ln RTs are identical (e.g. coarse device timer): the shrunk scale
      ``sd_pop·sqrt(k0/(k+k0))``.

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
        k = pooled.size
        own_var = 0.0
        if k < 2:
            degenerate = "single_valid_tap"
        else:
            own_sd = float(pooled.std(ddof=1))
            if own_sd <= 1e-12 * max(1.0, abs(centre)):
                degenerate = "zero_sd"
            else:
                own_var = own_sd * own_sd
        if k < 2:
            scale = float(population_sd)
        else:
            scale = math.sqrt((k * own_var + prior_taps * population_sd * population_sd) / (k + prior_taps))
        if scale > 0:
            z[valid] = (ln_valid - centre) / scale
        else:  # population_sd = 0 and no own spread: nothing to normalise by
            z[valid] = 0.0
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


def pooled_conviction(
    n: int, sum_c: float, sum_cc: float, sum_sc: float, sum_s: float, *, confidence: float = 0.95, min_n: int = 2
) -> Estimate:
    """A scope's conviction ``R = Σ s_i·c_i / Σ s_i`` pooled across respondents, with a conservative t interval.

    From rollup sums over the n respondents with a conviction: ``sum_c = Σ c_i``, ``sum_cc = Σ c_i²`` (c_i the
    respondent's conviction on [-1, 1]), ``sum_sc = Σ s_i·c_i``, ``sum_s = Σ s_i`` (s_i the respondent's strength, the
    mean conviction weight of the goal's timed taps, in [0.1, 1]). Fast (strong) answers count more, so the
    reaction times move R away from the plain mean of the answers.

    Interval: the ratio estimator's linearised variance ``n/(n-1) · Σ s_i²(c_i - R)² / (Σ s_i)²``, with ``s_i² ≤ 1``
    replacing the unknown ``Σ s_i²(c_i - R)²`` by ``Σ (c_i - R)²`` (the rollups keep no Σ s²): the interval is
    conservative (wider than needed by about 1/mean s), and clipped to [-1, 1].
    """
    guard = too_few(n, max(min_n, 2))
    if guard is not None:
        return guard
    if not sum_s > 0:
        return Estimate(None, None, None, n, False, "no timed answers")
    r = sum_sc / sum_s
    spread = max(sum_cc - 2.0 * r * sum_c + r * r * n, 0.0)
    half = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1)) * math.sqrt(n / (n - 1) * spread) / sum_s
    return Estimate(r, max(r - half, -1.0), min(r + half, 1.0), n)


def scale_answer(answers: npt.ArrayLike, low: float, high: float) -> FloatArray:
    """Map answers on ``low..high`` linearly onto [-1, 1] (e.g. 1..5 -> -1, -0.5, 0, 0.5, 1; 0/1 -> -1/1)."""
    if not high > low:
        raise ValueError("high must be greater than low")
    a = np.asarray(answers, dtype=float)
    if a.size and (np.nanmin(a) < low or np.nanmax(a) > high):
        raise ValueError(f"answers must lie in {low}..{high}")
    return 2.0 * (a - low) / (high - low) - 1.0


@dataclass(frozen=True)
class GoalScore(Result):
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
class RespondentScore(Result):
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

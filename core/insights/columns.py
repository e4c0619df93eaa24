"""The summed columns of the daily rollup and what one response adds to them.

Every column of ``insights_daily`` after the key is a plain sum, so rollups of days, zones, channels and stores add
up (SQL ``SUM``), and a response's contribution is a vector over :data:`SUM_COLUMNS`:

* ``n`` responses counted in insights, ``n_flagged`` responses flagged by the quality checks (only counted);
* ``o0`` .. ``o10``: the outcome histogram;
* per goal ``g``: ``g_n``, ``g_s``, ``g_ss`` (responses with an explicit score, its sum and sum of squares, 1..5),
  ``g_cn``, ``g_cs``, ``g_css`` (the same for the respondent's conviction c on [-1, 1]), ``g_ws``, ``g_w``
  (Σ s·c and Σ s over the respondents, s the respondent's strength = mean conviction weight of the goal's timed taps,
  :class:`~pejling.core.goals.scores.GoalResult`): the conviction pooled across respondents is ``g_ws / g_w`` and
  the felt strength ``g_w / g_cn``;
* ``x_n``, ``x_s{k}``, ``x_{k}_{l}`` (k <= l): count, sums and cross products of z = (goal scores..., outcome) over
  the responses of the row; every response of a row has the same goal mask, so the moments are complete-case for
  the goals of that mask (columns of goals outside the mask stay 0);
* the strength-moderation moments (:mod:`pejling.core.insights.strength_moderation`): per goal k the interaction
  m_k = (x_k − 3)·(s_k − 0.5) of the goal score x_k and the respondent's strength s_k (:data:`ANSWER_CENTRE`,
  :data:`STRENGTH_CENTRE`: a neutral answer carries no direction, 0.5 is the respondent's usual speed). A goal
  answered without a timed tap (s = 0: the no-JavaScript form, or only anticipations) has m_k = 0, "no strength
  information" (as if answered at the usual speed), never "slow". ``m_n`` counts the responses whose moderation
  sums are recorded (x_n on every row written since migration 0003: a row with ``m_n < x_n`` predates it and the
  moderation is withheld until the rollups are recomputed); ``m_s{k}`` = Σ m_k; ``m_{k}_x{l}`` = Σ m_k·z_l for
  z = (goal scores..., outcome) as above; ``m_{k}_{l}`` (k <= l) = Σ m_k·m_l. That is 92 columns: every cross product
  the OLS of the outcome on (x, m) needs, and nothing else (no strength main effects, no Σ s).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import numpy.typing as npt

from pejling.core.goals import GOALS
from pejling.core.goals.scores import GoalResult, TapLike, goal_mask, score_taps

OUTCOME_POINTS = 11
ANSWER_CENTRE = 3.0
"""The goal score at which answer strength carries no direction (the neutral middle of 1..5)."""
STRENGTH_CENTRE = 0.5
"""The strength of an answer given at the respondent's usual speed (weight at z = 0), and of an untimed answer."""
GOAL_PARTS = ("n", "s", "ss", "cn", "cs", "css", "ws", "w")
Q = len(GOALS) + 1
"""Variables of the driver moments: the goals and the outcome (last)."""

SUM_COLUMNS: tuple[str, ...] = (
    "n",
    "n_flagged",
    *(f"o{k}" for k in range(OUTCOME_POINTS)),
    *(f"{g}_{part}" for g in GOALS for part in GOAL_PARTS),
    "x_n",
    *(f"x_s{k}" for k in range(Q)),
    *(f"x_{k}_{m}" for k in range(Q) for m in range(k, Q)),
    "m_n",
    *(f"m_s{k}" for k in range(len(GOALS))),
    *(f"m_{k}_x{m}" for k in range(len(GOALS)) for m in range(Q)),
    *(f"m_{k}_{m}" for k in range(len(GOALS)) for m in range(k, len(GOALS))),
)
INDEX: Mapping[str, int] = {name: i for i, name in enumerate(SUM_COLUMNS)}
INTEGER_COLUMNS = frozenset(
    ["n", "n_flagged", "x_n", *(f"o{k}" for k in range(OUTCOME_POINTS)), *(f"{g}_n" for g in GOALS),
     *(f"{g}_cn" for g in GOALS), "m_n"]
)

STORE_COLUMNS: tuple[str, ...] = (
    "n", "n_flagged", *(f"o{k}" for k in range(OUTCOME_POINTS)), *(f"{g}_{p}" for g in GOALS for p in ("n", "s", "ss"))
)
"""The columns of the chain view ``insights_store_daily`` (per store and day)."""
STORE_INDEX = [INDEX[c] for c in STORE_COLUMNS]

HISTOGRAM_COLUMNS: tuple[str, ...] = tuple(f"c{k}" for k in range(OUTCOME_POINTS))

FloatArray = npt.NDArray[np.float64]


def contribution(
    taps: Iterable[TapLike], outcome: int | None, *, flagged: bool
) -> tuple[int, FloatArray, dict[str, GoalResult]]:
    """What one response adds to its rollup row: (goal mask, vector over :data:`SUM_COLUMNS`, goal results).

    A flagged response (likely bot, straight-liner, impossible timing) only adds to ``n_flagged``.
    """
    goals = score_taps(taps)
    mask = goal_mask(goals, outcome is not None)
    vec = np.zeros(len(SUM_COLUMNS))
    if flagged:
        vec[INDEX["n_flagged"]] = 1
        return mask, vec, goals
    vec[INDEX["n"]] = 1
    if outcome is not None:
        vec[INDEX[f"o{int(outcome)}"]] = 1
    for goal, r in goals.items():
        vec[INDEX[f"{goal}_n"]] += 1
        vec[INDEX[f"{goal}_s"]] += r.explicit
        vec[INDEX[f"{goal}_ss"]] += r.explicit * r.explicit
        if r.conviction is not None:
            vec[INDEX[f"{goal}_cn"]] += 1
            vec[INDEX[f"{goal}_cs"]] += r.conviction
            vec[INDEX[f"{goal}_css"]] += r.conviction * r.conviction
        vec[INDEX[f"{goal}_ws"]] += r.weighted_sum
        vec[INDEX[f"{goal}_w"]] += r.weight_sum
    z = np.zeros(Q)
    present = np.zeros(Q, dtype=bool)
    for k, goal in enumerate(GOALS):
        if goal in goals:
            z[k] = goals[goal].explicit
            present[k] = True
    if outcome is not None:
        z[Q - 1] = float(outcome)
        present[Q - 1] = True
    vec[INDEX["x_n"]] = 1
    for k in range(Q):
        if not present[k]:
            continue
        vec[INDEX[f"x_s{k}"]] = z[k]
        for m in range(k, Q):
            if present[m]:
                vec[INDEX[f"x_{k}_{m}"]] = z[k] * z[m]
    vec[INDEX["m_n"]] = 1
    mod = np.zeros(len(GOALS))
    for k, goal in enumerate(GOALS):
        timed = goals.get(goal)
        if timed is not None and timed.weight_sum > 0:
            mod[k] = (timed.explicit - ANSWER_CENTRE) * (timed.weight_sum - STRENGTH_CENTRE)
    for k in range(len(GOALS)):
        if mod[k] == 0.0:
            continue
        vec[INDEX[f"m_s{k}"]] = mod[k]
        for m in range(Q):
            vec[INDEX[f"m_{k}_x{m}"]] = mod[k] * z[m]
        for m in range(k, len(GOALS)):
            vec[INDEX[f"m_{k}_{m}"]] = mod[k] * mod[m]
    return mask, vec, goals


def moments(sums: Mapping[str, float]) -> tuple[int, FloatArray, FloatArray]:
    """(n, Σz, Σzz') of the driver moments from summed columns (Σzz' symmetric, Q x Q)."""
    n = int(sums.get("x_n", 0) or 0)
    s = np.array([float(sums.get(f"x_s{k}", 0) or 0) for k in range(Q)])
    cross = np.zeros((Q, Q))
    for k in range(Q):
        for m in range(k, Q):
            cross[k, m] = cross[m, k] = float(sums.get(f"x_{k}_{m}", 0) or 0)
    return n, s, cross


def moderation_moments(sums: Mapping[str, float]) -> tuple[int, FloatArray, FloatArray, FloatArray]:
    """(m_n, Σm, Σm·z', Σmm') of the strength interactions m (one per goal) from summed columns.

    Σm·z' is goals x Q (z = goal scores and outcome), Σmm' symmetric goals x goals.
    """
    p = len(GOALS)
    n = int(sums.get("m_n", 0) or 0)
    s = np.array([float(sums.get(f"m_s{k}", 0) or 0) for k in range(p)])
    with_z = np.array([[float(sums.get(f"m_{k}_x{m}", 0) or 0) for m in range(Q)] for k in range(p)])
    cross = np.zeros((p, p))
    for k in range(p):
        for m in range(k, p):
            cross[k, m] = cross[m, k] = float(sums.get(f"m_{k}_{m}", 0) or 0)
    return n, s, with_z, cross

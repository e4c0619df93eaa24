"""Does answer speed add anything? The key-driver model with strength moderation, from rollups alone.

Beside the plain driver model y = a + Σ β_g·x_g (x_g the goal score, y the outcome) the moderated model adds per goal
the interaction m_g = (x_g − 3)·(s_g − 0.5) with the respondent's strength s_g (mean conviction weight of the goal's
timed taps, 0.1..1, 0.5 = their usual speed), i.e. y = a + Σ (β_g' + γ_g·s_g)·x_g − 3·Σ γ_g·s_g: a goal's slope may
grow with how fast it was answered (attitude strength moderates the attitude–behaviour link; Fazio & Williams 1986).
A goal answered without a timed tap has m_g = 0 (no strength information). Both models are fitted on the same
responses (the driver model's goal set and rows, :mod:`pejling.core.insights.key_drivers`), from the rollup sums of
:mod:`pejling.core.insights.columns`; the nested test and its interval are in
:mod:`pejling.core.insights.statistics.moderation`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pejling.core.insights.columns import Q, moderation_moments
from pejling.core.insights.columns import moments as column_moments
from pejling.core.insights.request import Request
from pejling.core.insights.rollup_sums import Row, add_up
from pejling.core.insights.sections import StrengthModeration
from pejling.core.insights.statistics.minimum_n import MIN_N_DRIVERS
from pejling.core.insights.statistics.moderation import nested_gain
from pejling.core.insights.statistics.results import FloatArray
from pejling.core.surveys.bank import GOALS

FAST_PREDICTS_BETTER = "Answers given fast predict the outcome better here"
SLOW_PREDICTS_BETTER = "Answer speed adds to the model here, but answers given slowly predict the outcome better"
NO_EVIDENCE = "No evidence that answer speed adds anything in this scope."
NOT_RECOMPUTED = "moderation not available until the rollups are recomputed"


def moderated_moments(
    by_mask: Sequence[Row], mask: int, goals: Sequence[str]
) -> tuple[int, int, FloatArray, FloatArray]:
    """(n, n with moderation sums, Σv, Σvv') of v = (goal scores, strength interactions, outcome) of ``goals``.

    Summed over every row whose mask includes ``mask`` (the driver model's responses).
    """
    total = add_up([r for r in by_mask if int(r["mask"]) & mask == mask])
    n, z_sums, z_cross = column_moments(total)
    n_m, m_sums, m_with_z, m_cross = moderation_moments(total)
    idx = [GOALS.index(g) for g in goals]
    p = len(idx)
    y = Q - 1
    sums = np.concatenate([z_sums[idx], m_sums[idx], [z_sums[y]]])
    cross = np.zeros((2 * p + 1, 2 * p + 1))
    cross[:p, :p] = z_cross[np.ix_(idx, idx)]
    cross[p:2 * p, :p] = m_with_z[np.ix_(idx, idx)]
    cross[:p, p:2 * p] = cross[p:2 * p, :p].T
    cross[p:2 * p, p:2 * p] = m_cross[np.ix_(idx, idx)]
    cross[:p, -1] = cross[-1, :p] = z_cross[idx, y]
    cross[p:2 * p, -1] = cross[-1, p:2 * p] = m_with_z[idx, y]
    cross[-1, -1] = z_cross[y, y]
    return n, n_m, sums, cross


def _fast_answers_steeper(n: int, sums: FloatArray, cross: FloatArray, p: int) -> bool:
    """True when the moderated model's goal slopes grow with strength on balance: Σ_g β_g·γ_g·var(x_g) > 0."""
    mean = sums / n
    scatter = cross - n * np.outer(mean, mean)
    coef = np.linalg.pinv(scatter[:-1, :-1], hermitian=True) @ scatter[:-1, -1]
    variance = np.diag(scatter)[:p] / n
    return float(np.sum(coef[:p] * coef[p:2 * p] * variance)) > 0.0


def strength_moderation(
    req: Request, by_mask: Sequence[Row], mask: int, goals: Sequence[str], *, min_n: int = MIN_N_DRIVERS
) -> StrengthModeration:
    """The gain in R² of the strength-moderated driver model over the plain one, with its interval and verdict."""
    n, n_m, sums, cross = moderated_moments(by_mask, mask, goals)
    if n_m < n:
        note = f"{NOT_RECOMPUTED} ({n - n_m} of {n} responses predate the strength sums)"
        return StrengthModeration(None, None, None, None, None, None, n, False, None, note)
    test = nested_gain(n, sums, cross, len(goals), confidence=req.confidence, min_n=min_n)
    if not test.sufficient or test.gain is None or test.low is None:
        return StrengthModeration(None, None, None, None, test.r2_plain, test.r2_full, n, False, None, test.note)
    if test.low > 0.0:
        lead = FAST_PREDICTS_BETTER if _fast_answers_steeper(n, sums, cross, len(goals)) else SLOW_PREDICTS_BETTER
        verdict = (f"{lead}: with answer speed the model explains {100 * test.gain:.1f} percentage points more of "
                   f"the outcome ({100 * test.low:.1f} to {100 * (test.high or 0.0):.1f}).")
    else:
        verdict = NO_EVIDENCE
    return StrengthModeration(test.gain, test.low, test.high, test.p_value, test.r2_plain, test.r2_full, n, True,
                              verdict)

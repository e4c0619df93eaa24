"""Reaction time is tested as a signal, not assumed: the strength-moderated driver model (issue 10, point 2).

Shoppers answer the default survey (one warm-up, one statement per goal) with reaction times from a planted model:
each shopper has their own speed (ln RT sd 0.3 between shoppers) and per goal an accessibility u ~ N(0, 1) that
makes the tap faster (ln RT moves by −0.3·u, tap noise sd 0.15); 4 % answer without JavaScript (no reaction times:
no strength information). The outcome is 6.5 + Σ β_g·(1 + κ·u_g)·(x_g − 3) + N(0, 1), rounded to 0..10: with κ > 0
a goal's answer drives the outcome more when it came fast (planted moderation); with κ = 0 the reaction times are
pure noise. Every shopper goes through the rollups' own per-response contribution (``columns.contribution``, real
scoring of the reaction times) into a **pool** of contribution vectors; a simulated scope is ``N`` shoppers drawn
from the pool with replacement, summed into the rollup row that ``strength_moderation`` reads. The population of a
run is the pool itself, so its true gain is exact: the R² gain of the moderated model over the plain one on the
whole pool (its own chance part, about q(1 − R²)/P ≈ 0.0008, included). Fixed seeds.

Tolerances come from the number of runs: a share is checked against its expected rate with a binomial bound
(``scipy.stats.binom``, one-sided 0.001 level), so a test fails by chance in about 1 of 1 000 seeds.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

import numpy as np
import pytest
from scipy import stats

from pejling.core.goals import GOALS
from pejling.core.goals.scores import goal_mask
from pejling.core.insights.columns import INDEX, SUM_COLUMNS, contribution
from pejling.core.insights.request import Request, Scope
from pejling.core.insights.statistics.moderation import nested_gain
from pejling.core.insights.strength_moderation import (
    FAST_PREDICTS_BETTER,
    NO_EVIDENCE,
    NOT_RECOMPUTED,
    moderated_moments,
    strength_moderation,
)

pytestmark = pytest.mark.once

SEED = 20261202
POOL = 5000
N = 400
RUNS = 300
KAPPA = 0.6
"""The planted moderation: a goal's slope is β·(1 + κ·u), u the accessibility that makes its tap fast."""
BETA = {"security": 0.2, "ease": 0.6, "autonomy": 0.1, "recognition": 0.4, "enjoyment": 0.2, "discovery": 0.3,
        "value": 0.4}
NO_JS_SHARE = 0.04
ANSWER_PROFILES = 125
TIMING_PROFILES = 40
ALPHA_TEST = 0.001
"""The one-sided level of every binomial bound below."""
MASK = goal_mask(GOALS, True)
REQUEST = Request(uuid.uuid4(), Scope("chain"), date(2026, 1, 1), date(2026, 1, 31))


@dataclass(frozen=True)
class Tap:
    goal: str
    value: int
    reaction_ms: int | None
    polarity: int = 1
    warmup: bool = False


@dataclass(frozen=True)
class Timing:
    """One shopper's reaction times: None without JavaScript; the warm-up's and each goal's ln RT; accessibility u."""

    warmup: float | None
    goals: tuple[float, ...] | None
    u: tuple[float, ...]


def _timing(rng: np.random.Generator) -> Timing:
    speed = np.log(1200.0) + rng.normal(0.0, 0.3)
    u = tuple(float(v) for v in rng.normal(size=len(GOALS)))
    if rng.random() < NO_JS_SHARE:
        return Timing(None, None, u)
    ln_rts = tuple(float(speed + 0.2 - 0.3 * a + rng.normal(0.0, 0.15)) for a in u)
    return Timing(float(speed - 0.1 + rng.normal(0.0, 0.2)), ln_rts, u)


def _answers(rng: np.random.Generator) -> list[int]:
    return [int(np.clip(round(rng.normal(3.4, 1.1)), 1, 5)) for _ in GOALS]


def _outcome(rng: np.random.Generator, values: list[int], timing: Timing, kappa: float) -> int:
    latent = sum(BETA[g] * (1.0 + kappa * u) * (v - 3.0) for g, v, u in zip(GOALS, values, timing.u, strict=True))
    return int(np.clip(round(6.5 + latent + rng.normal(0.0, 1.0)), 0, 10))


def _taps(values: list[int], timing: Timing) -> list[Tap]:
    def ms(ln_rt: float | None) -> int | None:
        return None if ln_rt is None else int(max(np.exp(ln_rt), 320.0))

    rts = timing.goals or (None,) * len(GOALS)
    return [Tap("warmup", 5, ms(timing.warmup), warmup=True),
            *(Tap(g, v, ms(rt)) for g, v, rt in zip(GOALS, values, rts, strict=True))]


def _shopper(rng: np.random.Generator, kappa: float) -> tuple[list[Tap], int]:
    """One shopper of the planted world: their answers, reaction times and the outcome they drive."""
    timing = _timing(rng)
    values = _answers(rng)
    return _taps(values, timing), _outcome(rng, values, timing, kappa)


@cache
def _pool(kappa: float) -> np.ndarray:
    """POOL shoppers' contribution vectors (rows over SUM_COLUMNS), all with every goal and the outcome.

    κ = 0 (pure noise) is a full factorial: every one of ANSWER_PROFILES answer sets with its outcome crossed with
    every one of TIMING_PROFILES reaction-time sets, so in the pool the strengths are exactly independent of the
    answers and the outcome and the population gain is exactly 0 (a pool of independent draws would carry its own
    chance moderation, about q(1 − R²)/P, and inflate the false-alarm rate it is meant to measure).
    """
    rng = np.random.default_rng(SEED + int(100 * kappa))
    if kappa == 0.0:
        answers = [_answers(rng) for _ in range(ANSWER_PROFILES)]
        outcomes = [_outcome(rng, values, Timing(None, None, (0.0,) * len(GOALS)), 0.0) for values in answers]
        timings = [_timing(rng) for _ in range(TIMING_PROFILES)]
        shoppers = [(_taps(v, t), y) for v, y in zip(answers, outcomes, strict=True) for t in timings]
    else:
        shoppers = [_shopper(rng, kappa) for _ in range(POOL)]
    vecs = np.zeros((len(shoppers), len(SUM_COLUMNS)))
    for i, (taps, outcome) in enumerate(shoppers):
        mask, vecs[i], _ = contribution(taps, outcome, flagged=False)
        assert mask == MASK
    return vecs


def _row(sums: np.ndarray) -> list[dict[str, Any]]:
    """The scope's rollup rows summed per mask, as ``sum_rollups(..., group=("mask",))`` answers them."""
    return [{"mask": MASK, **dict(zip(SUM_COLUMNS, sums.tolist(), strict=True))}]


def _truth(vecs: np.ndarray) -> float:
    """The population gain of the pool: R²(moderated) − R²(plain) of the OLS on every pooled shopper."""
    n, _, sums, cross = moderated_moments(_row(vecs.sum(axis=0)), MASK, GOALS)
    mean = sums / n
    scatter = cross - n * np.outer(mean, mean)
    p = len(GOALS)

    def r2(k: int) -> float:
        sxy = scatter[:k, -1]
        return float(sxy @ np.linalg.solve(scatter[:k, :k], sxy) / scatter[-1, -1])

    return r2(2 * p) - r2(p)


@cache
def _runs(kappa: float) -> tuple[list[Any], float]:
    """RUNS scopes of N shoppers drawn from the pool, their moderation sections, and the pool's true gain."""
    vecs = _pool(kappa)
    rng = np.random.default_rng(SEED + 1)
    counts = rng.multinomial(N, np.full(len(vecs), 1.0 / len(vecs)), size=RUNS)
    totals = counts @ vecs
    return [strength_moderation(REQUEST, _row(t), MASK, GOALS) for t in totals], _truth(vecs)


def _at_most(rate: float) -> int:
    """The largest count of RUNS that is still consistent with ``rate`` (one-sided, level ALPHA_TEST)."""
    return int(stats.binom.ppf(1.0 - ALPHA_TEST, RUNS, rate))


def test_planted_moderation_is_recovered() -> None:
    """Fast answers drive the outcome more: the interval lies above 0 in about the F test's power of the runs."""
    sections, truth = _runs(KAPPA)
    assert truth > 0.02  # the planted moderation adds a real share of the outcome
    assert all(s.sufficient and s.gain is not None and s.low is not None for s in sections)
    found = sum(1 for s in sections if (s.low or 0.0) > 0.0)
    # The power of the partial F test at level 0.025 for the pool's true effect (noncentral F, f² = Δ / (1 − R²)).
    r2_full = float(np.mean([s.r2_moderated or 0.0 for s in sections]))
    df1, df2 = len(GOALS), N - 1 - 2 * len(GOALS)
    lam = truth / (1.0 - r2_full) * (N - 1 - len(GOALS))
    power = float(stats.ncf.sf(stats.f.ppf(0.975, df1, df2), df1, df2, lam))
    assert power > 0.9
    assert RUNS - found <= _at_most(1.0 - power)
    # The verdict says it in words, in the planted direction (fast answers are the better predictors).
    assert all((s.verdict or "").startswith(FAST_PREDICTS_BETTER) for s in sections if (s.low or 0.0) > 0.0)
    # The point gain is near the planted one: the mean over runs within 4 standard errors plus the sample gain's
    # chance part q(1 − R²)/(N − 1 − 2q).
    gains = np.array([s.gain for s in sections], dtype=float)
    chance = len(GOALS) * (1.0 - r2_full) / df2
    assert abs(gains.mean() - truth - chance) <= 4.0 * gains.std(ddof=1) / np.sqrt(RUNS)


def test_pure_noise_reaction_times_report_no_gain() -> None:
    """Reaction times that are pure noise: the interval includes 0 ("no evidence") in at least 95 % of the runs."""
    sections, truth = _runs(0.0)
    assert abs(truth) < 1e-9  # the factorial pool: strengths independent of answers and outcome
    false_alarms = sum(1 for s in sections if (s.low or 0.0) > 0.0)
    # The nominal rate is 2.5 % (the lower bound is above 0 exactly when the F test rejects at 0.025).
    assert false_alarms <= _at_most(0.025)
    assert false_alarms <= 0.05 * RUNS
    assert sum(1 for s in sections if s.verdict == NO_EVIDENCE) == RUNS - false_alarms


def test_the_interval_covers_the_true_gain() -> None:
    """Coverage of the 95 % interval of the population gain, the pool's exact true gain (planted moderation)."""
    sections, truth = _runs(KAPPA)
    misses = sum(1 for s in sections if not (s.low or 0.0) <= truth <= (s.high or 0.0))
    assert misses <= _at_most(0.05)


def test_an_untimed_answer_is_no_strength_information_not_slow() -> None:
    """A goal answered without a reaction time adds m = 0 (as at the usual speed); a slow timed one does not."""
    untimed = [Tap("warmup", 5, None, warmup=True), *(Tap(g, 5, None) for g in GOALS)]
    _, vec, results = contribution(untimed, 9, flagged=False)
    assert all(r.weight_sum == 0.0 for r in results.values())
    assert vec[INDEX["m_n"]] == 1
    assert all(vec[INDEX[f"m_s{k}"]] == 0.0 for k in range(len(GOALS)))
    slow = [Tap("warmup", 5, 900, warmup=True), *(Tap(g, 5, 900 if g != "ease" else 4000) for g in GOALS)]
    _, vec, results = contribution(slow, 9, flagged=False)
    assert results["ease"].weight_sum < 0.5
    assert vec[INDEX[f"m_s{GOALS.index('ease')}"]] == pytest.approx((5 - 3) * (results["ease"].weight_sum - 0.5))


def test_rows_before_the_migration_withhold_the_moderation() -> None:
    """A rollup row written before migration 0003 (m_n < x_n) is reported as not recomputed, never as "no gain"."""
    totals = _pool(KAPPA)[:200].sum(axis=0)
    totals[INDEX["m_n"]] -= 10
    section = strength_moderation(REQUEST, _row(totals), MASK, GOALS)
    assert not section.sufficient and section.gain is None and section.verdict is None
    assert section.note is not None and section.note.startswith(NOT_RECOMPUTED)


def test_too_few_responses_or_no_timing_say_so_without_numbers() -> None:
    small = strength_moderation(REQUEST, _row(_pool(KAPPA)[:30].sum(axis=0)), MASK, GOALS)
    assert not small.sufficient and small.gain is None and small.low is None and "too few responses" in (small.note
                                                                                                     or "")
    rng = np.random.default_rng(5)
    total = np.zeros(len(SUM_COLUMNS))
    for _ in range(120):
        taps, outcome = _shopper(rng, KAPPA)
        _, vec, _ = contribution([Tap(t.goal, t.value, None, warmup=t.warmup) for t in taps], outcome, flagged=False)
        total += vec
    untimed = strength_moderation(REQUEST, _row(total), MASK, GOALS)
    assert not untimed.sufficient and untimed.gain is None and untimed.note is not None
    assert untimed.r2_plain is not None and np.isfinite(untimed.r2_plain)


def test_the_gain_equals_two_least_squares_fits() -> None:
    """The moments path gives the R² of two ordinary least-squares fits on the responses' own (x, m, y)."""
    rng = np.random.default_rng(11)
    x = rng.normal(size=(300, 3))
    m = rng.normal(size=(300, 3))
    y = x @ [0.5, 0.2, 0.1] + 0.3 * m[:, 0] + rng.normal(size=300)
    v = np.column_stack([x, m, y])
    test = nested_gain(300, v.sum(axis=0), v.T @ v, 3)

    def r2(a: np.ndarray) -> float:
        design = np.column_stack([np.ones(300), a])
        resid = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
        return float(1.0 - resid @ resid / ((y - y.mean()) @ (y - y.mean())))

    assert test.r2_plain == pytest.approx(r2(x), abs=1e-10)
    assert test.r2_full == pytest.approx(r2(np.column_stack([x, m])), abs=1e-10)
    assert test.low is not None and test.high is not None and test.low <= test.gain <= test.high  # type: ignore[operator]
    assert test.df1 == 3 and test.df2 == 300 - 1 - 6

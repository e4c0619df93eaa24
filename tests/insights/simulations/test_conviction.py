"""Reaction time carries information: conviction pooled across respondents (issue 10, point 1).

Shoppers answer the default survey (one warm-up, one statement per goal) with reaction times from a planted model:
each shopper has their own speed (log-normal, sd 0.3 between shoppers) and per-tap noise (sd 0.3 of ln RT); for the
goals in ``LEAN`` the answer moves the tap's ln RT by ``-LEAN[g] * a`` (a the answer on [-1, 1]): ease's positive
answers come fast and its negative ones slow, value the other way round; every other goal's RT is pure noise. Each
response goes through the rollups' own contribution (``columns.contribution``) into one summed row, which the real
profile (``profile.goal_profile``) reads. Fixed seed.

Tolerance: under pure noise, pooled - explicit = Σ s(a - ā) / Σ s, whose sd is about sd(s)·sd(a) / (mean(s)·√n)
(s and a independent); the test allows 4 of those, computed from the simulated data (a false alarm about 1 in 16 000
per goal).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import numpy as np
import pytest

from pejling.core.goals import GOALS
from pejling.core.insights.chain import Chain
from pejling.core.insights.columns import INDEX, SUM_COLUMNS, contribution
from pejling.core.insights.profile import goal_profile
from pejling.core.insights.request import Request, Scope
from pejling.core.insights.statistics.reaction_times import (
    POPULATION_SD_LN_RT,
    PRIOR_TAPS,
    conviction_weight,
    normalise_reaction_times,
)

SEED = 20261201
N = 3000
LEAN = {"ease": 0.4, "value": -0.4}
"""The planted lean: ln RT moves by -LEAN[g] * a, so positive answers to ease are fast, to value slow."""
TOLERANCE_SDS = 4.0


@dataclass(frozen=True)
class Tap:
    goal: str
    value: int
    reaction_ms: int | None
    polarity: int = 1
    warmup: bool = False


def _shopper(rng: np.random.Generator, lean: dict[str, float]) -> list[Tap]:
    speed = np.log(1200.0) + rng.normal(0.0, 0.3)
    taps = [Tap("warmup", 5, int(np.exp(speed - 0.1 + rng.normal(0.0, 0.2))), warmup=True)]
    for goal in GOALS:
        value = int(np.clip(round(rng.normal(3.4, 1.1)), 1, 5))
        a = (value - 3) / 2
        ln_rt = speed + 0.2 - lean.get(goal, 0.0) * a + rng.normal(0.0, 0.3)
        taps.append(Tap(goal, value, int(max(np.exp(ln_rt), 300.0))))
    return taps


def _world(lean: dict[str, float]) -> tuple[dict[str, float], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The summed rollup row of N shoppers, and per goal every shopper's answer a and strength s (for the tolerance)."""
    rng = np.random.default_rng(SEED)
    total = np.zeros(len(SUM_COLUMNS))
    answers: dict[str, list[float]] = {g: [] for g in GOALS}
    strengths: dict[str, list[float]] = {g: [] for g in GOALS}
    for _ in range(N):
        _, vec, results = contribution(_shopper(rng, lean), 7, flagged=False)
        total += vec
        for goal, r in results.items():
            answers[goal].append((r.explicit - 3) / 2)
            strengths[goal].append(r.weight_sum)
    row = dict(zip(SUM_COLUMNS, total.tolist(), strict=True))
    return row, {g: np.array(v) for g, v in answers.items()}, {g: np.array(v) for g, v in strengths.items()}


REQUEST = Request(uuid.uuid4(), Scope("chain"), date(2026, 1, 1), date(2026, 1, 31))


def _profile(row: dict[str, float]) -> dict[str, tuple[float, float, float, float, float]]:
    """goal -> (explicit (fulfilment - 3) / 2, conviction, its low, its high, strength) from the real profile."""
    profile = goal_profile(REQUEST, row, Chain({}, {}, {}), [])
    out = {}
    for item in profile.items:
        f, c = item.fulfilment, item.conviction
        assert f.value is not None and c.value is not None and c.low is not None and c.high is not None
        assert item.strength is not None and item.pooled_conviction == c.value
        out[item.goal] = ((f.value - 3) / 2, c.value, c.low, c.high, item.strength)
    return out


def _noise_sd(a: np.ndarray, s: np.ndarray) -> float:
    return float(np.std(s) * np.std(a) / (np.mean(s) * np.sqrt(a.size)))


def test_per_respondent_conviction_is_just_the_answer() -> None:
    """The old headline: with one statement per goal the mean per-respondent conviction is (fulfilment - 3) / 2."""
    row, _, _ = _world(LEAN)
    for goal in GOALS:
        explicit = (row[f"{goal}_s"] / row[f"{goal}_n"] - 3) / 2
        assert row[f"{goal}_cs"] / row[f"{goal}_cn"] == pytest.approx(explicit, abs=1e-12)


def test_pooled_conviction_moves_in_the_planted_direction() -> None:
    row, answers, strengths = _world(LEAN)
    profile = _profile(row)
    for goal in GOALS:
        explicit, conviction, low, high, strength = profile[goal]
        tolerance = TOLERANCE_SDS * _noise_sd(answers[goal], strengths[goal])
        assert low <= conviction <= high and -1 <= low and high <= 1
        assert strength == pytest.approx(row[f"{goal}_w"] / row[f"{goal}_cn"])
        if goal == "ease":  # positive answers fast -> they count more
            assert conviction - explicit > tolerance
        elif goal == "value":  # positive answers slow -> they count less
            assert explicit - conviction > tolerance
        else:
            assert abs(conviction - explicit) <= tolerance
    # strength is how automatic the answers are, on the weights' 0.1..1; goals without a lean are felt alike
    assert all(0.1 <= profile[g][4] <= 1.0 for g in GOALS)
    plain = [profile[g][4] for g in GOALS if g not in LEAN]
    assert max(plain) - min(plain) < 0.02


def test_with_reaction_times_pure_noise_pooled_conviction_is_the_explicit_score() -> None:
    row, answers, strengths = _world({})
    profile = _profile(row)
    for goal in GOALS:
        explicit, conviction, low, high, _ = profile[goal]
        assert abs(conviction - explicit) <= TOLERANCE_SDS * _noise_sd(answers[goal], strengths[goal])
        assert low <= explicit <= high  # the (conservative) interval covers the truth of a noise world


def test_one_tap_and_zero_spread_respondents_get_bounded_z() -> None:
    """A one-tap respondent gets the population spread; two equal taps never give full weight."""
    for diff in (0.05, 0.2, 0.8):  # ln RT of the one scored tap minus the warm-up's
        r = normalise_reaction_times([1000.0 * np.exp(diff)], baseline_rts_ms=[1000.0])
        z = r.z[0]
        assert z is not None
        # before: (ln - centre) / sd of the two taps = ±1.41 whatever the difference; now it follows the difference
        expected = diff / np.sqrt((2 * diff**2 / 2 + PRIOR_TAPS * POPULATION_SD_LN_RT**2) / (2 + PRIOR_TAPS))
        assert z == pytest.approx(expected)
        if diff <= 0.2:
            assert abs(z) < 1.0
    one = normalise_reaction_times([900.0])
    assert one.degenerate == "single_valid_tap" and one.scale_ln_rt == POPULATION_SD_LN_RT and one.weights == (0.5,)
    tiny = normalise_reaction_times([1000.0 * np.exp(0.01)], baseline_rts_ms=[1000.0])
    assert tiny.z[0] is not None and abs(tiny.z[0]) < 0.05
    flat = normalise_reaction_times([800.0, 800.0])
    assert flat.degenerate == "zero_sd" and flat.weights == (0.5, 0.5)  # not full weight
    assert flat.scale_ln_rt == pytest.approx(POPULATION_SD_LN_RT * np.sqrt(PRIOR_TAPS / (2 + PRIOR_TAPS)))
    # a zero-spread respondent a little faster than their warm-up: z is bounded by the shrunk spread
    fast_flat = normalise_reaction_times([700.0, 700.0], baseline_rts_ms=[800.0])
    bound = abs(np.log(700.0 / 800.0)) / (POPULATION_SD_LN_RT * np.sqrt(PRIOR_TAPS / (3 + PRIOR_TAPS)))
    assert all(z is not None and abs(z) <= bound + 1e-12 for z in fast_flat.z)
    assert all(w is not None and w < float(conviction_weight(-bound)) + 1e-12 for w in fast_flat.weights)
    assert all(w is not None and w < 1.0 for w in fast_flat.weights)


def test_columns_hold_what_the_pooled_formula_needs() -> None:
    """``g_ws`` / ``g_w`` summed over respondents are Σ s·c and Σ s, with a on [-1, 1] and s the mean weight."""
    taps = [Tap("warmup", 5, 900, warmup=True), Tap("ease", 5, 500), Tap("ease", 1, 3000), Tap("value", 2, 1500)]
    _, vec, results = contribution(taps, 5, flagged=False)
    rtw = normalise_reaction_times([500.0, 3000.0, 1500.0], baseline_rts_ms=[900.0])
    w = [v for v in rtw.weights if v is not None]
    assert vec[INDEX["ease_w"]] == pytest.approx((w[0] + w[1]) / 2)
    assert vec[INDEX["ease_ws"]] == pytest.approx((w[0] * 1.0 + w[1] * -1.0) / 2)
    assert vec[INDEX["ease_ws"]] / vec[INDEX["ease_w"]] == pytest.approx(results["ease"].conviction)
    assert vec[INDEX["value_ws"]] == pytest.approx(w[2] * -0.5)

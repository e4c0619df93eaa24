"""Tests that prove the numbers of pejling.core.insights.statistics (known answers, coverage, recovery)."""

from __future__ import annotations

import itertools
import json
import math
import time

import numpy as np
import pytest
from scipy import stats as sps

from pejling.core.insights import statistics as st
from pejling.core.insights.statistics.drivers import _shapley_from_corr
from pejling.core.insights.statistics.reaction_times import POPULATION_SD_LN_RT, PRIOR_TAPS

Z95 = 1.959963984540054


# ---------------------------------------------------------------------------------------------------------------------
# NPS
# ---------------------------------------------------------------------------------------------------------------------


def test_nps_known_answer_with_hand_computed_adjusted_wald() -> None:
    r = st.nps_from_counts(50, 30, 20)
    assert r.sufficient and r.n == 100
    assert r.value == pytest.approx(30.0)
    assert r.promoter_share == pytest.approx(0.5) and r.detractor_share == pytest.approx(0.2)
    # by hand: add 3 to n and 0.75 to promoters and detractors
    p, d = 50.75 / 103, 20.75 / 103
    se = 100 * math.sqrt((p + d - (p - d) ** 2) / 103)
    centre = 100 * (p - d)
    assert r.adjusted_value == pytest.approx(centre)
    assert r.se == pytest.approx(se)
    assert r.low == pytest.approx(centre - Z95 * se)
    assert r.high == pytest.approx(centre + Z95 * se)
    # the research note: about +-15 points at n = 100 for p = .5, d = .2
    assert (r.high - r.low) / 2 == pytest.approx(15, abs=0.5)


def test_nps_raw_scores_delegate_to_counts_and_classify_boundaries() -> None:
    scores = [0, 6, 6, 7, 8, 9, 10, 10] * 5
    r = st.nps(scores, min_n=1)
    assert (r.promoters, r.passives, r.detractors) == (15, 10, 15)
    assert r == st.nps_from_counts(15, 10, 15, min_n=1)
    assert r.value == pytest.approx(0.0)
    with pytest.raises(ValueError):
        st.nps([11], min_n=1)
    with pytest.raises(ValueError):
        st.nps([8.5], min_n=1)
    with pytest.raises(ValueError):
        st.nps_from_counts(-1, 2, 3)


def test_nps_interval_is_clipped_to_scale() -> None:
    r = st.nps_from_counts(40, 0, 0)
    assert r.value == 100.0 and r.high is not None and r.high <= 100.0 and r.low is not None and r.low < 100.0


def test_nps_adjusted_wald_coverage_is_about_95_percent() -> None:
    rng = np.random.default_rng(20240601)
    true_p, true_d = 0.5, 0.2
    true_nps = 100 * (true_p - true_d)
    for n in (40, 150):
        draws = rng.multinomial(n, [true_p, 1 - true_p - true_d, true_d], size=4000)
        covered = 0
        for prom, pas, det in draws:
            r = st.nps_from_counts(int(prom), int(pas), int(det), min_n=1)
            assert r.low is not None and r.high is not None
            covered += r.low <= true_nps <= r.high
        coverage = covered / len(draws)
        assert 0.92 <= coverage <= 0.98, (n, coverage)


def test_nps_difference_z_matches_formula() -> None:
    a = st.nps_from_counts(60, 25, 15)
    b = st.nps_from_counts(40, 30, 30)
    c = st.nps_difference_z(a, b)
    assert a.se is not None and b.se is not None and a.adjusted_value is not None and b.adjusted_value is not None
    se = math.sqrt(a.se**2 + b.se**2)
    z = (a.adjusted_value - b.adjusted_value) / se
    assert c.difference == pytest.approx(45.0 - 10.0)
    assert c.se == pytest.approx(se) and c.z == pytest.approx(z)
    assert c.p_value == pytest.approx(2 * sps.norm.sf(abs(z)))
    assert c.low is not None and c.low > 0  # a clear difference
    same = st.nps_difference_z(a, a)
    assert same.z == pytest.approx(0.0) and same.p_value == pytest.approx(1.0)
    small = st.nps_difference_z(a, st.nps_from_counts(3, 1, 1))
    assert not small.sufficient and small.z is None


def test_min_n_guard_gives_too_few_responses_not_a_number() -> None:
    r = st.nps_from_counts(10, 5, 4)  # n = 19 < 30
    assert not r.sufficient and r.value is None and r.low is None and r.n == 19
    assert r.note is not None and st.TOO_FEW_RESPONSES in r.note
    assert r.promoters == 10  # counts are still facts
    assert st.nps_from_counts(10, 5, 4, min_n=19).sufficient
    g = st.too_few(4, 5)
    assert g is not None and not g.sufficient and g.value is None
    assert st.too_few(5, 5) is None
    assert not st.csat([1, 1, 1, 1, 1]).sufficient
    assert not st.ces([1, 1, 1, 1, 1, 1, 1]).sufficient
    assert not st.shapley_r2(np.ones((10, 2)), np.arange(10.0)).sufficient
    with pytest.raises(ValueError):
        st.too_few(3, 0)


# ---------------------------------------------------------------------------------------------------------------------
# CSAT / CES
# ---------------------------------------------------------------------------------------------------------------------


def test_csat_known_answer_with_wilson_interval() -> None:
    r = st.csat([5, 5, 10, 40, 40])
    assert r.n == 100 and r.value == pytest.approx(80.0)
    n, p, z = 100, 0.8, Z95
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    assert r.low == pytest.approx(100 * (centre - half))
    assert r.high == pytest.approx(100 * (centre + half))
    assert st.csat(st.scale_histogram([4, 5, 1, 2, 3] * 10, 1, 5)).value == pytest.approx(40.0)
    with pytest.raises(ValueError):
        st.csat([1, 2, 3])


def test_ces_known_answer_from_histogram() -> None:
    hist = [1, 2, 3, 4, 10, 20, 10]
    raw = np.repeat(np.arange(1, 8), hist)
    r = st.ces(hist)
    assert r.n == 50
    assert r.mean == pytest.approx(raw.mean()) and r.mean == pytest.approx(5.4)
    assert r.sd == pytest.approx(raw.std(ddof=1))
    half = sps.t.ppf(0.975, 49) * raw.std(ddof=1) / math.sqrt(50)
    assert r.low == pytest.approx(5.4 - half) and r.high == pytest.approx(5.4 + half)
    assert r.pct_easy == pytest.approx(80.0)
    lo, hi = st.wilson_interval(40, 50)
    assert r.pct_easy_low == pytest.approx(100 * lo) and r.pct_easy_high == pytest.approx(100 * hi)
    assert st.scale_histogram(raw, 1, 7) == tuple(hist)


def test_mean_interval_from_sums_matches_raw_and_handles_zero_spread() -> None:
    x = np.array([3.0, 5.0, 4.0, 6.0, 2.0])
    r = st.mean_interval(5, float(x.sum()), float((x**2).sum()))
    lo, hi = sps.t.interval(0.95, 4, loc=x.mean(), scale=sps.sem(x))
    assert r.low == pytest.approx(lo) and r.high == pytest.approx(hi)
    flat = st.ces([0, 0, 0, 0, 40, 0, 0])
    assert flat.mean == flat.low == flat.high == pytest.approx(5.0)


# ---------------------------------------------------------------------------------------------------------------------
# Reaction times and implicit scores
# ---------------------------------------------------------------------------------------------------------------------


def test_rt_anticipations_dropped_cap_applied_slow_flagged() -> None:
    rts = [250.0, 500.0, 800.0, 1500.0, 6000.0, 15000.0]
    r = st.normalise_reaction_times(rts)
    assert r.valid == (False, True, True, True, True, True)
    assert r.weights[0] is None and r.z[0] is None
    assert r.n_anticipations == 1 and r.n_valid == 5
    assert r.slow == (False, False, False, False, True, True)
    assert r.capped == (False, False, False, False, False, True)
    ln = np.log([500.0, 800.0, 1500.0, 6000.0, 10000.0])  # 15 s capped at 10 s
    k, k0, sd_pop = 5, PRIOR_TAPS, POPULATION_SD_LN_RT
    z = (ln - ln.mean()) / np.sqrt((k * ln.var(ddof=1) + k0 * sd_pop**2) / (k + k0))  # spread shrunk toward sd_pop
    assert np.allclose([v for v in r.z if v is not None], z)
    assert np.allclose([v for v in r.weights if v is not None], np.clip(0.5 - 0.25 * z, 0.1, 1.0))
    # capping: 15 s and 10 s are the same tap after the cap
    r2 = st.normalise_reaction_times([250.0, 500.0, 800.0, 1500.0, 6000.0, 10000.0])
    assert r2.weights == r.weights
    assert not r.likely_bot  # 1 of 6 taps is an anticipation: that tap is dropped, not the respondent
    assert st.normalise_reaction_times([250.0, 280.0, 290.0, 800.0]).likely_bot  # most taps are anticipations


def test_rt_faster_than_own_mean_weighs_more_and_is_relative_to_the_respondent() -> None:
    fast_person = st.normalise_reaction_times([400.0, 500.0, 600.0, 700.0])
    slow_person = st.normalise_reaction_times([1600.0, 2000.0, 2400.0, 2800.0])
    w = [v for v in fast_person.weights if v is not None]
    assert w == sorted(w, reverse=True) and w[0] > 0.5 > w[-1]
    # same relative speed pattern -> same weights, whatever the absolute speed (normalised within respondent)
    assert np.allclose(fast_person.weights, slow_person.weights)
    assert all(0.1 <= v <= 1.0 for v in w)
    assert not fast_person.likely_bot and fast_person.degenerate is None


def test_rt_baseline_sets_the_centre() -> None:
    rts = [600.0, 900.0, 1200.0]
    own = st.normalise_reaction_times(rts)
    slow_warmup = st.normalise_reaction_times(rts, baseline_rts_ms=[2000.0, 2400.0])
    assert slow_warmup.centre_ln_rt == pytest.approx(np.log([2000.0, 2400.0]).mean())
    pooled = np.log([2000.0, 2400.0, 600.0, 900.0, 1200.0])
    k0, sd_pop = PRIOR_TAPS, POPULATION_SD_LN_RT
    assert slow_warmup.scale_ln_rt == pytest.approx(np.sqrt((5 * pooled.var(ddof=1) + k0 * sd_pop**2) / (5 + k0)))
    # every scored tap is faster than the warm-up, so every weight is above neutral
    assert all(v is not None and v > 0.5 for v in slow_warmup.weights)
    assert own.weights != slow_warmup.weights
    # an anticipation-only warm-up falls back to the respondent's own mean
    assert st.normalise_reaction_times(rts, baseline_rts_ms=[100.0]).centre_ln_rt == pytest.approx(own.centre_ln_rt)


def test_rt_degenerate_cases() -> None:
    single = st.normalise_reaction_times([100.0, 900.0, 50.0])
    assert single.degenerate == "single_valid_tap" and single.weights == (None, 0.5, None) and single.likely_bot
    flat = st.normalise_reaction_times([800.0, 800.0, 800.0])
    assert flat.degenerate == "zero_sd" and flat.weights == (0.5, 0.5, 0.5)
    k0, sd_pop = PRIOR_TAPS, POPULATION_SD_LN_RT
    assert flat.scale_ln_rt == pytest.approx(sd_pop * np.sqrt(k0 / (3 + k0)))  # shrunk, never 0
    none = st.normalise_reaction_times([100.0, 200.0])
    assert none.degenerate == "no_valid_taps" and none.weights == (None, None) and none.centre_ln_rt is None
    empty = st.normalise_reaction_times([])
    assert empty.n_taps == 0 and empty.degenerate == "no_valid_taps" and not empty.likely_bot
    with pytest.raises(ValueError):
        st.normalise_reaction_times([float("nan"), 500.0])


def test_implicit_goal_score_is_weighted_mean_of_scaled_answers() -> None:
    goals = ["ease", "ease", "security", "security", "ease"]
    answers = [5, 1, 4, 2, 3]
    weights = [1.0, 0.25, 0.5, None, 0.8]
    out = st.implicit_goal_scores(goals, answers, weights, answer_low=1, answer_high=5)
    # scaled answers: 5 -> 1, 1 -> -1, 4 -> 0.5, 3 -> 0
    assert out["ease"].implicit == pytest.approx((1.0 * 1 + 0.25 * -1 + 0.8 * 0) / 2.05)
    assert out["ease"].explicit == pytest.approx(0.0) and out["ease"].n_taps == 3
    assert out["security"].implicit == pytest.approx(0.5) and out["security"].n_taps == 1
    assert np.allclose(st.scale_answer([0, 1], 0, 1), [-1, 1])
    assert list(out) == ["ease", "security"]


def test_score_respondent_flags_straight_liner_and_scores() -> None:
    bot = st.score_respondent(["a", "b", "c", "d"], [1, 1, 1, 1], [320, 350, 340, 330], answer_low=0, answer_high=1)
    assert bot.straight_liner and not bot.likely_bot
    real = st.score_respondent(["a", "a", "b", "b"], [1, 0, 1, 1], [500, 1500, 700, 2500], answer_low=0, answer_high=1)
    assert not real.straight_liner
    a = real.goals["a"]
    assert a.implicit is not None and a.implicit > 0  # the fast "agree" outweighs the slow "disagree"
    assert a.explicit == pytest.approx(0.0)


# ---------------------------------------------------------------------------------------------------------------------
# Key drivers
# ---------------------------------------------------------------------------------------------------------------------


def _simulate_drivers(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    corr = np.array(
        [
            [1.0, 0.5, 0.4, 0.3],
            [0.5, 1.0, 0.4, 0.3],
            [0.4, 0.4, 1.0, 0.3],
            [0.3, 0.3, 0.3, 1.0],
        ]
    )
    x = rng.multivariate_normal(np.zeros(4), corr, size=n)
    beta = np.array([0.8, 0.4, 0.15, 0.0])
    y = x @ beta + rng.normal(scale=0.8, size=n)
    return x, y, beta


def _r2_lstsq(x: np.ndarray, y: np.ndarray) -> float:
    design = np.column_stack([np.ones(len(y)), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    return float(1 - resid @ resid / ((y - y.mean()) @ (y - y.mean())))


def _shapley_brute_force(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    p = x.shape[1]
    r2: dict[tuple[int, ...], float] = {(): 0.0}
    for k in range(1, p + 1):
        for s in itertools.combinations(range(p), k):
            r2[s] = _r2_lstsq(x[:, list(s)], y)
    sv = np.zeros(p)
    for j in range(p):
        others = [i for i in range(p) if i != j]
        for k in range(p):
            for s in itertools.combinations(others, k):
                w = math.factorial(k) * math.factorial(p - k - 1) / math.factorial(p)
                sv[j] += w * (r2[tuple(sorted(s + (j,)))] - r2[s])
    return sv


def test_shapley_matches_brute_force_lstsq_reference() -> None:
    x, y, _ = _simulate_drivers(300, 7)
    r = st.shapley_r2(x, y)
    assert r.importance is not None and r.r2 is not None
    assert np.allclose(r.importance, _shapley_brute_force(x, y), atol=1e-10)
    assert np.isclose(sum(r.importance), r.r2) and np.isclose(r.r2, _r2_lstsq(x, y))
    assert np.isclose(sum(r.share or ()), 1.0)


def test_single_driver_importance_is_its_r2() -> None:
    x, y, _ = _simulate_drivers(200, 3)
    r2 = sps.pearsonr(x[:, 0], y)[0] ** 2
    assert st.shapley_r2(x[:, :1], y).importance == pytest.approx((r2,))
    assert st.relative_weights(x[:, :1], y).importance == pytest.approx((r2,))


def test_drivers_recover_ranking_and_sum_to_r2() -> None:
    x, y, _beta = _simulate_drivers(2000, 11)
    full_r2 = _r2_lstsq(x, y)
    for fn in (st.shapley_r2, st.relative_weights):
        r = fn(x, y, names=["ease", "security", "recognition", "discovery"])
        assert r.sufficient and r.importance is not None and r.r2 is not None
        assert np.isclose(sum(r.importance), full_r2), fn
        assert np.isclose(r.r2, full_r2)
        order = [r.names[i] for i in np.argsort(r.importance)[::-1]]
        assert order == ["ease", "security", "recognition", "discovery"], (fn, r.importance)
        assert all(v >= -1e-12 for v in r.importance)
    # the two methods agree closely (known property)
    a, b = st.shapley_r2(x, y).importance, st.relative_weights(x, y).importance
    assert np.allclose(a, b, atol=0.02)


def test_drivers_twelve_predictors_and_edge_cases() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(400, 12))
    x[:, 1] += x[:, 0]
    y = x @ np.linspace(1.0, 0.0, 12) + rng.normal(size=400)
    t0 = time.perf_counter()
    r = st.shapley_r2(x, y)
    assert time.perf_counter() - t0 < 2.0
    assert r.importance is not None and np.isclose(sum(r.importance), _r2_lstsq(x, y))
    with pytest.raises(ValueError):
        st.shapley_r2(rng.normal(size=(100, 13)), rng.normal(size=100))
    # a constant driver gets zero importance; missing rows are dropped listwise
    xc, yc, _ = _simulate_drivers(300, 9)
    xc = np.column_stack([xc, np.full(300, 3.0)])
    xc[0, 0] = np.nan
    for fn in (st.shapley_r2, st.relative_weights):
        rc = fn(xc, yc)
        assert rc.n == 299 and rc.importance is not None and rc.importance[-1] == pytest.approx(0.0, abs=1e-12)
        assert np.isclose(sum(rc.importance), _r2_lstsq(xc[1:, :4], yc[1:]))
    flat = st.shapley_r2(xc[1:], np.ones(299))
    assert not flat.sufficient and flat.importance is None


def test_bootstrap_importance_reproducible_and_sensible() -> None:
    x, y, _ = _simulate_drivers(400, 21)
    t0 = time.perf_counter()
    a = st.bootstrap_importance(x, y, "shapley", n_boot=500, seed=42)
    assert time.perf_counter() - t0 < 5.0
    b = st.bootstrap_importance(x, y, "shapley", n_boot=500, seed=42)
    c = st.bootstrap_importance(x, y, "shapley", n_boot=500, seed=43)
    assert a == b and a.low != c.low
    assert a.importance is not None and a.low is not None and a.high is not None
    assert all(lo <= est <= hi for lo, est, hi in zip(a.low, a.importance, a.high, strict=True))
    assert a.low[0] > a.high[3]  # the strongest driver clearly beats the null one
    assert a.r2_low is not None and a.r2_high is not None and a.r2_low < (a.r2 or 0) < a.r2_high
    rw = st.bootstrap_importance(x, y, "relative_weights", n_boot=500, seed=42)
    assert rw.low is not None and rw.low[0] > rw.high[3]
    with pytest.raises(ValueError):
        st.bootstrap_importance(x, y, "beta", n_boot=10)
    assert not st.bootstrap_importance(x[:20], y[:20], n_boot=10).sufficient


def test_bootstrap_interval_covers_true_shapley_value_mostly() -> None:
    # population Shapley values from the population correlation matrix
    corr = np.array([[1.0, 0.5, 0.3], [0.5, 1.0, 0.3], [0.3, 0.3, 1.0]])
    beta = np.array([0.6, 0.3, 0.0])
    var_y = beta @ corr @ beta + 1.0
    cxy = corr @ beta / math.sqrt(var_y)
    full = np.block([[corr, cxy[:, None]], [cxy[None, :], np.ones((1, 1))]])
    true = _shapley_from_corr(full[None])[0]
    rng = np.random.default_rng(8)
    hits = np.zeros(3)
    reps = 60
    for k in range(reps):
        x = rng.multivariate_normal(np.zeros(3), corr, size=300)
        y = x @ beta + rng.normal(size=300)
        r = st.bootstrap_importance(x, y, "shapley", n_boot=300, seed=k)
        hits += (np.array(r.low) <= true) & (true <= np.array(r.high))
    assert np.all(hits[:2] / reps >= 0.8), hits


# ---------------------------------------------------------------------------------------------------------------------
# Linear model, priorities, uplift
# ---------------------------------------------------------------------------------------------------------------------


def test_fit_linear_matches_lstsq_and_recovers_coefficients() -> None:
    x, y, beta = _simulate_drivers(3000, 2)
    f = st.fit_linear(x, y, names=["a", "b", "c", "d"])
    assert f.coefficients is not None and f.se is not None
    assert np.allclose(f.coefficients, beta, atol=4 * max(f.se))
    assert f.r2 == pytest.approx(_r2_lstsq(x, y)) and f.n == 3000
    design = np.column_stack([np.ones(3000), x])
    resid = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    cov = resid @ resid / (3000 - 5) * np.linalg.inv(design.T @ design)
    assert np.allclose(f.se, np.sqrt(np.diag(cov)[1:]))
    assert not st.fit_linear(x[:4], y[:4]).sufficient


def test_priority_ranking_quadrants_and_order() -> None:
    importance = {"ease": 0.30, "security": 0.20, "recognition": 0.05, "discovery": 0.03}
    performance = {"ease": 3.1, "security": 4.5, "recognition": 3.0, "discovery": 4.6}
    ranked = st.priority_ranking(importance, performance)
    assert [i.goal for i in ranked] == ["ease", "recognition", "security", "discovery"]
    assert [i.quadrant for i in ranked] == ["priority", "secondary", "strength", "possible_overkill"]
    assert [i.rank for i in ranked] == [1, 2, 3, 4]
    # against a chain benchmark of 4.8, everything is low performance: most important first
    bench = st.priority_ranking(importance, performance, performance_threshold=4.8)
    assert [i.quadrant for i in bench][:2] == ["priority", "priority"] and bench[0].goal == "ease"
    with pytest.raises(ValueError):
        st.priority_ranking({"a": 1.0}, {"b": 1.0})


def test_projected_uplift_to_top_quartile() -> None:
    x, y, beta = _simulate_drivers(3000, 4)
    fit = st.fit_linear(x, y, names=["ease", "security", "recognition", "discovery"])
    stores = np.array([[1.0, 2.0, 3.0, 0.0], [2.0, 2.0, 1.0, 0.0], [3.0, 4.0, 2.0, 0.0], [4.0, 0.0, 0.0, 0.0]])
    target = st.top_quartile_targets(stores)
    assert np.allclose(target, np.quantile(stores, 0.75, axis=0))
    current = np.array([1.0, 3.0, 0.5, 0.0])
    up = st.projected_uplift(fit, current, target)
    assert fit.coefficients is not None
    assert up[0].uplift == pytest.approx(fit.coefficients[0] * (target[0] - 1.0))
    assert up[0].uplift == pytest.approx(beta[0] * 2.25, rel=0.1)
    assert up[1].uplift == 0.0  # already above the top quartile
    assert up[0].low is not None and up[0].high is not None and up[0].low < up[0].uplift < up[0].high


# ---------------------------------------------------------------------------------------------------------------------
# Shrinkage
# ---------------------------------------------------------------------------------------------------------------------


def test_shrinkage_moves_small_store_more() -> None:
    means = [3.0, 3.0, 4.0, 4.2, 3.9, 4.1]
    ns = [5, 500, 80, 120, 60, 200]
    r = st.shrink_toward_mean(means, ns, 1.0)
    assert r.grand_mean == pytest.approx(np.dot(means, ns) / sum(ns))
    small, big = r.shrunk[0], r.shrunk[1]
    assert small is not None and big is not None
    assert abs(small - 3.0) > abs(big - 3.0)
    assert r.b[0] > r.b[1] and all(0 <= b <= 1 for b in r.b)
    assert r.tau2 > 0


def test_shrinkage_tau2_by_hand_and_floor() -> None:
    # equal n and variance: DerSimonian-Laird reduces to var(means) - sigma^2/n
    means = np.array([1.0, 2.0, 3.0, 4.0])
    r = st.shrink_toward_mean(means, [10] * 4, 2.0)
    tau2 = means.var(ddof=1) - 0.2
    assert r.tau2 == pytest.approx(tau2)
    assert r.b == pytest.approx((0.2 / (0.2 + tau2),) * 4)
    same = st.shrink_toward_mean([3.0, 3.01, 2.99], [10, 10, 10], 4.0)
    assert same.tau2 == 0.0 and same.b == (1.0, 1.0, 1.0)
    assert same.shrunk == pytest.approx((3.0, 3.0, 3.0))
    empty = st.shrink_toward_mean([4.0, float("nan"), 2.0], [10, 0, 10], 1.0)
    assert empty.b[1] == 1.0 and empty.shrunk[1] == pytest.approx(3.0)
    one = st.shrink_toward_mean([4.0], [10], 1.0)
    assert one.shrunk == (4.0,) and one.b == (0.0,)


# ---------------------------------------------------------------------------------------------------------------------
# Difference in differences
# ---------------------------------------------------------------------------------------------------------------------


def test_did_known_answer_from_summaries() -> None:
    g = st.GroupSummary
    r = st.difference_in_differences_from_summaries(
        g(3.0, 1.0, 50), g(3.6, 1.0, 50), g(3.1, 0.5, 100), g(3.2, 0.5, 100)
    )
    assert r.effect == pytest.approx(0.5)
    se = math.sqrt(1 / 50 + 1 / 50 + 0.5 / 100 + 0.5 / 100)
    assert r.se == pytest.approx(se)
    v = np.array([1 / 50, 1 / 50, 0.005, 0.005])
    df = v.sum() ** 2 / (v**2 / np.array([49, 49, 99, 99])).sum()
    assert r.df == pytest.approx(df)
    assert r.low == pytest.approx(0.5 - sps.t.ppf(0.975, df) * se)


def test_did_recovers_injected_effect_and_null_covers_zero() -> None:
    rng = np.random.default_rng(99)

    def sim(effect: float, n: int = 200) -> st.DiDResult:
        trend, level = 0.3, 0.4
        tb = rng.normal(3.0 + level, 1.0, n)
        ta = rng.normal(3.0 + level + trend + effect, 1.0, n)
        cb = rng.normal(3.0, 1.2, n)
        ca = rng.normal(3.0 + trend, 1.2, n)
        return st.difference_in_differences(tb, ta, cb, ca)

    r = sim(0.5)
    assert r.sufficient and r.effect == pytest.approx(0.5, abs=0.25)
    assert r.low is not None and r.high is not None and r.low <= 0.5 <= r.high and r.low > 0
    z = sim(0.0)
    assert z.low is not None and z.high is not None and z.low <= 0.0 <= z.high
    covered = 0
    for _ in range(400):
        s = sim(0.5, 40)
        covered += s.low <= 0.5 <= s.high
    assert 0.92 <= covered / 400 <= 0.98
    short = st.difference_in_differences([1.0], [2.0, 3.0], [1.0, 2.0], [1.0, 2.0])
    assert not short.sufficient and short.effect is None


# ---------------------------------------------------------------------------------------------------------------------
# JSON-friendliness
# ---------------------------------------------------------------------------------------------------------------------


def test_results_are_json_friendly() -> None:
    x, y, _ = _simulate_drivers(200, 1)
    results = [
        st.nps_from_counts(50, 30, 20),
        st.nps_from_counts(1, 1, 1),
        st.csat([1, 2, 3, 4, 40]),
        st.ces([1, 2, 3, 4, 10, 20, 10]),
        st.shapley_r2(x, y),
        st.bootstrap_importance(x, y, n_boot=20),
        st.fit_linear(x, y),
        st.shrink_toward_mean([1.0, 2.0], [5, 6], 1.0),
        st.difference_in_differences([1, 2], [2, 3], [1, 2], [1, 3]),
        st.score_respondent(["a"], [1], [500], answer_low=0, answer_high=1),
        *st.priority_ranking({"a": 1.0}, {"a": 2.0}),
    ]
    for r in results:
        d = r.to_dict()
        assert json.loads(json.dumps(d, allow_nan=False)) == json.loads(json.dumps(d))

"""Does answer strength add to the driver model? The nested-model test of a moderated model against the plain one.

Plain model: y = a + Σ β_g·x_g. Moderated model: y = a + Σ β_g·x_g + Σ γ_g·m_g, the m_g interaction terms (in the
insights, m_g = (x_g − 3)·(s_g − 0.5), answer × strength, so a goal's slope is β_g + γ_g·(s_g − 0.5)). Both are fitted
by OLS from the same moments (n, Σv, Σvv' of v = (x..., m..., y)), so they use the same responses.

The gain is ΔR² = R²(moderated) − R²(plain). Its interval inverts the distribution of the partial F statistic
F = (ΔR² / q) / ((1 − R²_mod) / df2), q the rank the m terms add and df2 = n − 1 − rank of the moderated design
(Steiger & Fouladi 1997; Steiger 2004): the bounds of the effect size f² are the values at which the observed F is
the upper and lower α/2 quantile, 0 when even f² = 0 leaves F below its 1 − α/2 quantile. For respondents drawn at
random (random regressors) F given the regressors is noncentral F with λ = f²·W, W ~ χ²(n − 1 − rank_plain) the
spread of the m terms' residual sum of squares; its CDF is the noncentral F CDF (``scipy.special.ncfdtr``, what
``scipy.stats.ncf.cdf`` computes) averaged over W at equal-probability nodes (Lee 1971: the exact distribution of a
squared multiple correlation with multivariate-normal predictors). f² is the partial R² π of the m terms as
π / (1 − π), and the population gain ΔP² = (1 − ρ²_plain)·π, with 1 − ρ²_plain estimated by the plain model's
1 − adjusted R²; that estimate's own spread (sd of its log ≈ 2ρ/√n, var R² ≈ 4ρ²(1 − ρ²)²/n) widens each bound's
distance from the sample partial R² on the log scale. So the lower bound is above 0 exactly when the F test rejects
at α/2 (p < 0.025 at 95 %): when answer strength adds nothing the interval says "no gain" in at least 97.5 % of
samples. A percentile bootstrap of the sample ΔR² would not: the sample gain is positive by construction (about
q(1 − R²)/df2 by chance).

Assumptions: a linear model with homoscedastic errors and the F test's normal theory (robust to moderate
non-normality at the sample sizes required here); the simulation tests measure the coverage on survey-like data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from pejling.core.insights.statistics.minimum_n import MIN_N_DRIVERS, too_few
from pejling.core.insights.statistics.results import FloatArray, Result, z_critical

NO_STRENGTH = "no answer strength to test: no timed answers vary in speed here"
PERFECT_FIT = "the plain model already fits the outcome exactly"
_RANK_TOL = 1e-9
_NODES = 16
"""Quadrature nodes over the spread of the noncentrality (random regressors)."""


@dataclass(frozen=True)
class NestedGain(Result):
    """The gain in R² of a model with extra terms over the nested plain model, with its interval and F test.

    ``gain`` = ``r2_full`` − ``r2_plain`` (the sample gain); ``low``/``high`` bound the population gain at
    ``confidence``; ``df1`` the rank the extra terms add, ``df2`` the residual degrees of freedom of the full model.
    No numbers when ``sufficient`` is False (``note`` says why).
    """

    gain: float | None
    low: float | None
    high: float | None
    p_value: float | None
    f_statistic: float | None
    r2_plain: float | None
    r2_full: float | None
    df1: int
    df2: int
    n: int
    confidence: float
    sufficient: bool = True
    note: str | None = None


def _covariance(n: int, sums: FloatArray, cross: FloatArray) -> FloatArray:
    """The centred cross-product matrix Σ(v − v̄)(v − v̄)' from n, Σv and Σvv'."""
    mean = sums / n
    scatter = cross - n * np.outer(mean, mean)
    return (scatter + scatter.T) / 2.0


def _r2_and_rank(scatter: FloatArray, idx: list[int], y: int) -> tuple[float, int]:
    """R² of the OLS of variable ``y`` on the variables ``idx`` and the rank of their design (pseudo-inverse)."""
    if not idx:
        return 0.0, 0
    sxx = scatter[np.ix_(idx, idx)]
    sd = np.sqrt(np.clip(np.diag(sxx), 0.0, None))
    keep = sd > _RANK_TOL * max(float(sd.max()), 1e-300)
    if not keep.any():
        return 0.0, 0
    # Scaled to a correlation matrix, so the rank tolerance does not depend on the variables' units.
    corr = sxx[np.ix_(keep, keep)] / np.outer(sd[keep], sd[keep])
    sxy = scatter[np.ix_(idx, [y])][keep, 0] / sd[keep]
    values, vectors = np.linalg.eigh(corr)
    big = values > _RANK_TOL * max(float(values.max()), 1.0) * len(values)
    coef = vectors[:, big].T @ sxy
    explained = float(np.sum(coef * coef / values[big]))
    syy = float(scatter[y, y])
    return (min(max(explained / syy, 0.0), 1.0) if syy > 0 else 0.0), int(big.sum())


def _chi2_nodes(df: int) -> FloatArray:
    """Equal-probability nodes of the χ² distribution with ``df`` degrees of freedom (quantile midpoints)."""
    return np.asarray(special.chdtri(df, 1.0 - (np.arange(_NODES) + 0.5) / _NODES), dtype=float)


def _cdf(f: float, df1: int, df2: int, phi2: float, nodes: FloatArray) -> float:
    """P(F ≤ f) for the partial F of random (normal) regressors at effect size φ² = f²: the noncentral F with its
    noncentrality λ = φ²·W averaged over W ~ χ²(n − 1 − rank_plain), the spread of the regressors' residual sum of
    squares (Lee 1971; the exact distribution of a squared multiple correlation with random predictors)."""
    if phi2 <= 0.0:
        return float(special.fdtr(df1, df2, f))
    # scipy.special.ncfdtr is scipy.stats.ncf.cdf without the distribution wrapper's per-call cost (30x faster).
    return float(np.mean(special.ncfdtr(df1, df2, phi2 * nodes, f)))


def _effect_bound(f: float, df1: int, df2: int, nodes: FloatArray, target: float) -> float:
    """The φ² ≥ 0 at which P(F ≤ f; φ²) = ``target`` (0 when already P(F ≤ f; φ² = 0) ≤ target)."""
    if special.fdtr(df1, df2, f) <= target:
        return 0.0

    def excess(phi2: float) -> float:
        return _cdf(f, df1, df2, phi2, nodes) - target

    high = max(1.0, 2.0 * df1 * f) / float(nodes.mean())
    while excess(high) > 0.0:
        high *= 2.0
    return float(optimize.brentq(excess, 0.0, high, xtol=1e-9, rtol=1e-4))


def nested_gain(
    n: int, sums: FloatArray, cross: FloatArray, plain: int, *, confidence: float = 0.95, min_n: int = MIN_N_DRIVERS,
) -> NestedGain:
    """The gain in R² of adding variables ``plain..-2`` to the model of the last variable on ``0..plain-1``.

    ``sums`` and ``cross`` are Σv and Σvv' of v = (plain drivers, extra terms, outcome) over the same n responses.
    """
    q_all = len(sums)
    extra = q_all - 1 - plain
    guard = too_few(n, max(min_n, q_all + 2))
    if guard is not None:
        return NestedGain(None, None, None, None, None, None, None, 0, 0, n, confidence, sufficient=False,
                          note=guard.note)
    scatter = _covariance(n, np.asarray(sums, dtype=float), np.asarray(cross, dtype=float))
    y = q_all - 1
    if scatter[y, y] <= 1e-12 * max(n, 1):
        return NestedGain(None, None, None, None, None, None, None, 0, 0, n, confidence, sufficient=False,
                          note="outcome has no variation")
    r2_plain, rank_plain = _r2_and_rank(scatter, list(range(plain)), y)
    r2_full, rank_full = _r2_and_rank(scatter, list(range(plain + extra)), y)
    r2_full = max(r2_full, r2_plain)
    df1 = rank_full - rank_plain
    df2 = n - 1 - rank_full
    if df1 <= 0:
        return NestedGain(None, None, None, None, None, r2_plain, None, 0, df2, n, confidence, sufficient=False,
                          note=NO_STRENGTH)
    if 1.0 - r2_full <= 1e-12:
        return NestedGain(None, None, None, None, None, r2_plain, r2_full, df1, df2, n, confidence, sufficient=False,
                          note=PERFECT_FIT)
    gain = r2_full - r2_plain
    f = (gain / df1) / ((1.0 - r2_full) / df2)
    p_value = float(special.fdtrc(df1, df2, f))
    alpha = 1.0 - confidence
    nodes = _chi2_nodes(n - 1 - rank_plain)
    phi2_low = _effect_bound(f, df1, df2, nodes, 1.0 - alpha / 2.0)
    phi2_high = _effect_bound(f, df1, df2, nodes, alpha / 2.0)
    unexplained = min(max((1.0 - r2_plain) * (n - 1) / (n - 1 - rank_plain), 1e-12), 1.0)
    partial = gain / (1.0 - r2_plain)
    # The plain model's unexplained share is estimated too: its log has sd ≈ 2ρ/√n (var R² ≈ 4ρ²(1 − ρ²)²/n);
    # that spread is added to each bound's distance from the sample partial R² on the log scale.
    spread = z_critical(confidence) * 2.0 * np.sqrt(1.0 - unexplained) / np.sqrt(n)

    def population_gain(phi2: float) -> float:
        bound = phi2 / (1.0 + phi2)
        if bound <= 0.0 or partial <= 0.0:
            return unexplained * bound
        distance = np.log(bound / partial)
        widened = np.sign(distance) * np.hypot(distance, spread)
        return float(min(unexplained * partial * np.exp(widened), 1.0 - r2_plain))

    return NestedGain(gain, population_gain(phi2_low), population_gain(phi2_high), p_value, float(f), r2_plain,
                      r2_full, df1, df2, n, confidence)

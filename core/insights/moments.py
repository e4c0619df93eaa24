"""Key drivers and the linear model from rollup moments (n, Σz, Σzz'), without reading a single response.

The correlation matrix of goals and outcome follows from the summed cross products, and both relative-importance
methods of :mod:`pejling.core.insights.statistics` work on correlation matrices, so the importances and R² from
rollups equal those from the raw responses. Raw respondents cannot be resampled from sums, so the intervals are a
**parametric bootstrap**: sample covariance matrices are drawn from the Wishart distribution of the covariance of
n multivariate-normal respondents with the observed covariance, and decomposed like the observed one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from scipy import stats

from pejling.core.insights.statistics.drivers import (
    BootstrapImportance,
    DriverImportance,
    _corr_from_cov,
    _relative_weights_from_corr,
    _shapley_from_corr,
)
from pejling.core.insights.statistics.linear_model import LinearFit
from pejling.core.insights.statistics.minimum_n import MIN_N_DRIVERS, too_few
from pejling.core.insights.statistics.results import FloatArray

Method = Literal["shapley", "relative_weights"]


def covariance(n: int, sums: FloatArray, cross: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Mean vector and sample covariance (ddof=1) from n, Σz and Σzz'."""
    mean = sums / n
    cov = (cross - n * np.outer(mean, mean)) / max(n - 1, 1)
    return mean, (cov + cov.T) / 2.0


def _decompose(method: Method, corr: FloatArray) -> FloatArray:
    return _shapley_from_corr(corr) if method == "shapley" else _relative_weights_from_corr(corr)


def importance(
    n: int, sums: FloatArray, cross: FloatArray, names: Sequence[str], *, method: Method = "shapley",
    min_n: int = MIN_N_DRIVERS,
) -> DriverImportance:
    """Relative importance of the drivers (all variables but the last, the outcome); parts sum to R²."""
    p = len(names)
    labels = tuple(names)
    guard = too_few(n, max(min_n, p + 2))
    if guard is not None:
        return DriverImportance(method, labels, None, None, None, n, sufficient=False, note=guard.note)
    _, cov = covariance(n, sums, cross)
    if cov[p, p] <= 1e-12:
        return DriverImportance(method, labels, None, None, None, n, sufficient=False, note="outcome has no variation")
    parts = _decompose(method, _corr_from_cov(cov)[None])[0]
    r2 = float(parts.sum())
    share = tuple(float(v / r2) for v in parts) if r2 > 0 else tuple(0.0 for _ in parts)
    return DriverImportance(method, labels, tuple(float(v) for v in parts), share, r2, n)


def bootstrap_importance(
    n: int, sums: FloatArray, cross: FloatArray, names: Sequence[str], *, method: Method = "shapley",
    n_boot: int = 200, seed: int = 0, confidence: float = 0.95, min_n: int = MIN_N_DRIVERS,
) -> BootstrapImportance:
    """Importance with parametric-bootstrap (Wishart) percentile intervals per driver and for R²."""
    point = importance(n, sums, cross, names, method=method, min_n=min_n)
    if not point.sufficient or point.importance is None:
        return BootstrapImportance(method, point.names, None, None, None, None, None, None, point.n, n_boot, seed,
                                   confidence, sufficient=False, note=point.note)
    _, cov = covariance(n, sums, cross)
    q = cov.shape[0]
    # A tiny ridge keeps the scale matrix positive definite when a driver is constant.
    scale = (cov + np.eye(q) * 1e-9 * max(float(np.trace(cov)), 1e-12)) / (n - 1)
    draws = stats.wishart.rvs(df=n - 1, scale=scale, size=n_boot, random_state=np.random.default_rng(seed))
    draws = np.asarray(draws).reshape(n_boot, q, q) / (n - 1)
    parts = _decompose(method, _corr_from_cov(draws))
    alpha = (1.0 - confidence) / 2.0
    lo, hi = np.quantile(parts, [alpha, 1.0 - alpha], axis=0)
    r2_lo, r2_hi = np.quantile(parts.sum(axis=1), [alpha, 1.0 - alpha])
    return BootstrapImportance(
        method, point.names, point.importance, tuple(float(v) for v in lo), tuple(float(v) for v in hi), point.r2,
        float(r2_lo), float(r2_hi), n, n_boot, seed, confidence,
    )


def linear_fit(
    n: int, sums: FloatArray, cross: FloatArray, names: Sequence[str], *, min_n: int = MIN_N_DRIVERS
) -> LinearFit:
    """OLS of the outcome on the drivers from moments, with classical coefficient SEs (as ``fit_linear``)."""
    p = len(names)
    labels = tuple(names)
    guard = too_few(n, max(min_n, p + 2))
    if guard is not None:
        return LinearFit(labels, None, None, None, None, n, sufficient=False, note=guard.note)
    mean, cov = covariance(n, sums, cross)
    sxx = cov[:p, :p] * (n - 1)
    sxy = cov[:p, p] * (n - 1)
    syy = float(cov[p, p] * (n - 1))
    inv = np.linalg.pinv(sxx, hermitian=True)
    beta = inv @ sxy
    rss = max(syy - float(beta @ sxy), 0.0)
    r2 = 1.0 - rss / syy if syy > 0 else 0.0
    s2 = rss / (n - p - 1)
    se = np.sqrt(np.clip(np.diag(inv) * s2, 0.0, None))
    intercept = float(mean[p] - beta @ mean[:p])
    return LinearFit(labels, tuple(float(v) for v in beta), tuple(float(v) for v in se), intercept, r2, n)

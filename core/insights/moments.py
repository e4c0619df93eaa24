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
    _added_driver_shapley,
    _corr_from_cov,
    _relative_weights_from_corr,
    _shapley_from_corr,
    squared_correlation_interval,
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
    """Bias-corrected importance with intervals per driver and for R², and whether each driver beats pure noise.

    * R²: the exact interval and median-unbiased value of :func:`~.drivers.squared_correlation_interval`
      (the sample R² is biased upward, by about p / (n - 1) when there is nothing to find).
    * The parts: the sample parts scaled to sum to that R² (the shares are the sample shares). Their intervals are
      the percentiles of a parametric bootstrap: covariance matrices of n multivariate-normal respondents (Wishart)
      drawn around the *bias-corrected* covariance (the goal-outcome covariances scaled so that its R² is the
      corrected one), so the draws do not add the small-sample bias a second time.
    * Beside the goals, every draw holds an independent noise goal; a goal whose sample part is no larger than the
      noise goal's upper (1 - confidence)/2 point is **indistinguishable from none**: its lower bounds are 0.
    * Share intervals: the percentiles of the draws' shares, each draw's parts first reduced by its noise goal's part
      (the chance part every goal gets), so the shares are not diluted toward an equal split.
    """
    point = importance(n, sums, cross, names, method=method, min_n=min_n)
    if not point.sufficient or point.importance is None or point.r2 is None:
        return BootstrapImportance(method, point.names, None, None, None, None, None, None, point.n, n_boot, seed,
                                   confidence, sufficient=False, note=point.note)
    _, cov = covariance(n, sums, cross)
    p = len(point.names)
    sample = np.asarray(point.importance)
    r2 = squared_correlation_interval(point.r2, n, p, confidence=confidence)
    corrected_r2 = r2.value or 0.0
    factor = corrected_r2 / point.r2 if point.r2 > 0 else 0.0
    parts, noise = _draw_parts(method, cov, factor, n, n_boot, seed)
    alpha = (1.0 - confidence) / 2.0
    lo, hi = np.quantile(parts, [alpha, 1.0 - alpha], axis=0)
    # A draw's shares are diluted by the chance part every goal gets (what the noise goal gets in that draw): take it
    # off each goal before sharing, so the draws' shares are not pulled toward an equal split.
    clean = np.clip(parts - noise[:, None], 0.0, None)
    totals = clean.sum(axis=1, keepdims=True)
    shares = np.divide(clean, totals, out=np.zeros_like(clean), where=totals > 0)
    share_lo, share_hi = np.quantile(shares, [alpha, 1.0 - alpha], axis=0)
    share = sample / point.r2 if point.r2 > 0 else np.zeros(p)
    none = sample <= np.quantile(noise, 1.0 - alpha)
    value = sample * factor
    lo = np.where(none, 0.0, np.minimum(lo, value))
    share_lo = np.where(none, 0.0, np.minimum(share_lo, share))
    return BootstrapImportance(
        method, point.names, _floats(value), _floats(lo), _floats(np.maximum(hi, value)), corrected_r2, r2.low,
        r2.high, n, n_boot, seed, confidence, share=_floats(share), share_low=_floats(share_lo),
        share_high=_floats(np.maximum(share_hi, share)), indistinguishable=tuple(bool(v) for v in none),
        sample_r2=point.r2,
    )


def _floats(values: FloatArray) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


def _draw_parts(
    method: Method, cov: FloatArray, factor: float, n: int, n_boot: int, seed: int
) -> tuple[FloatArray, FloatArray]:
    """Parts of the drivers and of an added independent noise driver in Wishart draws around the corrected covariance.

    The covariance's goal-outcome entries are scaled by sqrt(factor), which scales every subset R² (so every part) by
    ``factor``. The noise driver (of the goals' mean variance) comes before the outcome.
    """
    p = cov.shape[0] - 1
    centre = np.zeros((p + 2, p + 2))
    goals = np.r_[np.arange(p), p + 1]
    centre[np.ix_(goals, goals)] = cov
    centre[:p, p + 1] *= np.sqrt(factor)
    centre[p + 1, :p] *= np.sqrt(factor)
    centre[p, p] = float(np.mean(np.diag(cov)[:p]))
    q = p + 2
    # A tiny ridge keeps the scale matrix positive definite when a driver is constant.
    scale = (centre + np.eye(q) * 1e-9 * max(float(np.trace(centre)), 1e-12)) / (n - 1)
    draws = stats.wishart.rvs(df=n - 1, scale=scale, size=n_boot, random_state=np.random.default_rng(seed))
    corr = _corr_from_cov(np.asarray(draws).reshape(n_boot, q, q) / (n - 1))
    if method == "shapley":
        return _added_driver_shapley(corr)
    without_noise = corr[:, goals][:, :, goals]
    return _relative_weights_from_corr(without_noise), _relative_weights_from_corr(corr)[:, p]


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

"""Key-driver analysis: exact Shapley value regression, Johnson's relative weights and their bootstrap intervals.

Both methods work on the correlation matrix of the drivers and the outcome, so :mod:`pejling.core.insights.moments`
can decompose matrices built from rollup sums with the same functions (``_corr_from_cov``, ``_shapley_from_corr``,
``_relative_weights_from_corr``). The input rules for raw data (:func:`prepare_xy`, :func:`column_names`) are the
linear model's too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import optimize, special

from pejling.core.insights.statistics.minimum_n import MIN_N_DRIVERS, Estimate, too_few
from pejling.core.insights.statistics.results import FloatArray, Result, z_critical

MAX_SHAPLEY_DRIVERS = 12
"""Exact Shapley regression solves all 2^p subsets: at most this many drivers."""


@dataclass(frozen=True)
class DriverImportance(Result):
    """Relative importance of drivers; ``importance`` sums to ``r2``; ``share`` = importance / r2."""

    method: str
    names: tuple[str, ...]
    importance: tuple[float, ...] | None
    share: tuple[float, ...] | None
    r2: float | None
    n: int
    sufficient: bool = True
    note: str | None = None


def prepare_xy(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
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


def column_names(names: Sequence[str] | None, p: int) -> tuple[str, ...]:
    """The given names of the p columns (``x0``, ``x1``, ... when None); refuses a list of another length."""
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


def _added_driver_shapley(corr: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The Shapley parts of p drivers, and of one more driver in the game of all p + 1, from (B, p+2, p+2) matrices.

    Order: the p drivers, the added driver, the outcome. The added driver's part needs R²(S ∪ {v}) for every subset
    S of the others: R²(S) + (r_vy - r_vS R_SS⁻¹ r_Sy)² / (1 - r_vS R_SS⁻¹ r_Sv), from the same solve as R²(S) (two
    right-hand sides), so it costs little more than the p drivers' own table. Returns (B, p) and (B,).
    """
    b_count, q, _ = corr.shape
    p = q - 2
    rxx, rxv, rxy, rvy = corr[:, :p, :p], corr[:, :p, p], corr[:, :p, p + 1], corr[:, p, p + 1]
    masks, bits, sizes = _subset_masks(p)
    r2 = np.zeros((b_count, masks.size))
    gain = np.zeros((b_count, masks.size))
    gain[:, 0] = rvy**2
    for k in range(1, p + 1):
        ms = masks[sizes == k]
        cols = np.nonzero(bits[ms])[1].reshape(ms.size, k)
        sub = rxx[:, cols[:, :, None], cols[:, None, :]]
        rhs = np.stack([rxy[:, cols], rxv[:, cols]], axis=-1)
        try:
            sol = np.linalg.solve(sub, rhs)
            if not np.all(np.isfinite(sol)):
                raise np.linalg.LinAlgError
        except np.linalg.LinAlgError:
            sol = np.linalg.pinv(sub, hermitian=True) @ rhs
        r2[:, ms] = np.einsum("bmk,bmk->bm", rhs[..., 0], sol[..., 0])
        shared = rvy[:, None] - np.einsum("bmk,bmk->bm", rhs[..., 1], sol[..., 0])
        residual = 1.0 - np.einsum("bmk,bmk->bm", rhs[..., 1], sol[..., 1])
        gain[:, ms] = shared**2 / np.maximum(residual, 1e-12)
    r2 = np.clip(r2, 0.0, 1.0)
    gain = np.clip(gain, 0.0, 1.0 - r2)
    fact = [math.factorial(i) for i in range(p + 2)]
    weight = np.array([fact[k] * fact[p - k] / fact[p + 1] for k in range(p + 1)])
    return _shapley_from_subset_r2(r2, p), gain @ weight[sizes]


def _shapley_from_corr(corr: FloatArray) -> FloatArray:
    """Shapley decomposition of R^2 for stacked correlation matrices: (B, p+1, p+1) -> (B, p)."""
    return _shapley_from_subset_r2(_all_subset_r2(corr), corr.shape[-1] - 1)


def _shapley_from_subset_r2(r2: FloatArray, p: int, only: int | None = None) -> FloatArray:
    """Shapley values of p drivers from their table of subset R² (B, 2^p), indexed by bit mask: (B, p).

    The table of p + 1 drivers holds that of the first p as its first 2^p columns (the masks without bit p), so one
    table gives both. With ``only`` just that driver's value is computed (B, 1).
    """
    masks, _, sizes = _subset_masks(p)
    fact = [math.factorial(i) for i in range(p + 1)]
    weight = np.array([fact[k] * fact[p - k - 1] / fact[p] if k < p else 0.0 for k in range(p + 1)])
    drivers = range(p) if only is None else (only,)
    out = np.empty((r2.shape[0], len(drivers)))
    for col, j in enumerate(drivers):
        without = masks[(masks >> j) & 1 == 0]
        out[:, col] = (r2[:, without | (1 << j)] - r2[:, without]) @ weight[sizes[without]]
    return out


_RHO2_MAX = 0.99
"""The exact R² interval searches population values up to this (the series grows long near 1); beyond it, 1."""


class _SquaredCorrelation:
    """Fisher's (1928) distribution of the sample R² of n multivariate-normal respondents with p drivers.

    Muirhead (1982, thm. 5.2.4): a mixture over k of Beta(p/2 + k, (n - p - 1)/2) with negative-binomial weights
    (r = (n - 1)/2, success probability 1 - rho2). For one observed R² the Beta terms are computed once, on a grid
    of k (unit steps, then about sqrt(k)/5 <= sd(k)/5: the weights and the
    terms are smooth in k there) that covers every population value from ``bottom`` to ``top``, so each population
    value costs one weighted sum.
    """

    def __init__(self, x: float, n: int, p: int, bottom: float, top: float) -> None:
        self.r = (n - 1) / 2.0
        self.bottom, self.top = bottom, top
        first = self._k_range(bottom)[0] if bottom > 0 else 0.0
        last = self._k_range(top)[1]
        blocks = [np.arange(first, min(last, 100.0) + 1.0)] if first < 100.0 else []
        width = 2.0
        start = max(first, 100.0)
        while start < last:  # steps of ``width`` up to where sqrt(k) / 5 reaches the next width
            stop = min(last + width, 25.0 * (width + 1.0) ** 2)
            blocks.append(np.arange(start, stop, width))
            start = blocks[-1][-1] + width if blocks[-1].size else stop
            width += 1.0
        self.k = np.concatenate(blocks) if blocks else np.zeros(1)
        self.step = np.diff(self.k, append=self.k[-1] + 1.0)
        self.x = min(max(float(x), 0.0), 1.0)
        self.terms = special.betainc(p / 2.0 + self.k, (n - p - 1) / 2.0, self.x)
        self.log_count = special.gammaln(self.r + self.k) - special.gammaln(self.r) - special.gammaln(self.k + 1.0)
        self.null = float(special.betainc(p / 2.0, (n - p - 1) / 2.0, self.x))

    def _k_range(self, rho2: float) -> tuple[float, float]:
        odds = rho2 / (1.0 - rho2)
        mean, sd = self.r * odds, math.sqrt(self.r * odds) / (1.0 - rho2)
        return max(0.0, math.floor(mean - 9.0 * sd)), mean + 9.0 * sd + 12.0

    def cdf(self, rho2: float) -> float:
        """P(R² <= x) at population value ``rho2`` (between ``bottom`` and ``top``)."""
        if rho2 <= 0.0:
            return self.null
        log_w = self.log_count + self.k * math.log(rho2) + self.r * math.log1p(-rho2)
        return float(np.clip((self.step * np.exp(log_w)) @ self.terms, 0.0, 1.0))


def squared_correlation_cdf(x: float, rho2: float, n: int, p: int) -> float:
    """P(R² <= x): the sample R² of n multivariate-normal respondents, p drivers, population value ``rho2``.

    Fisher's (1928) distribution of the squared multiple correlation (a negative-binomial mixture of Beta
    distributions); needs n > p + 1 and rho2 < 1.
    """
    return _SquaredCorrelation(x, n, p, rho2, max(rho2, 1e-6)).cdf(rho2)


def squared_correlation_interval(r2: float, n: int, p: int, *, confidence: float = 0.95) -> Estimate:
    """Exact confidence interval for the population R² from the sample R² (normal theory, random drivers).

    The bounds invert :func:`squared_correlation_cdf` (the observed R² is the upper, then the lower (1 - confidence)/2
    point of its distribution); the value is the median-unbiased estimate (the population R² of which the observed
    one is the median), 0 when even a population R² of 0 would give a larger sample R² half the time. The sample R²
    is biased upward (by about p / (n - 1) when there is nothing to find); these are not.
    """
    if (guard := too_few(n, p + 2)) is not None:
        return guard
    z_critical(confidence)  # validates the confidence
    alpha = (1.0 - confidence) / 2.0
    # The search range: about 10 standard errors of R² around the observed value (all of [0, 0.99] if a bound is
    # outside it); the series is summed only over the k that carry weight there.
    margin = 10.0 * (2.0 * math.sqrt(max(r2, p / n)) * (1.0 - min(r2, 1.0)) + math.sqrt(2.0 * p / n)) / math.sqrt(n)
    bottom, top = max(0.0, r2 - margin), min(_RHO2_MAX, r2 + margin)
    dist = _SquaredCorrelation(r2, n, p, bottom, top)
    if (bottom > 0.0 and dist.cdf(bottom) < 1.0 - alpha) or (top < _RHO2_MAX and dist.cdf(top) > alpha):
        dist = _SquaredCorrelation(r2, n, p, 0.0, _RHO2_MAX)

    def solve(target: float) -> float:
        if dist.cdf(dist.bottom) <= target:
            return dist.bottom
        if dist.cdf(dist.top) > target:
            return 1.0
        return float(optimize.brentq(lambda rho2: dist.cdf(rho2) - target, dist.bottom, dist.top, xtol=1e-5))

    return Estimate(solve(0.5), solve(1.0 - alpha), solve(alpha), n)


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
    xa, ya = prepare_xy(x, y)
    n, p = xa.shape
    labels = column_names(names, p)
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
class BootstrapImportance(Result):
    """Driver importance with bootstrap intervals (per driver and for R²).

    The response-level :func:`bootstrap_importance` fills the first fields (sample values, percentile intervals);
    the rollup one (:func:`pejling.core.insights.moments.bootstrap_importance`) reports bias-corrected values
    (``r2`` the corrected R², ``sample_r2`` the sample one), share intervals and which drivers are indistinguishable
    from none (their lower bounds are 0).
    """

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
    share: tuple[float, ...] | None = None
    share_low: tuple[float, ...] | None = None
    share_high: tuple[float, ...] | None = None
    indistinguishable: tuple[bool, ...] | None = None
    sample_r2: float | None = None


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
    full-sample importance (percentile intervals inherit its small-sample bias: the portal uses the bias-corrected
    rollup version, :func:`pejling.core.insights.moments.bootstrap_importance`).
    """
    if method not in ("shapley", "relative_weights"):
        raise ValueError(f"unknown method {method!r}")
    if n_boot < 1:
        raise ValueError("n_boot must be >= 1")
    z_critical(confidence)
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
    xa, ya = prepare_xy(x, y)
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
    totals = parts.sum(axis=1, keepdims=True)
    shares = np.divide(parts, totals, out=np.zeros_like(parts), where=totals > 0)
    share_lo, share_hi = np.quantile(shares, [alpha, 1.0 - alpha], axis=0)
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
        share=point.share,
        share_low=tuple(float(v) for v in share_lo),
        share_high=tuple(float(v) for v in share_hi),
        indistinguishable=tuple(bool(v <= 0.0) for v in lo),
        sample_r2=point.r2,
    )

"""Empirical-Bayes shrinkage of small stores' means toward the chain mean."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pejling.core.insights.statistics.results import Result

MIN_SAMPLING_VARIANCE = 1e-12
"""Floor of a store's σ²/n in τ²: a store whose answers are all alike would otherwise weigh 1/0 (inf, then NaN)."""


@dataclass(frozen=True)
class Shrinkage(Result):
    """Shrunk group means, the shrinkage factor B per group, τ² and the chain mean used."""

    shrunk: tuple[float | None, ...]
    b: tuple[float, ...]
    tau2: float
    grand_mean: float | None


def shrink_toward_mean(
    means: Sequence[float] | npt.ArrayLike,
    ns: Sequence[int] | npt.ArrayLike,
    within_variance: float | Sequence[float] | npt.ArrayLike,
    *,
    grand_mean: float | None = None,
) -> Shrinkage:
    """Empirical-Bayes (James-Stein style) shrinkage of store means toward the chain mean.

    θ̂_s = B_s·ȳ_chain + (1 - B_s)·ȳ_s with B_s = v_s / (v_s + τ²), v_s = σ²_s / n_s (``within_variance`` is σ²,
    one pooled value or one per store).

    τ² (between-store variance) is the method-of-moments (DerSimonian-Laird) estimate
    τ² = max(0, (Q - (k-1)) / (Σw - Σw²/Σw)) with w = 1/v and Q = Σ w (ȳ_s - ȳ_w)², floored at 0.
    ȳ_chain defaults to the response-weighted chain mean Σ n_s ȳ_s / Σ n_s (the chain average users see).

    Edge cases: a store with n = 0 (or a NaN mean) gets the chain mean, B = 1 and does not enter τ²; with fewer than
    two usable stores τ² is not estimable and no shrinkage is applied (B = 0) to them; τ² = 0 means every store is
    shrunk fully to the chain mean (B = 1) — the data show no between-store differences beyond noise.
    """
    m = np.asarray(means, dtype=float).ravel()
    n = np.asarray(ns, dtype=float).ravel()
    s2 = np.broadcast_to(np.asarray(within_variance, dtype=float), m.shape).astype(float)
    if n.size != m.size:
        raise ValueError("means and ns must have the same length")
    if np.any(n < 0) or np.any(s2[np.isfinite(s2)] < 0):
        raise ValueError("ns and within_variance must be non-negative")
    usable = (n > 0) & np.isfinite(m) & np.isfinite(s2)
    if not usable.any():
        return Shrinkage(tuple(None for _ in m), tuple(1.0 for _ in m), 0.0, grand_mean)
    mu = float((n[usable] @ m[usable]) / n[usable].sum()) if grand_mean is None else float(grand_mean)
    v = np.where(usable, s2 / np.where(usable, n, 1.0), np.inf)
    k = int(usable.sum())
    tau2 = 0.0
    if k >= 2:
        vu = np.maximum(v[usable], MIN_SAMPLING_VARIANCE)  # a store with no spread: very precise, not infinitely
        w = 1.0 / vu
        yw = float(w @ m[usable] / w.sum())
        q = float(w @ (m[usable] - yw) ** 2)
        denom = float(w.sum() - (w @ w) / w.sum())
        tau2 = max(0.0, (q - (k - 1)) / denom) if denom > 0 else 0.0
        b = np.ones_like(m)
        vu_raw = v[usable]
        denom_b = vu_raw + tau2
        b[usable] = np.where(denom_b > 0, vu_raw / np.where(denom_b > 0, denom_b, 1.0), 0.0)
    else:
        b = np.where(usable, 0.0, 1.0)
    shrunk = np.where(usable, b * mu + (1.0 - b) * np.where(usable, m, 0.0), mu)
    return Shrinkage(tuple(float(s) for s in shrunk), tuple(float(x) for x in b), tau2, mu)

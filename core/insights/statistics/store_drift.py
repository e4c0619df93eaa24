"""A logged store change's effect on store-day means, with an interval that holds under day-to-day store drift.

The unit is the **store-day**: a store's mean outcome on a day with responses (a day without responses is missing,
never zero). Every day counts once, whatever its number of responses; the extra noise of a day with few responses
enters the interval through the known response-noise variance of that day's mean (the store's pooled within-day
variance over its n). Per day, the control is the weighted mean of the control stores that answered that day, each
store taken relative to its own before-period level, with weights fixed across before and after (proportional to
the store's days with responses before the change): a shift in which control store answers more cannot move it.

    D_d    = y(treated, d) - Σ_k w_k (y(k, d) - level_k) / Σ_k w_k        (k: controls with responses on day d)
    effect = mean of D after the change - mean of D before it
           = (treated after - treated before) - weighted control (after - before)   (when every store answers daily)

The interval models every store's day-to-day drift as AR(1) with one persistence ρ and variance γ0 (independent
across stores; day effects shared by the chain cancel in differences) plus white response noise of known variance
per day (the store's pooled within-day variance over the day's n). γ0 and ρ are fitted on the residual
autocovariances (lags 0..5) of every series "control store k minus the changed store", pooled, with their
expectations computed exactly for the observed days (so the downward bias of autocorrelations estimated from the
residuals of 56 days is removed). The variance of the effect follows exactly from them; the t reference has
Satterthwaite's degrees of freedom, 2·V²/Var(V̂), from the sampling variance of the fitted γ0 (Gaussian quadratic
forms), so few stores, few days or strong persistence give a wide interval. Chosen by simulation
(``tests/insights/simulations/test_store_changes.py``: 95 % coverage 93-98 % at ρ = 0.3-0.8 with 2-10 control
stores; the responses-as-independent Welch interval covered 70-90 %).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from pejling.core.insights.statistics.results import FloatArray, Result, z_critical

AR1_METHOD = "store-day difference in differences, AR(1)-corrected t interval"
"""The ``method`` of an estimate with an interval."""

MIN_STORE_DAYS = 7
"""Days with responses a store needs before and after the change (the treated store to be estimated, a control
store to count as one)."""

MIN_SERIES_DAYS = 14
"""Days on which both the treated store and a control store answered, needed for the interval."""

RHO_MAX = 0.98
"""The largest day-to-day persistence considered (closer to 1 the drift is a random walk and no interval holds)."""

ROUNDING = 1e-12
"""With no spread at all, an effect smaller than this (relative to the store's means) is the rounding of the sums."""

_RHO_GRID = np.linspace(0.0, RHO_MAX, 99)
LAGS = 5
"""Lags (days) of the residual autocovariances fitted."""


@dataclass(frozen=True)
class StoreChangeEstimate(Result):
    """The effect of a store change on store-day means, its interval and what it rests on."""

    effect: float | None
    se: float | None
    low: float | None
    high: float | None
    df: float | None
    p_value: float | None
    treated_change: float | None
    control_change: float | None
    rho: float | None
    """Estimated day-to-day persistence of the treated-minus-control series (0 = days independent)."""
    n: tuple[int, int, int, int]
    """Responses: treated before, treated after, control before, control after."""
    store_days: tuple[int, int, int, int]
    """Store-days with responses: treated before, treated after, control before, control after."""
    control_stores: int
    method: str
    confidence: float = 0.95
    sufficient: bool = True
    note: str | None = None


def store_change_effect(
    n: npt.ArrayLike,
    total: npt.ArrayLike,
    total_sq: npt.ArrayLike,
    after: npt.ArrayLike,
    *,
    confidence: float = 0.95,
    min_store_days: int = MIN_STORE_DAYS,
) -> StoreChangeEstimate:
    """The store-day difference in differences of a change in store 0 against stores 1.. (see the module's text).

    ``n``, ``total``, ``total_sq``: per store (rows; row 0 the changed store) and consecutive calendar day (columns)
    the number of outcome answers, their sum and their sum of squares; ``after``: per day, whether it is on or after
    the change. Never NaN: without enough store-days the result has ``sufficient=False`` and a note.
    """
    z_critical(confidence)
    counts = np.atleast_2d(np.asarray(n, dtype=float))
    sums = np.atleast_2d(np.asarray(total, dtype=float))
    squares = np.atleast_2d(np.asarray(total_sq, dtype=float))
    is_after = np.asarray(after, dtype=bool).ravel()
    if counts.shape != sums.shape or counts.shape != squares.shape or counts.shape[1] != is_after.size:
        raise ValueError("n, total and total_sq need one row per store and one column per day of `after`")
    counts = np.where(np.isfinite(counts) & (counts > 0), counts, 0.0)
    observed = counts > 0
    means = np.divide(sums, counts, out=np.zeros_like(sums), where=observed)
    days = np.stack([(observed & ~is_after).sum(axis=1), (observed & is_after).sum(axis=1)], axis=1)
    responses = np.stack([(counts * ~is_after).sum(axis=1), (counts * is_after).sum(axis=1)], axis=1)
    controls = np.flatnonzero((days[:, 0] >= min_store_days) & (days[:, 1] >= min_store_days))
    controls = controls[controls > 0]
    counted = (
        int(responses[0, 0]), int(responses[0, 1]),
        int(responses[controls, 0].sum()), int(responses[controls, 1].sum()),
    )
    store_days = (int(days[0, 0]), int(days[0, 1]), int(days[controls, 0].sum()), int(days[controls, 1].sum()))

    def insufficient(note: str) -> StoreChangeEstimate:
        return StoreChangeEstimate(None, None, None, None, None, None, None, None, None, counted, store_days,
                                   int(controls.size), AR1_METHOD, confidence, False, note)

    if counts.shape[0] < 2:
        return insufficient("no other store to compare with")
    if days[0, 0] < min_store_days or days[0, 1] < min_store_days:
        return insufficient(f"too few days with responses in the store ({store_days[0]} before, {store_days[1]} "
                            f"after the change; {min_store_days} needed on each side)")
    if controls.size == 0:
        return insufficient(f"no other store with responses on at least {min_store_days} days before and after")

    noise = _within_day_variance(counts, sums, squares)
    weight = days[controls, 0].astype(float)
    level = (means[controls] * (observed[controls] & ~is_after)).sum(axis=1) / days[controls, 0]
    present = observed[controls] * weight[:, None]
    w_day = present.sum(axis=0)
    use = observed[0] & (w_day > 0)
    if (use & ~is_after).sum() < min_store_days or (use & is_after).sum() < min_store_days or use.sum() < \
            MIN_SERIES_DAYS:
        return insufficient("too few days on which the store and a control store both had responses")
    share = np.divide(present, w_day, out=np.zeros_like(present), where=w_day > 0)
    control = (share * (means[controls] - level[:, None])).sum(axis=0)
    series = (means[0] - control)[use]
    var_day = (noise[0] / np.where(observed[0], counts[0], 1.0)
               + (share**2 * noise[controls, None] / np.where(observed[controls], counts[controls], 1.0)).sum(axis=0))
    fit = _step_fit(is_after, observed[0], observed[controls], counts[0], counts[controls], means[0],
                    means[controls], noise[0], noise[controls], use, share, series, var_day[use], min_store_days)
    if fit is None:
        return insufficient("too few days on which the store and a control store both had responses")
    treated_y = means[0][use]
    step = is_after[use]
    treated_change = float(treated_y[step].mean() - treated_y[~step].mean())
    se = math.sqrt(fit.variance)
    effect = fit.effect
    if se == 0 and abs(effect) <= ROUNDING * (1.0 + float(np.abs(treated_y).max())):
        effect = 0.0  # no spread at all: what is left is the rounding of the sums, not a change
    if se > 0:
        t_crit = float(stats.t.ppf(0.5 + confidence / 2.0, fit.df))
        p_value = float(2.0 * stats.t.sf(abs(effect) / se, fit.df))
    else:
        t_crit, p_value = 0.0, (1.0 if effect == 0 else 0.0)
    return StoreChangeEstimate(
        effect=effect, se=se, low=effect - t_crit * se, high=effect + t_crit * se, df=fit.df,
        p_value=p_value, treated_change=treated_change, control_change=treated_change - effect, rho=fit.rho,
        n=counted, store_days=store_days, control_stores=int(controls.size), method=AR1_METHOD,
        confidence=confidence,
    )


@dataclass(frozen=True)
class _StepFit:
    effect: float
    variance: float
    df: float
    rho: float


def _step_fit(
    after: npt.NDArray[np.bool_], treated_days: npt.NDArray[np.bool_], control_days: npt.NDArray[np.bool_],
    treated_n: FloatArray, control_n: FloatArray, treated_y: FloatArray, control_y: FloatArray,
    treated_noise: float, control_noise: FloatArray, use: npt.NDArray[np.bool_], share: FloatArray,
    series: FloatArray, series_noise: FloatArray, min_days: int,
) -> _StepFit | None:
    """The step of the treated-minus-control series and its variance under a drift fitted on every store pair.

    The drift (γ0 per store, ρ) is fitted on the pooled moments of the series control k minus treated store (each
    on the days both answered; its drift is 2·γ0, day effects shared by the chain cancel), so every control store
    adds information about the drift, not only the one series the effect is read from.
    """
    total_q = np.zeros(LAGS + 1)
    total_a = np.zeros((LAGS + 1, _RHO_GRID.size))
    total_b = np.zeros(LAGS + 1)
    series_moments = []
    known: dict[bytes, _Days] = {}
    for k in range(control_y.shape[0]):
        both = treated_days & control_days[k]
        if (both & ~after).sum() < min_days or (both & after).sum() < min_days:
            continue
        pair_noise = treated_noise / np.where(treated_days, treated_n, 1.0) + control_noise[k] / np.where(
            control_days[k], control_n[k], 1.0)
        key = both.tobytes()
        if key not in known:
            known[key] = _days(np.flatnonzero(both), after[both])
        mom = _moments(known[key], after[both], (control_y[k] - treated_y)[both], pair_noise[both])
        total_q += mom.q
        total_a += 2.0 * mom.a
        total_b += mom.b
        series_moments.append(mom)
    pairs = len(series_moments)
    if pairs == 0:
        return None
    gamma0, rho, k_rho = _drift_fit(total_q, total_a, total_b)
    # Sampling variance of γ0 = Σ_l α_l (q_l - b_l) (α from the fit at ρ), each q_l a Gaussian quadratic form:
    # Var(r'Cr) = 2 tr(CΣCΣ) with Σ = M(2γ0 R(ρ) + V)M; the pairs share the treated store, counted below.
    alpha = total_a[:, k_rho] / max(float(total_a[:, k_rho] @ total_a[:, k_rho]), 1e-300)
    var_gamma = 0.0
    for mom in series_moments:
        lag_m = mom.days.lag
        drift_cov = np.asarray(2.0 * gamma0 * (rho ** np.arange(int(lag_m.max()) + 1))[lag_m] + np.diag(mom.noise),
                               dtype=np.float64)
        cov = _project(drift_cov, mom.days.basis)
        form = np.where(lag_m <= LAGS, np.append(alpha, 0.0)[np.minimum(lag_m, LAGS + 1)], 0.0)
        half = form @ cov
        var_gamma += 2.0 * float(np.sum(half * half.T))
    day = np.flatnonzero(use)
    step = after[use]
    m = day.size
    n_after = int(step.sum())
    c = np.where(step, 1.0 / n_after, -1.0 / (m - n_after))
    effect = float(c @ series)
    lag = np.abs(day[:, None] - day[None, :])
    w = share[:, use]
    corr = (rho ** np.arange(int(lag.max()) + 1))[lag] * (1.0 + w.T @ w)
    drift = gamma0 * float(c @ corr @ c)
    white = float(c**2 @ series_noise)
    variance = drift + white
    kappa = float(c @ corr @ c)
    # pairs sharing the treated store: their squared forms correlate about 1/4, so they count pairs/(1 + (pairs-1)/4)
    var_variance = kappa**2 * var_gamma * pairs / (pairs / (1.0 + (pairs - 1) / 4.0))
    df = min(max(2.0 * variance**2 / var_variance, 1.0), 1e6) if var_variance > 0 else 1e6
    return _StepFit(effect, variance, df, rho)


def _within_day_variance(counts: FloatArray, sums: FloatArray, squares: FloatArray) -> FloatArray:
    """Per store, the outcome's pooled variance within a day (the chain's when the store has no day with two)."""
    dev = np.where(counts > 1, squares - np.divide(sums**2, counts, out=np.zeros_like(sums), where=counts > 0), 0.0)
    dev = np.maximum(dev, 0.0)
    dof = np.maximum(counts - 1.0, 0.0)
    chain = float(dev.sum() / dof.sum()) if dof.sum() > 0 else 0.0
    per_store = dof.sum(axis=1)
    out: FloatArray = np.where(per_store > 0, dev.sum(axis=1) / np.where(per_store > 0, per_store, 1.0), chain)
    return out


@dataclass(frozen=True)
class _Days:
    """What the moments' expectations need of a set of days (the same for every pair answering on the same days)."""

    basis: FloatArray
    lag: npt.NDArray[np.int64]
    a: FloatArray
    diagonals: FloatArray


@dataclass(frozen=True)
class _Moments:
    q: FloatArray
    a: FloatArray
    b: FloatArray
    days: _Days
    noise: FloatArray


def _days(day: npt.NDArray[np.int64], after: npt.NDArray[np.bool_]) -> _Days:
    """a_l(ρ) = tr(L_l M R(ρ) M) on the ρ grid (R(ρ)_ij = ρ^|day_i - day_j|) and the diagonals of M L_l M."""
    basis = np.stack([after, ~after], axis=1) / np.sqrt(np.array([after.sum(), (~after).sum()], dtype=float))
    lag = np.abs(day[:, None] - day[None, :])
    top = int(lag.max())
    powers = _RHO_GRID[:, None] ** np.arange(top + 1)[None, :]
    a = np.empty((LAGS + 1, _RHO_GRID.size))
    diagonals = np.empty((LAGS + 1, day.size))
    for ell in range(LAGS + 1):
        mlm = _project((lag == ell).astype(float), basis)
        # tr(L M R M) = Σ (M L M) ∘ R: a polynomial in ρ whose coefficients are M L M's entries summed per lag
        a[ell] = powers @ np.bincount(lag.ravel(), weights=mlm.ravel(), minlength=top + 1)
        diagonals[ell] = np.diag(mlm)
    return _Days(basis, lag, a, diagonals)


def _moments(days: _Days, after: npt.NDArray[np.bool_], y: FloatArray, noise: FloatArray) -> _Moments:
    """Residual cross-products of a daily series and their exact expectations' parts, lags 0..LAGS.

    With r the residuals of the before and after means (r = M y) and L_l the pairs of days l apart:
    q_l = r'L_l r, a_l(ρ) = tr(L_l M R(ρ) M) and b_l = tr(L_l M V M) with V the known response noise, so that
    E[q_l] = γ0·a_l(ρ) + b_l for an AR(1) drift of variance γ0.
    """
    centred = np.where(after, y - y[after].mean(), y - y[~after].mean())
    q = np.array([float(centred @ (days.lag == ell) @ centred) for ell in range(LAGS + 1)])
    return _Moments(q, days.a, days.diagonals @ noise, days, noise)


def _project(x: FloatArray, basis: FloatArray) -> FloatArray:
    """M x M for M = I - U U' (U: the orthonormal period indicators), in O(m²)."""
    xu = x @ basis
    ux = basis.T @ x
    out: FloatArray = x - basis @ ux - xu @ basis.T + basis @ (basis.T @ xu) @ basis.T
    return out


def _drift_fit(q: FloatArray, a: FloatArray, b: FloatArray) -> tuple[float, float, int]:
    """(γ0, ρ, ρ's grid index) fitting E[q_l] = γ0·a_l(ρ) + b_l by least squares (γ0 >= 0; ρ on the grid)."""
    excess = q - b
    gamma = np.maximum((a * excess[:, None]).sum(axis=0) / np.maximum((a * a).sum(axis=0), 1e-300), 0.0)
    misfit = ((excess[:, None] - a * gamma[None, :]) ** 2).sum(axis=0)
    k = int(np.argmin(misfit))
    return float(gamma[k]), float(_RHO_GRID[k]), k

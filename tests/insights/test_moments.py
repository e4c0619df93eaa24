"""Key drivers and the linear model from rollup moments equal those from the raw responses."""

from __future__ import annotations

import numpy as np
import pytest

from pejling.core.insights import moments
from pejling.core.insights import statistics as st


def _data(seed: int, n: int = 800) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    cov = 0.4 * np.ones((5, 5)) + 0.6 * np.eye(5)
    x = rng.multivariate_normal(np.full(5, 3.0), cov, size=n)
    y = 2.0 + x @ np.array([1.2, 0.2, 0.5, 0.0, 0.3]) + rng.normal(0, 1.0, size=n)
    return x, y


def _moments(x: np.ndarray, y: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    z = np.column_stack([x, y])
    return z.shape[0], z.sum(axis=0), z.T @ z


@pytest.mark.parametrize("method", ["shapley", "relative_weights"])
def test_importance_from_moments_equals_raw(method: str) -> None:
    x, y = _data(1)
    n, s, cross = _moments(x, y)
    names = [f"g{i}" for i in range(5)]
    ours = moments.importance(n, s, cross, names, method=method)  # type: ignore[arg-type]
    raw = (st.shapley_r2 if method == "shapley" else st.relative_weights)(x, y, names=names)
    assert ours.importance is not None and raw.importance is not None
    np.testing.assert_allclose(ours.importance, raw.importance, atol=1e-10)
    assert ours.r2 == pytest.approx(raw.r2, abs=1e-10)
    assert sum(ours.importance) == pytest.approx(ours.r2, abs=1e-12)
    assert max(range(5), key=lambda i: ours.importance[i]) == 0  # the strongest true driver ranks first


def test_linear_fit_from_moments_equals_ols() -> None:
    x, y = _data(2)
    n, s, cross = _moments(x, y)
    ours = moments.linear_fit(n, s, cross, [f"g{i}" for i in range(5)])
    raw = st.fit_linear(x, y)
    assert ours.coefficients is not None and raw.coefficients is not None and ours.se is not None and raw.se is not None
    np.testing.assert_allclose(ours.coefficients, raw.coefficients, atol=1e-8)
    np.testing.assert_allclose(ours.se, raw.se, rtol=1e-6)
    assert ours.intercept == pytest.approx(raw.intercept, abs=1e-8)
    assert ours.r2 == pytest.approx(raw.r2, abs=1e-10)


def test_parametric_bootstrap_brackets_the_estimate_and_is_reproducible() -> None:
    x, y = _data(3)
    n, s, cross = _moments(x, y)
    names = [f"g{i}" for i in range(5)]
    a = moments.bootstrap_importance(n, s, cross, names, n_boot=300, seed=4)
    b = moments.bootstrap_importance(n, s, cross, names, n_boot=300, seed=4)
    assert a == b
    assert a.importance and a.low and a.high
    assert all(lo <= v <= hi for v, lo, hi in zip(a.importance, a.low, a.high, strict=True))
    raw = st.bootstrap_importance(x, y, n_boot=300, seed=4, names=names)
    assert raw.low and raw.high
    # The parametric intervals are of the same size as the resampling ones (normal data).
    ours_width = np.subtract(a.high, a.low)
    raw_width = np.subtract(raw.high, raw.low)
    assert np.all(ours_width < 2.5 * raw_width) and np.all(ours_width > 0.4 * raw_width)


def test_too_few_responses_for_drivers() -> None:
    x, y = _data(4, n=20)
    n, s, cross = _moments(x, y)
    result = moments.bootstrap_importance(n, s, cross, [f"g{i}" for i in range(5)])
    assert not result.sufficient and result.importance is None and "too few responses" in (result.note or "")

"""The minimum-n guard: below ``min_n`` a figure is reported as "too few responses", with no number.

Every estimator of the statistics package starts with ``if (guard := too_few(n, min_n)) is not None: return guard``
(or builds its own insufficient result from the guard's note) rather than return a misleading number.
"""

from __future__ import annotations

from dataclasses import dataclass

from pejling.core.insights.statistics.results import Result

MIN_N = 30
"""Default minimum number of responses below which a score is reported as "too few responses"."""

MIN_N_DRIVERS = 50
"""Default minimum number of complete responses for key-driver analysis (also always at least p + 2)."""

TOO_FEW_RESPONSES = "too few responses"


@dataclass(frozen=True)
class Estimate(Result):
    """A point estimate with an interval. ``value``/``low``/``high`` are ``None`` when ``sufficient`` is False."""

    value: float | None
    low: float | None
    high: float | None
    n: int
    sufficient: bool = True
    note: str | None = None


def too_few(n: int, min_n: int = MIN_N) -> Estimate | None:
    """Minimum-n guard: return an insufficient :class:`Estimate` ("too few responses") if ``n < min_n``, else None.

    Used by every estimator of the package, e.g. ``if (guard := too_few(n, min_n)) is not None: return guard``.
    ``min_n`` is configurable per call; it is never allowed below 1.
    """
    if min_n < 1:
        raise ValueError(f"min_n must be >= 1, got {min_n}")
    if n < min_n:
        return Estimate(None, None, None, int(n), sufficient=False, note=f"{TOO_FEW_RESPONSES} ({n} < {min_n})")
    return None

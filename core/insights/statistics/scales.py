"""Answers on a scale: raw integer answers counted into histograms, and the checks of counts and histograms."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt


def check_count(name: str, value: int) -> int:
    """``value`` as an int; refuses anything but a non-negative integer (booleans too)."""
    if isinstance(value, bool) or int(value) != value or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def integer_scores(scores: npt.ArrayLike, low: int, high: int, what: str) -> npt.NDArray[np.int64]:
    """Raw answers as integers; refuses non-integers and values outside ``low..high``."""
    arr = np.asarray(scores, dtype=float).ravel()
    if arr.size and (not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr))):
        raise ValueError(f"{what} scores must be finite integers")
    if arr.size and (arr.min() < low or arr.max() > high):
        raise ValueError(f"{what} scores must lie in {low}..{high}")
    return arr.astype(np.int64)


def scale_histogram(scores: npt.ArrayLike, low: int, high: int) -> tuple[int, ...]:
    """Count raw integer answers on the scale ``low..high`` into a histogram (one count per scale point)."""
    arr = integer_scores(scores, low, high, "scale")
    counts = np.bincount(arr - low, minlength=high - low + 1)
    return tuple(int(c) for c in counts)


def check_histogram(histogram: Sequence[int], points: int, what: str) -> npt.NDArray[np.int64]:
    """A histogram of ``points`` counts (one per scale point) as an integer array; refuses any other length."""
    if len(histogram) != points:
        raise ValueError(f"{what} histogram must have {points} counts (one per scale point), got {len(histogram)}")
    return np.array([check_count(f"{what} count", c) for c in histogram], dtype=np.int64)

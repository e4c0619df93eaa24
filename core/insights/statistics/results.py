"""What every statistics result shares: ``to_dict()``, the float-array type and the critical value of a confidence.

All results are small frozen dataclasses holding plain Python floats/ints/strings/tuples (JSON-friendly:
``dataclasses.asdict(result)`` or ``result.to_dict()``).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

FloatArray = npt.NDArray[np.float64]


class Result:
    """Mixin giving every result a ``to_dict()`` (plain JSON-compatible values)."""

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a dict of JSON-compatible values."""
        return asdict(self)  # type: ignore[call-overload]


def z_critical(confidence: float) -> float:
    """The two-sided normal critical value of ``confidence`` (1.96 for 0.95); refuses values outside (0, 1)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return float(stats.norm.ppf(0.5 + confidence / 2.0))

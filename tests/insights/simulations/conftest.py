"""The simulation suite imports the insights tests' generators (``simulate``, ``helpers``) from the folder above."""

from __future__ import annotations

import sys
from pathlib import Path

_INSIGHTS_TESTS = str(Path(__file__).resolve().parents[1])
if _INSIGHTS_TESTS not in sys.path:
    sys.path.insert(0, _INSIGHTS_TESTS)

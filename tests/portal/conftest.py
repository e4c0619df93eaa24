"""Fixtures of the portal tests: the built portal (``make test`` builds it; a run without it fails and says how)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pejling.core.portal_routes import DEFAULT_DIR


def built_portal() -> Path:
    """The portal built by ``npm run --prefix frontend build:portal``; fails (never skips) when it is missing."""
    if not (DEFAULT_DIR / "index.html").is_file():
        pytest.fail("the portal is not built: run `make test`, or `npm run --prefix frontend build:portal`")
    return DEFAULT_DIR


def vite_manifest() -> dict[str, Any]:
    """Vite's manifest of the build: each chunk with its file, static imports and lazy (dynamic) imports."""
    return dict(json.loads((built_portal() / ".vite" / "manifest.json").read_text()))

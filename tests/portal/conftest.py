"""Fixtures of the portal tests: the built portal (``make test`` builds it; a run without it fails and says how),
headless Chromium, and the check every browser test makes of each page (axe-core, the page's policy, a screenshot)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from pejling.core.portal_routes import DEFAULT_DIR
from tests.survey_page.phone import ROOT, headless_chromium

AXE = (ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js").read_text()
#: Where the browser tests keep a screenshot of each page they check (a CI artifact).
SHOTS = ROOT / "build" / "artifacts" / "portal"


def built_portal() -> Path:
    """The portal built by ``npm run --prefix frontend build:portal``; fails (never skips) when it is missing."""
    if not (DEFAULT_DIR / "index.html").is_file():
        pytest.fail("the portal is not built: run `make test`, or `npm run --prefix frontend build:portal`")
    return DEFAULT_DIR


def vite_manifest() -> dict[str, Any]:
    """Vite's manifest of the build: each chunk with its file, static imports and lazy (dynamic) imports."""
    return dict(json.loads((built_portal() / ".vite" / "manifest.json").read_text()))


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async for chromium in headless_chromium():
        yield chromium


async def check_page(page: Page, name: str, refused: list[str]) -> None:
    """axe-core finds no serious or critical violation on the page as it is (injected through the DevTools protocol:
    the page's policy stays on), the Content-Security-Policy refused nothing, and a screenshot is kept as ``name``."""
    await page.evaluate(AXE)
    result = await page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})"
    )
    bad = [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"{name}: {json.dumps(bad, indent=1)}"
    assert not refused, f"{name}: the Content-Security-Policy refused {refused}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

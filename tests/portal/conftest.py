"""Fixtures of the portal tests: the built portal (``make test`` builds it; a run without it fails and says how),
headless Chromium, and the check every browser test makes of each page (axe-core, the page's policy, a screenshot)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, Page, Request

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


def token_watch(page: Page, token: str) -> dict[str, int]:
    """Where ``token`` leaves the browser in the requests ``page`` makes from now on, counted by place: ``"in the
    body"`` (a GraphQL body), ``"in the address or a header"`` (a request's path or query, or a header such as
    ``Referer``: what ASVS V14.2.1 forbids). The fragment of an address is not part of any request."""
    seen: dict[str, int] = {}

    async def note(request: Request) -> None:
        parts = urlsplit(request.url)
        headers = await request.all_headers()
        if token in parts.path + parts.query or any(token in value for value in headers.values()):
            seen["in the address or a header"] = seen.get("in the address or a header", 0) + 1
        if token in (request.post_data or ""):
            seen["in the body"] = seen.get("in the body", 0) + 1

    page.on("request", note)
    return seen

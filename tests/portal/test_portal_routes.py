"""The portal's pages and bundle as the server answers them: every portal URL gets the built index.html, never
cached and under a same-origin Content-Security-Policy; the hashed files are cached for a year; a missing build
explains itself; the shopper page does not load the portal; the first download stays within its budget."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from pejling.core.portal_routes import IMMUTABLE, PAGE_CSP, PortalSettings, portal_routes
from tests.portal.conftest import built_portal, vite_manifest
from tests.survey_page.conftest import make_shop

PORTAL_URLS = ["/", "/login", "/signup", "/confirm-signup?token=abc", "/reset-password?token=abc",
               "/accept-invitation?token=abc", "/portal", "/portal/team", "/portal/api-tokens", "/portal/privacy",
               "/portal/billing", "/portal/security",
               "/portal/stores/U3RvcmU6eA==/dashboard", "/portal/follow-ups/3f2504e0-4f89-11d3-9a0c-0305e82c3301"]
#: The most JavaScript the portal's first page may make a browser download, compressed (issue 12).
INITIAL_JS_BUDGET = 250_000


def _policies(response: httpx.Response) -> list[str]:
    return response.headers.get_list("content-security-policy")


async def test_every_portal_url_answers_the_built_page(client: httpx.AsyncClient) -> None:
    index = (built_portal() / "index.html").read_text()
    for url in PORTAL_URLS:
        response = await client.get(url)
        assert response.status_code == 200, url
        assert response.text == index, url
        assert response.headers["cache-control"] == "no-cache"
        assert _policies(response) == [PAGE_CSP]
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', index)
    styles = re.findall(r'<link rel="stylesheet"[^>]*href="([^"]+)"', index)
    assert len(scripts) == 1 and scripts[0].startswith("/portal-assets/assets/index-")
    assert "<script>" not in index and "style=" not in index  # nothing inline: the policy would refuse it
    for asset in scripts + styles:
        response = await client.get(asset)
        assert response.status_code == 200, asset
        assert response.headers["cache-control"] == IMMUTABLE
    assert (await client.get("/portal-assets/assets/nothing-here.js")).status_code == 404


async def test_head_and_unknown_paths(client: httpx.AsyncClient) -> None:
    assert (await client.head("/login")).status_code == 200
    assert (await client.get("/loginx")).status_code == 404  # only the portal's own URLs answer the page
    assert (await client.post("/login")).status_code == 405


async def test_a_missing_build_says_how_to_build_it(tmp_path: Path) -> None:
    app = Starlette(routes=portal_routes(PortalSettings(dir=tmp_path)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        response = await http.get("/portal")
        assert response.status_code == 503
        assert "build:portal" in response.text and "PEJLING_PORTAL_DIR" in response.text
        assert response.headers["cache-control"] == "no-store"
        assert (await http.get("/portal-assets/assets/index-x.js")).status_code == 404
        (tmp_path / "index.html").write_text("<!doctype html><title>built</title>")
        assert (await http.get("/portal")).text == "<!doctype html><title>built</title>"  # picked up once built


async def test_the_shopper_page_does_not_load_the_portal(client: httpx.AsyncClient, database: Any) -> None:
    shop = await make_shop()
    response = await client.get(shop.url)
    assert response.status_code == 200
    assert "/portal-assets/" not in response.text and "/graphiql-assets/" not in response.text


def _initial_files(manifest: dict[str, Any], key: str, seen: set[str]) -> set[str]:
    """The files a browser loads for chunk ``key`` before the page runs: it and its static imports, recursively."""
    if key in seen:
        return set()
    seen.add(key)
    chunk = manifest[key]
    files = {chunk["file"], *chunk.get("css", [])}
    for imported in chunk.get("imports", []):
        files |= _initial_files(manifest, imported, seen)
    return files


def test_the_first_download_is_within_budget_and_the_charts_load_later() -> None:
    manifest = vite_manifest()
    (entry,) = [key for key, chunk in manifest.items() if chunk.get("isEntry")]
    initial = _initial_files(manifest, entry, set())
    directory = built_portal()
    js = [name for name in initial if name.endswith(".js")]
    compressed = sum(len(gzip.compress((directory / name).read_bytes(), 9)) for name in js)
    assert 0 < compressed <= INITIAL_JS_BUDGET, f"initial JavaScript is {compressed} bytes compressed"
    lazy = {manifest[key]["file"] for chunk in manifest.values() for key in chunk.get("dynamicImports", [])}
    chart = [name for name in lazy if "GoalProfileChart" in name]
    assert chart and not set(chart) & initial  # the charting library is not in the first download

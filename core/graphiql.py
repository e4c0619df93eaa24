"""GraphiQL served by Pejling itself: the page at ``GET /graphql`` and its bundle at ``/graphiql-assets/``.

The bundle is built from npm packages by ``frontend/graphiql/build.mjs`` (``make run`` and ``make test`` run it)
into ``frontend/build/graphiql/``: content-hashed files plus ``manifest.json`` naming them. The page loads only
those same-origin files under a Content-Security-Policy without inline scripts and without any other origin.
When the bundle has not been built (e.g. an installed wheel), the page says so instead of staying blank.
"""

from __future__ import annotations

import html
import json
import logging
import os
from pathlib import Path
from typing import Any

from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from pejling.core.settings import Settings
from pejling.frontend import FRONTEND_DIR

log = logging.getLogger(__name__)

#: Where the bundle is served; the page refers to its files under this prefix.
ASSETS_PATH = "/graphiql-assets"
DEFAULT_DIR = FRONTEND_DIR / "build" / "graphiql"

#: GraphiQL's page: scripts, workers, styles and fonts from this origin only, and requests to this origin only.
#: Styles allow 'unsafe-inline' because the Monaco editor inserts <style> elements at run time (it supports no
#: nonce); scripts never run inline.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; worker-src 'self'; style-src 'self' 'unsafe-inline'; "
    "font-src 'self' data:; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
MISSING_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
IMMUTABLE = "public, max-age=31536000, immutable"


def bundle_dir(settings: Settings) -> Path:
    """The folder holding ``manifest.json`` and the hashed files."""
    return settings.graphiql_dir or DEFAULT_DIR


def read_manifest(directory: Path) -> dict[str, Any] | None:
    """The build's manifest, or None when the bundle is missing or incomplete."""
    try:
        manifest = json.loads((directory / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    files = [manifest.get("script"), manifest.get("style"), *dict(manifest.get("workers") or {}).values()]
    if not all(isinstance(name, str) and name and (directory / name).is_file() for name in files):
        return None
    return dict(manifest)


def graphiql_page(settings: Settings, endpoint: str = "/graphql") -> Response:
    """The GraphiQL page, or a page explaining how to build the missing bundle (503)."""
    manifest = read_manifest(bundle_dir(settings))
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}
    if manifest is None:
        log.warning("GraphiQL bundle missing in %s: run `make run` or `npm run --prefix frontend build:graphiql`",
                    bundle_dir(settings))
        return HTMLResponse(_MISSING, status_code=503, headers={**headers, "Content-Security-Policy": MISSING_CSP})
    script = html.escape(f"{ASSETS_PATH}/{manifest['script']}")
    style = html.escape(f"{ASSETS_PATH}/{manifest['style']}")
    page = _PAGE.format(script=script, style=style, endpoint=html.escape(endpoint))
    return HTMLResponse(page, headers={**headers, "Content-Security-Policy": PAGE_CSP})


class GraphiQLAssets(StaticFiles):
    """The bundle's files; their names carry a content hash, so browsers may keep them for a year."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(directory=bundle_dir(settings), check_dir=False)

    async def check_config(self) -> None:
        """A missing bundle answers 404 (the page explains it) rather than failing every request."""

    def file_response(
        self, full_path: Any, stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "no-cache" if Path(full_path).name == "manifest.json" else IMMUTABLE
        response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
        return response


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pejling GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{style}">
<script src="{script}" defer></script>
</head>
<body>
<div id="graphiql" data-endpoint="{endpoint}">Loading GraphiQL…</div>
</body>
</html>
"""

_MISSING = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>GraphiQL is not built</title>
<style>body { font: 16px/1.5 system-ui, sans-serif; margin: 3rem auto; max-width: 42rem; padding: 0 1rem; }</style>
</head>
<body>
<h1>GraphiQL is not built</h1>
<p>This server has no GraphiQL bundle, so the in-browser IDE cannot load. The GraphQL API itself works:
send <code>POST /graphql</code> requests.</p>
<p>To build the bundle from a source checkout, run <code>make run</code> (or
<code>npm ci --prefix frontend &amp;&amp; npm run --prefix frontend build:graphiql</code>), then reload this page.
An installation elsewhere can point <code>PEJLING_GRAPHIQL_DIR</code> at a built bundle.</p>
</body>
</html>
"""

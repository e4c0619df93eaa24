"""The retailer portal served by Pejling: its pages and its bundle at ``/portal-assets/``.

The portal is a single-page app (``frontend/portal/``, TypeScript and React) built by Vite into
``frontend/build/portal/`` (``make run`` and ``make test`` build it): one ``index.html`` and content-hashed files
under ``assets/``. Every portal URL (:data:`PAGES`: ``/``, ``/login``, ``/signup``, the links of the sign-up,
password-reset and invitation mails, ``/portal/…``) answers that same page, never cached, under a
Content-Security-Policy that allows scripts, styles and requests of this origin only; the hashed files are cached
for a year. The portal talks to the public GraphQL API and the live feed only, like any integrator's code. When the
bundle has not been built (e.g. an installed wheel), the pages say so (503) instead of staying blank.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic_settings import SettingsConfigDict
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from pejling.core.settings import SettingsWithSecretFiles
from pejling.frontend import FRONTEND_DIR

log = logging.getLogger(__name__)

#: Where the bundle is served (Vite's ``base`` in frontend/portal/vite.config.mts).
ASSETS_PATH = "/portal-assets"
DEFAULT_DIR = FRONTEND_DIR / "build" / "portal"
#: The portal's own URLs: each answers index.html and the app routes in the browser.
PAGES = ("/", "/login", "/signup", "/confirm-signup", "/reset-password", "/accept-invitation", "/portal",
         "/portal/{rest:path}")

#: Scripts, styles, images and requests of this origin only; no inline script or style sheet; no framing of the
#: portal. It may frame pages of this origin (the survey editor's phone-frame preview, ``/s/…?preview=1``).
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; manifest-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; "
    "frame-ancestors 'none'"
)
MISSING_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
IMMUTABLE = "public, max-age=31536000, immutable"


class PortalSettings(SettingsWithSecretFiles):
    """Process-wide settings of the portal (``PEJLING_PORTAL_`` environment variables)."""

    model_config = SettingsConfigDict(env_prefix="PEJLING_PORTAL_", extra="ignore")

    dir: Path | None = None
    """The built portal (a folder with ``index.html`` and ``assets/``); default ``frontend/build/portal``."""


def bundle_dir(settings: PortalSettings | None = None) -> Path:
    """The folder of the built portal."""
    return (settings or PortalSettings()).dir or DEFAULT_DIR


@lru_cache(maxsize=8)
def _read_index(path: Path, mtime_ns: int) -> str:
    return path.read_text(encoding="utf-8")


def index_html(directory: Path) -> str | None:
    """The built ``index.html`` (read again only when the build changes), or None when it is missing."""
    path = directory / "index.html"
    try:
        return _read_index(path, path.stat().st_mtime_ns)
    except OSError:
        return None


def page_policy(shopper_origin: str = "") -> str:
    """:data:`PAGE_CSP`, framing pages of ``shopper_origin`` too when the shoppers' pages have an origin of their own
    (the preview, ``/s/…?preview=1``, answers 308 there: core/shopper_host.py)."""
    if not shopper_origin:
        return PAGE_CSP
    return PAGE_CSP.replace("frame-src 'self';", f"frame-src 'self' {shopper_origin};")


def portal_page(directory: Path, shopper_origin: str = "") -> Response:
    """The portal's page, or a page explaining how to build the missing bundle (503)."""
    headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    page = index_html(directory)
    if page is None:
        log.warning("portal bundle missing in %s: run `make run` or `npm run --prefix frontend build:portal`",
                    directory)
        return HTMLResponse(_MISSING, status_code=503,
                            headers={**headers, "Cache-Control": "no-store", "Content-Security-Policy": MISSING_CSP})
    return HTMLResponse(page, headers={**headers, "Content-Security-Policy": page_policy(shopper_origin)})


class PortalAssets(StaticFiles):
    """The bundle's files; their names carry a content hash, so browsers may keep them for a year."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory, check_dir=False)

    async def check_config(self) -> None:
        """A missing bundle answers 404 (the pages explain it) rather than failing every request."""

    def file_response(
        self, full_path: Any, stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        hashed = Path(full_path).parent.name == "assets"
        response.headers["Cache-Control"] = IMMUTABLE if hashed else "no-cache"
        response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
        return response


def portal_routes(settings: PortalSettings | None = None, *, shopper_origin: str = "") -> list[BaseRoute]:
    """The portal's pages and its bundle, for ``core/app.py``; ``shopper_origin``: the ``shopper_base_url`` whose
    preview pages the portal frames (empty: they are on the portal's own origin)."""
    directory = bundle_dir(settings)

    async def page(request: Request) -> Response:
        return portal_page(directory, shopper_origin)

    return [
        *(Route(path, page, methods=["GET", "HEAD"], name=f"portal:{path}") for path in PAGES),
        Mount(ASSETS_PATH, app=PortalAssets(directory)),
    ]


_MISSING = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>The portal is not built</title>
<style>body { font: 16px/1.5 system-ui, sans-serif; margin: 3rem auto; max-width: 42rem; padding: 0 1rem; }</style>
</head>
<body>
<h1>The portal is not built</h1>
<p>This server has no portal bundle, so the retailer portal cannot load. The GraphQL API itself works:
send <code>POST /graphql</code> requests.</p>
<p>To build the portal from a source checkout, run <code>make run</code> (or
<code>npm ci --prefix frontend &amp;&amp; npm run --prefix frontend build:portal</code>), then reload this page.
An installation elsewhere can point <code>PEJLING_PORTAL_DIR</code> at a built portal.</p>
</body>
</html>
"""

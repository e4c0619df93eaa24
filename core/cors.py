"""Cross-origin requests to the GraphQL API, from the origins an operator configured and from nowhere else.

By default no origin is allowed: a browser on another site cannot read any answer of Pejling's (the portal and the
shopper pages are same-origin). ``PEJLING_CORS_ORIGINS`` names the web apps of integrators that call ``/graphql``
from the browser with an API token (``https://app.example.com,https://admin.example.com``). Only ``/graphql`` is
opened, only for ``GET``, ``POST`` and their preflight, with the headers an API call needs, and never with
credentials: such a page sends its token in ``Authorization``, and the retailer's session cookie is not sent by the
browser nor accepted (no ``Access-Control-Allow-Credentials``), so cookie-based CSRF protection stays whole.

Starlette's :class:`~starlette.middleware.cors.CORSMiddleware` does the work; this module only limits it to the
API path and the configured list.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from pejling.core.settings import Settings

#: The path cross-origin callers may reach.
API_PATH = "/graphql"
#: What a browser may send cross-origin besides the CORS-safelisted headers.
ALLOWED_HEADERS = ["Authorization", "Content-Type", "X-Pejling-Tenant"]
#: How long a browser may cache a preflight answer.
PREFLIGHT_MAX_AGE = 600


class ApiCorsMiddleware:
    """CORS for :data:`API_PATH` from ``settings.cors_origins``; every other path (or no origin configured) passes
    through untouched."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.cors: ASGIApp | None = None
        if settings.cors_origins:
            self.cors = CORSMiddleware(
                app, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
                allow_headers=ALLOWED_HEADERS, allow_credentials=False, max_age=PREFLIGHT_MAX_AGE,
                expose_headers=["Retry-After"],
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.cors is not None and scope["type"] == "http" and scope["path"] == API_PATH:
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)

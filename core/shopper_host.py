"""The shoppers' pages on a host name of their own (``shopper_base_url``; OWASP ASVS 3.5.4).

With ``PEJLING_SHOPPER_BASE_URL`` set, the survey, invitation, receipt, kiosk and unsubscribe pages answer on that
host and nothing else does there; the portal, the API, the webhooks and the plugins answer on ``base_url``'s host
only. A script that ever ran in a shopper page then runs in another origin than the portal and its session cookie.

* On the shopper host: :data:`SHOPPER_PREFIXES` (and ``/r``), ``/healthz`` and ``/readyz``; anything else is 404.
* On any other host: a ``GET`` or ``HEAD`` of a shopper path answers 308 to the same path and query on the shopper
  origin (printed posters, NFC tags and mailed links made before the switch keep working). Another method (a
  shopper's answer posted by a page opened before the switch, or waiting in a phone's outbox) is served there as it
  was, so no answer is lost. A tenant's logo (``/s/<tenant>/logo``) is served on both: the portal shows it beside
  its own pages.

The host is the request's ``Host`` header, as :func:`pejling.core.auth.forwarded.request_origin` reads it, with
the scheme's default port dropped. Empty setting: this middleware is not installed (one origin, as before).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from pejling.core.settings import Settings

#: The paths of the shoppers' pages: survey pages and their submissions and logo (``/s/``), QR scans (``/q/``),
#: invitations (``/i/``), receipts (``/r``, ``/r/…``), kiosk screens (``/k/``) and unsubscribing (``/u/``).
SHOPPER_PREFIXES = ("/s/", "/q/", "/i/", "/r/", "/k/", "/u/")
#: Answered on both hosts (load balancers and probes ask either).
BOTH_HOSTS = frozenset({"/healthz", "/readyz"})


def is_shopper_path(path: str) -> bool:
    """True for a path of the shoppers' pages (:data:`SHOPPER_PREFIXES`, or ``/r`` itself)."""
    return path == "/r" or path.startswith(SHOPPER_PREFIXES)


def is_logo_path(path: str) -> bool:
    """True for ``/s/<tenant>/logo``, which both hosts serve."""
    parts = path.split("/")
    return len(parts) == 4 and parts[1] == "s" and parts[3] == "logo" and parts[2] != ""


def host_of(origin_or_host: str, scheme: str = "") -> str:
    """``host[:port]`` lower-cased, without the scheme's default port (``shop.example:443`` → ``shop.example``)."""
    text = origin_or_host.strip()
    parts = urlsplit(text if "://" in text else f"//{text}")
    try:
        port = parts.port
    except ValueError:
        return ""
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    scheme = parts.scheme or scheme
    if port is None or port == {"https": 443, "http": 80}.get(scheme) or (not scheme and port in (80, 443)):
        return host
    return f"{host}:{port}"


class ShopperHostMiddleware:
    """Keeps the shoppers' pages and everything else on their own hosts (see the module's docstring)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.origin = settings.shopper_base_url.rstrip("/")
        self.host = host_of(self.origin)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path in BOTH_HOSTS:
            await self.app(scope, receive, send)
            return
        on_shopper_host = host_of(Headers(scope=scope).get("host", "")) == self.host
        shopper_path = is_shopper_path(path)
        # A submission to the old host (a page opened before the switch, a phone's outbox) is stored, not refused.
        late_answer = shopper_path and scope["type"] == "http" and scope["method"] not in {"GET", "HEAD"}
        if on_shopper_host == shopper_path or is_logo_path(path) or late_answer:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        if shopper_path and scope["method"] in {"GET", "HEAD"}:
            raw = scope.get("raw_path")
            query = scope.get("query_string", b"").decode("latin-1")
            target = self.origin + (raw.decode("latin-1") if raw else path) + (f"?{query}" if query else "")
            response: Response = RedirectResponse(target, status_code=308, headers={"Cache-Control": "no-store"})
        else:
            response = PlainTextResponse("Not Found", status_code=404, headers={"Cache-Control": "no-store"})
        await response(scope, receive, send)

"""Prometheus metrics: request counts and latencies, served at ``/metrics`` to Prometheus only.

``/metrics`` is answered by :class:`MetricsMiddleware` itself, before authentication and routing:

* with ``PEJLING_METRICS_TOKEN`` set, only to ``Authorization: Bearer <that token>`` (401 otherwise, from
  anywhere);
* without it, only to a request made directly from this machine: the peer is a loopback address, not one of
  the trusted proxies, and the request carries no forwarding header. Everyone else gets 404, so the default is
  closed from the outside even behind a reverse proxy on the same host.
"""

from __future__ import annotations

import hmac
import ipaddress
import time

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pejling.core.auth.forwarded import is_trusted
from pejling.core.settings import Settings

REQUESTS = Counter("pejling_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("pejling_http_request_seconds", "HTTP request latency", ["method", "route"])

METRICS_PATH = "/metrics"
#: A request with any of these came through a proxy, so its loopback peer says nothing about the client.
FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip", "x-forwarded-host", "x-forwarded-proto")


def _route_name(scope: Scope) -> str:
    if scope["path"] == METRICS_PATH:
        return METRICS_PATH
    app = scope.get("app")
    router = getattr(app, "router", None)
    for route in getattr(router, "routes", []):
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return getattr(route, "path", "other")
    return "unmatched"


def _loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def metrics_allowed(scope: Scope, settings: Settings) -> Response | None:
    """None when this request may read the metrics, else the refusal to answer."""
    headers = Headers(scope=scope)
    token = settings.metrics_token.get_secret_value()
    if token:
        scheme, _, credentials = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(credentials.strip().encode(), token.encode()):
            return None
        return JSONResponse(
            {"error": "invalid_token"}, status_code=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'}
        )
    client = scope.get("client")
    peer = client[0] if client else None
    direct = not any(name in headers for name in FORWARDING_HEADERS)
    if _loopback(peer) and direct and not is_trusted(peer, settings.trusted_proxies):
        return None
    return JSONResponse({"error": "not_found"}, status_code=404)


async def metrics(scope: Scope, receive: Receive, send: Send, settings: Settings) -> None:
    """Prometheus text exposition of this process's metrics, to callers :func:`metrics_allowed` lets in."""
    refusal = metrics_allowed(scope, settings)
    if refusal is not None:
        await refusal(scope, receive, send)
        return
    if scope["method"] not in {"GET", "HEAD"}:
        await Response(status_code=405, headers={"Allow": "GET, HEAD"})(scope, receive, send)
        return
    response = Response(generate_latest(), media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
    await response(scope, receive, send)


class MetricsMiddleware:
    """Counts requests by route template (never by raw path, which would explode label cardinality), and
    answers ``/metrics`` (see the module docstring for who may read it)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            if scope["path"] == METRICS_PATH:
                await metrics(scope, receive, send_wrapper, self.settings)
            else:
                await self.app(scope, receive, send_wrapper)
        finally:
            route = _route_name(scope)
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            LATENCY.labels(scope["method"], route).observe(time.perf_counter() - started)

"""Structured logging: JSON lines outside dev, readable lines in dev; and Pejling's own access log.

The access log (:class:`AccessLogMiddleware`, logger ``pejling.access``) replaces uvicorn's, which prints the
client's address and the full query string. Each request is one line with the method, the path without its
query string (a query is shown as ``?[redacted]``; path parameters named like secrets, e.g. the token of
``/i/{token}``, as ``[redacted]``), the status and the duration. The client appears only as a keyed,
daily-rotating hash (``client``), never as its address. uvicorn's access logger is switched off, and its other
messages are scrubbed of client addresses and query strings (:class:`ScrubUvicornAddresses`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import sys
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from pythonjsonlogger.json import JsonFormatter
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pejling.core.auth.forwarded import client_address
from pejling.core.settings import Settings

ACCESS_LOGGER = "pejling.access"
access_log = logging.getLogger(ACCESS_LOGGER)

#: Path parameters whose values are never logged (``[redacted]`` instead), e.g. an invitation's ``/i/{token}``
#: and a kiosk's device token in ``/k/{token}``.
SECRET_PARAMS = ("token", "secret", "password", "key", "code")


class ScrubUvicornAddresses(logging.Filter):
    """Rewrites uvicorn's messages that start with the client address (``'%s - "…'``: its access log and its
    WebSocket handshake lines): the address becomes ``-`` and the path loses its query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith('%s - "') and isinstance(record.args, tuple):
            args = list(record.args)
            if args:
                args[0] = "-"
            record.args = tuple(_without_query(arg) if isinstance(arg, str) else arg for arg in args)
        return True


def _without_query(value: str) -> str:
    path, separator, _ = value.partition("?")
    return path + ("?[redacted]" if separator else "")


def configure_logging(settings: Settings) -> None:
    """Send every log record to stderr, as JSON unless running in dev; no logger prints client addresses."""
    handler = logging.StreamHandler(sys.stderr)
    if settings.json_logs:
        formatter = JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s", rename_fields={"levelname": "level"}
        )
        handler.setFormatter(formatter)
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    # Tortoise logs every SQL statement with its parameters at DEBUG; keep them out unless asked.
    logging.getLogger("tortoise").setLevel(max(logging.INFO, root.level))
    # uvicorn's own handlers (when started by the uvicorn command) give way to ours; its access log, which
    # prints client addresses and query strings, is replaced by pejling.access.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        if not any(isinstance(f, ScrubUvicornAddresses) for f in logger.filters):
            logger.addFilter(ScrubUvicornAddresses())
    logging.getLogger("uvicorn.access").disabled = True


def loggable_path(scope: Scope) -> str:
    """The request path without its query string, with secret path parameters replaced by ``[redacted]``."""
    path = str(scope.get("path", ""))
    app = scope.get("app")
    for route in getattr(getattr(app, "router", None), "routes", []):
        if not isinstance(route, Route) or not any(name in route.param_convertors for name in SECRET_PARAMS):
            continue
        match, child = route.matches({**scope, "type": "http"})
        if match != Match.NONE:
            for name in SECRET_PARAMS:
                value = child.get("path_params", {}).get(name)
                if value is not None:
                    secret = str(value)
                    parts = path.split("/")
                    path = "/".join("[redacted]" if part in {secret, quote(secret)} else part for part in parts)
            break
    return path + ("?[redacted]" if scope.get("query_string") else "")


class AccessLogMiddleware:
    """One ``pejling.access`` line per HTTP request: method, path (no query values), status, duration and a
    keyed hash of the client address (HMAC with the secret key and the day), never the address itself."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self._key: bytes | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not access_log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | None = None

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self._log(scope, status or 500, time.perf_counter() - started)

    def _log(self, scope: Scope, status: int, seconds: float) -> None:
        method = str(scope.get("method", ""))
        path = loggable_path(scope)
        duration_ms = round(seconds * 1000, 1)
        fields: dict[str, Any] = {
            "method": method, "path": path, "status": status, "duration_ms": duration_ms,
            "http_version": scope.get("http_version"),
        }
        client = self._client_hash(scope)
        if client is not None:
            fields["client"] = client
        access_log.info("%s %s %s %.1f ms", method, path, status, duration_ms, extra=fields)

    def _client_hash(self, scope: Scope) -> str | None:
        address = client_address(scope, self.settings.trusted_proxies)
        if not address:
            return None
        if self._key is None:
            try:
                self._key = self.settings.secret_bytes()
            except RuntimeError:  # production without a secret key: log no client at all
                return None
        day = datetime.now(UTC).date().isoformat()
        return hmac.new(self._key, f"access-log:{day}:{address}".encode(), hashlib.sha256).hexdigest()[:16]

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

from pejling.core.auth.forwarded import client_address, is_trusted
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


def utc_time(record: logging.LogRecord) -> str:
    """A record's time as ISO 8601 in UTC with its offset, to the millisecond (``2026-12-02T15:20:58.526+00:00``)."""
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class UtcJsonFormatter(JsonFormatter):
    """JSON lines whose ``asctime`` is :func:`utc_time`."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        return utc_time(record)


class UtcFormatter(logging.Formatter):
    """Text lines (dev) whose time is :func:`utc_time`."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        return utc_time(record)


#: The fields of every JSON line (beside a record's own extra fields).
JSON_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logging(settings: Settings) -> None:
    """Send every log record to stderr, as JSON unless running in dev, and with ``PEJLING_LOG_SYSLOG`` to a log
    collector too (:mod:`pejling.core.log_shipping`); no logger prints client addresses. Times are UTC with their
    offset, whatever the machine's time zone."""
    from pejling.core.log_shipping import start_shipping, stop_shipping, syslog_target

    handler = logging.StreamHandler(sys.stderr)
    if settings.json_logs:
        handler.setFormatter(UtcJsonFormatter(JSON_FORMAT, rename_fields={"levelname": "level"}))
    else:
        handler.setFormatter(UtcFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    handlers: list[logging.Handler] = [handler]
    if settings.log_syslog:  # beside stderr, the same records as JSON (pejling.core.log_shipping)
        handlers.append(start_shipping(syslog_target(settings.log_syslog), JSON_FORMAT))
    else:
        stop_shipping()
    root = logging.getLogger()
    root.handlers[:] = handlers
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


def secret_routes(app: object) -> tuple[tuple[str, Route], ...]:
    """The routes of ``app`` that have a path parameter named like a secret (the only ones worth matching),
    each with the fixed start of its path (``/i/`` of ``/i/{token}``): a path that does not start so is not
    matched at all."""
    routes = getattr(getattr(app, "router", None), "routes", [])
    return tuple((str(getattr(route, "path", "")).split("{", 1)[0], route) for route in routes
                 if isinstance(route, Route) and any(name in route.param_convertors for name in SECRET_PARAMS))


def loggable_path(scope: Scope, routes: tuple[tuple[str, Route], ...] | None = None) -> str:
    """The request path without its query string, with secret path parameters replaced by ``[redacted]``.

    ``routes``: the app's :func:`secret_routes`, when the caller keeps them (else found from ``scope["app"]``).
    """
    path = str(scope.get("path", ""))
    as_http: Scope | None = None
    for prefix, route in secret_routes(scope.get("app")) if routes is None else routes:
        if not path.startswith(prefix):
            continue
        as_http = as_http or {**scope, "type": "http"}
        match, child = route.matches(as_http)
        if match != Match.NONE:
            for name in SECRET_PARAMS:
                value = child.get("path_params", {}).get(name)
                if value is not None:
                    secret = str(value)
                    parts = path.split("/")
                    path = "/".join("[redacted]" if part in {secret, quote(secret)} else part for part in parts)
            break
    return path + ("?[redacted]" if scope.get("query_string") else "")


def client_hash(key: bytes, day: str, address: str) -> str:
    """The client hash of the logs (16 hex characters): an HMAC of the address and the UTC day (ISO date) with
    ``key`` (the secret key). The same address is recognisable within a day, in the access log and in security
    events alike, and never shown."""
    return hmac.new(key, f"access-log:{day}:{address}".encode(), hashlib.sha256).hexdigest()[:16]


#: Client hashes kept per process (the same address asks many times a day).
CLIENT_HASHES_KEPT = 4096


class AccessLogMiddleware:
    """One ``pejling.access`` line per HTTP request: method, path (no query values), status, duration and a
    keyed hash of the client address (HMAC with the secret key and the day), never the address itself.

    Cheap per request: the routes with secret parameters are found once per app, the day's key once a day,
    and a client's hash once per day and address (a bounded dict of recent ones).
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.trusted_proxies = tuple(settings.trusted_proxies)
        self._key: bytes | None = None
        self._routes: tuple[object, tuple[tuple[str, Route], ...]] | None = None
        self._day_number = -1
        self._day = ""
        self._hashes: dict[str, str] = {}

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

    def _secret_routes(self, scope: Scope) -> tuple[tuple[str, Route], ...]:
        app = scope.get("app")
        if self._routes is None or self._routes[0] is not app:
            self._routes = (app, secret_routes(app))
        return self._routes[1]

    def _log(self, scope: Scope, status: int, seconds: float) -> None:
        method = str(scope.get("method", ""))
        path = loggable_path(scope, self._secret_routes(scope))
        duration_ms = round(seconds * 1000, 1)
        fields: dict[str, Any] = {
            "method": method, "path": path, "status": status, "duration_ms": duration_ms,
            "http_version": scope.get("http_version"),
        }
        client = self._client_hash(scope)
        if client is not None:
            fields["client"] = client
        # As access_log.info(...) does, without looking up the caller's source line (a stack walk per request).
        record = access_log.makeRecord(ACCESS_LOGGER, logging.INFO, "(access log)", 0, "%s %s %s %.1f ms",
                                       (method, path, status, duration_ms), None, extra=fields)
        access_log.handle(record)

    def _client_hash(self, scope: Scope) -> str | None:
        client = scope.get("client")
        peer = str(client[0]) if client else ""
        key, behind_proxy = peer, is_trusted(peer, self.trusted_proxies)
        if behind_proxy:
            forwarded = b",".join(value for name, value in scope.get("headers", ()) if name == b"x-forwarded-for")
            key = f"{peer}|{forwarded.decode('latin-1')}"
        if self._key is None:
            try:
                self._key = self.settings.secret_bytes()
            except RuntimeError:  # production without a secret key: log no client at all
                return None
        day_number = int(time.time() // 86400)  # the UTC day
        if day_number != self._day_number:
            self._day_number, self._day = day_number, datetime.now(UTC).date().isoformat()
            self._hashes.clear()
        found = self._hashes.get(key)
        if found is None:
            address = client_address(scope, self.trusted_proxies) if behind_proxy else peer
            if not address:
                return None
            if len(self._hashes) >= CLIENT_HASHES_KEPT:
                self._hashes.clear()
            found = client_hash(self._key, self._day, address)
            self._hashes[key] = found
        return found

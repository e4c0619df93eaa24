"""Security events (ASVS V16.3.3): refusals of the controls, counted by kind and logged once per interval.

Each refusal of a control — a rate limit, a GraphQL document over a limit, a cross-site or CSRF refusal, an API
token or session cookie that names nothing live, a webhook whose signature does not verify, a throttled login, a
tenant the caller may not reach — is *counted* here (:func:`refused`, :func:`refused_address`): a few dictionary
updates, so a flood of refusals cannot flood the log. Once per interval (``PEJLING_SECURITY_EVENT_SECONDS``, 60 s)
each kind that had any is written as one line of the logger ``pejling.security`` (level WARNING, field
``event: "security_event"``) holding

* ``kind`` (one of :data:`KINDS`) and ``count``;
* ``details``: the count per detail (the operation or limit refused, the webhook's sender), names from the code,
  never from the request;
* ``clients``: how many distinct client hashes refusals of that kind came from (:func:`pejling.core.logs.client_hash`,
  the access log's, so a line can be matched to its requests; at most :data:`MAX_CLIENTS` are told apart,
  ``clients_capped`` says when more came) and ``top_clients``, the :data:`TOP_CLIENTS` most frequent with counts;
* ``since`` and ``until``: the interval, in UTC.

Never an address, a token, a document or a body. The counts also reach ``/metrics`` as
``pejling_security_events_total{kind, detail}``. The app's lifespan flushes every interval and once more at shutdown
(:func:`flushing`); a test calls :func:`flush`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter as MetricCounter
from starlette.types import Scope

from pejling.core.auth.forwarded import client_address
from pejling.core.logs import CLIENT_HASHES_KEPT, client_hash
from pejling.core.settings import Settings

log = logging.getLogger("pejling.security")
SECURITY_LOGGER = log.name

#: The kinds of refusal counted, each with what it means.
KINDS: Mapping[str, str] = {
    "rate_limited": "a rate limit or budget refused a request (detail: the GraphQL field or cost budget, "
                    "submission, receipt_lookup, import, sso)",
    "graphql_too_complex": "a GraphQL document over a limit (detail: tokens, selections, depth, aliases, repeats, "
                           "cost, validation)",
    "cross_site": "an unsafe request with the session cookie from another site",
    "csrf_failed": "an unsafe request with the session cookie without the right X-CSRF-Token",
    "body_too_large": "a GraphQL request body over the size limit",
    "invalid_token": "an API token (or Authorization header) that is malformed, unknown, expired or revoked",
    "invalid_session": "a session cookie that names no live session",
    "login_throttled": "a login, second-factor code or sign-up refused by the throttle (detail: login, code, "
                       "concurrent, signup)",
    "webhook_signature": "a webhook or signed request whose signature does not verify (detail: the sender)",
    "tenant_refused": "a request naming a tenant that the caller is not a member of, or that does not exist",
}

#: Client hashes listed per line.
TOP_CLIENTS = 5
#: Distinct client hashes told apart per kind and interval (memory stays bounded whatever a flood sends).
MAX_CLIENTS = 10_000
#: Distinct details per kind and interval, ``other`` included: the rest are counted as ``other``.
MAX_DETAILS = 32

SECURITY_EVENTS = MetricCounter("pejling_security_events_total", "Refusals of the security controls",
                                ["kind", "detail"])


@dataclass
class _Tally:
    count: int = 0
    details: Counter[str] = field(default_factory=Counter)
    clients: Counter[str] = field(default_factory=Counter)
    clients_capped: bool = False


class SecurityEvents:
    """The counts of one process since the last flush (one instance, :data:`EVENTS`, serves the process)."""

    def __init__(self) -> None:
        self._tallies: dict[str, _Tally] = {}
        self._since = time.time()
        self._settings: Settings | None = None
        self._trusted: tuple[str, ...] = ()
        self._key: bytes | None = None
        self._day_number = -1
        self._day = ""
        self._hashes: dict[str, str] = {}

    def configure(self, settings: Settings) -> None:
        """Hash clients with these settings' secret key and believe their trusted proxies."""
        self._settings, self._trusted = settings, tuple(settings.trusted_proxies)
        self._key = None
        self._hashes.clear()

    def refused(self, kind: str, scope: Scope | None, detail: str = "") -> None:
        """Count one refusal of a request (its client address taken as the app takes it, through trusted proxies)."""
        self.refused_address(kind, client_address(scope, self._trusted) if scope is not None else None, detail)

    def refused_address(self, kind: str, address: str | None, detail: str = "") -> None:
        """Count one refusal of ``kind`` from ``address`` (None: unknown). ``detail`` is a name from the code."""
        if kind not in KINDS:
            raise ValueError(f"unknown security event kind {kind!r}")
        tally = self._tallies.get(kind)
        if tally is None:
            tally = self._tallies[kind] = _Tally()
        tally.count += 1
        if detail not in tally.details and len(tally.details) >= MAX_DETAILS - 1:
            detail = "other"
        tally.details[detail] += 1
        SECURITY_EVENTS.labels(kind, detail).inc()
        client = self._client_hash(address)
        if client is None:
            return
        if client in tally.clients or len(tally.clients) < MAX_CLIENTS:
            tally.clients[client] += 1
        else:
            tally.clients_capped = True

    def _client_hash(self, address: str | None) -> str | None:
        if not address or self._settings is None:
            return None
        if self._key is None:
            try:
                self._key = self._settings.secret_bytes()
            except RuntimeError:  # production without a secret key: no client hashes at all (as the access log)
                return None
        day_number = int(time.time() // 86400)  # the UTC day
        if day_number != self._day_number:
            self._day_number, self._day = day_number, datetime.now(UTC).date().isoformat()
            self._hashes.clear()
        found = self._hashes.get(address)
        if found is None:
            if len(self._hashes) >= CLIENT_HASHES_KEPT:
                self._hashes.clear()
            found = self._hashes[address] = client_hash(self._key, self._day, address)
        return found

    def flush(self) -> list[dict[str, Any]]:
        """Write one ``security_event`` line per kind counted since the last flush, start counting afresh, and
        return the lines' fields (in kind order)."""
        tallies, self._tallies = self._tallies, {}
        since, self._since = self._since, time.time()
        lines: list[dict[str, Any]] = []
        for kind in sorted(tallies):
            tally = tallies[kind]
            fields: dict[str, Any] = {
                "event": "security_event", "kind": kind, "count": tally.count,
                "details": {name: count for name, count in tally.details.most_common() if name},
                "clients": len(tally.clients),
                "top_clients": [{"client": client, "count": count}
                                for client, count in tally.clients.most_common(TOP_CLIENTS)],
                "since": _iso(since), "until": _iso(self._since),
            }
            if tally.clients_capped:
                fields["clients_capped"] = True
            lines.append(fields)
            if log.isEnabledFor(logging.WARNING):
                record = log.makeRecord(SECURITY_LOGGER, logging.WARNING, "(security events)", 0,
                                        "security_event %s: %d refused, %d clients",
                                        (kind, tally.count, len(tally.clients)), None, extra=fields)
                log.handle(record)
        return lines


def _iso(timestamp: float) -> str:
    """A time as the log lines give it: ISO 8601 in UTC, to the millisecond."""
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


#: The process's security events.
EVENTS = SecurityEvents()


def configure(settings: Settings) -> None:
    """See :meth:`SecurityEvents.configure` (called by the app factory)."""
    EVENTS.configure(settings)


def refused(kind: str, scope: Scope | None, detail: str = "") -> None:
    """Count one refusal of a request; see :meth:`SecurityEvents.refused`."""
    EVENTS.refused(kind, scope, detail)


def refused_address(kind: str, address: str | None, detail: str = "") -> None:
    """Count one refusal from a client address; see :meth:`SecurityEvents.refused_address`."""
    EVENTS.refused_address(kind, address, detail)


def flush() -> list[dict[str, Any]]:
    """Write the lines of everything counted so far; see :meth:`SecurityEvents.flush`."""
    return EVENTS.flush()


@asynccontextmanager
async def flushing(interval_seconds: float) -> AsyncIterator[None]:
    """Flush every ``interval_seconds`` while the block runs, and once more when it ends (shutdown)."""

    async def every_interval() -> None:
        while True:
            await asyncio.sleep(interval_seconds)
            EVENTS.flush()

    task = asyncio.create_task(every_interval(), name="security-events")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        EVENTS.flush()

"""Fixtures of the webhook tests: a real HTTP receiver on a free local port, a tenant with stores, the job worker."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiohttp import web

from pejling.core.jobs.models import Job, JobStatus
from pejling.core.jobs.worker import Worker
from pejling.core.settings import Settings
from pejling.plugins.webhooks.events import DELIVER_JOB
from tests.followups.conftest import Chain, make_chain
from tests.support.tenancy import gql

TOLERANCE = 300


@dataclass
class Received:
    """One request the receiver got: its headers and the raw body, byte for byte."""

    headers: dict[str, str]
    body: bytes

    def event(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.body)
        return document


def verified(secret: str, request: Received) -> dict[str, Any]:
    """What an integrator does (docs/webhooks.md): HMAC-SHA256 over ``t.raw body``, constant-time, fresh ``t``."""
    entries = [part.split("=", 1) for part in request.headers["Pejling-Signature"].split(",")]
    (timestamp,) = [value for key, value in entries if key == "t"]
    candidates = [value for key, value in entries if key == "v1"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256).hexdigest()
    assert any(hmac.compare_digest(expected, c) for c in candidates), "signature does not verify"
    assert abs(datetime.now(UTC).timestamp() - int(timestamp)) <= TOLERANCE
    assert request.headers["Pejling-Timestamp"] == timestamp
    return request.event()


@dataclass
class Receiver:
    """An integrator's endpoint: answers with the queued status codes (then 200) and records each request."""

    url: str = ""
    answers: list[int] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    body: bytes | None = None
    """Answer with these bytes instead of the usual text."""

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(Received(dict(request.headers), await request.read()))
        status = self.answers.pop(0) if self.answers else 200
        if status in (301, 302, 307):
            return web.Response(status=status, headers={"Location": self.url + "/elsewhere"})
        if self.body is not None:
            return web.Response(status=status, body=self.body)
        return web.Response(status=status, text=("ok " if status < 300 else "broken ") + "x" * 5000)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    app = web.Application()
    app.router.add_post("/{tail:.*}", found.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    found.url = f"http://127.0.0.1:{port}"
    yield found
    await runner.cleanup()


@pytest.fixture
def allow_private(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The test opt-in: endpoints on loopback and plain http."""
    monkeypatch.setenv("PEJLING_WEBHOOKS_ALLOW_PRIVATE", "1")
    yield


@pytest.fixture
async def chain(app: Any) -> Chain:
    return await make_chain(app)


@pytest.fixture
async def api(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


class Deliveries:
    """Runs the due webhook attempts as the worker would, now or at a later time (no waiting)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def run(self, later: timedelta = timedelta(0)) -> int:
        when = datetime.now(UTC) + later
        worker = Worker(self.settings, kinds=[DELIVER_JOB], concurrency=4, clock=lambda: when)
        total = 0
        for _ in range(10):
            ran = await worker.run_once()
            total += ran
            if not ran:
                break
        return total


@pytest.fixture
async def deliveries(database: Settings) -> AsyncIterator[Deliveries]:
    yield Deliveries(database)
    # Leave no attempt behind for a later test's worker (it would find it due and try a receiver long gone).
    await Job.filter(kind=DELIVER_JOB, status=JobStatus.QUEUED).delete()


CREATE = """mutation($input: WebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
  endpoint { id url events enabled secretFingerprint } secret errors { code field message } } }"""
DELIVERIES = """query($e: ID!) { webhookDeliveries(endpoint: $e) { id eventId eventType status attempts
  lastResponseCode lastError nextRetryAt deliveredAt attemptLog { number responseCode responseExcerpt error
  succeeded } } }"""


async def create_endpoint(api: httpx.AsyncClient, headers: dict[str, str], url: str,
                          events: list[str] | None = None) -> dict[str, Any]:
    """Register an endpoint through GraphQL; returns the payload (endpoint, secret, errors)."""
    body = await gql(api, CREATE, {"input": {"url": url, "events": events or ["RESPONSE_CREATED"]}}, headers)
    payload: dict[str, Any] = body["data"]["createWebhookEndpoint"]
    return payload


async def delivery_log(api: httpx.AsyncClient, headers: dict[str, str], endpoint_id: str) -> list[dict[str, Any]]:
    body = await gql(api, DELIVERIES, {"e": endpoint_id}, headers)
    assert "errors" not in body, body
    log: list[dict[str, Any]] = body["data"]["webhookDeliveries"]
    return log

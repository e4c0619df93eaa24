"""Fixtures of the billing tests: a real localstripe, the app served over HTTP for its webhooks, Stripe settings."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from pejling.core.jobs.worker import Worker
from pejling.core.settings import Settings
from pejling.plugins.billing.models import StripeEvent
from pejling.plugins.billing.stripe_events import JOB_KIND
from pejling.tenants.scope import all_tenants
from tests.support.server import free_port, stop

SECRET_KEY = "sk_test_pejling_billing"
WEBHOOK_SECRET = "whsec_pejling_billing_tests"


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A localstripe server on a free port, started from scratch; its base URL."""
    port = free_port()
    workdir = tmp_path_factory.mktemp("localstripe")
    log = (workdir / "localstripe.log").open("wb")
    binary = Path(sys.executable).with_name("localstripe")
    process = subprocess.Popen([str(binary), "--port", str(port), "--from-scratch"], cwd=workdir, stdout=log,
                               stderr=subprocess.STDOUT, env={"PATH": "/usr/bin:/bin", "TMPDIR": str(workdir)})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            assert process.poll() is None, "localstripe exited during start-up"
            try:
                httpx.get(f"{base}/v1/customers", auth=(SECRET_KEY, ""), timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield base
    finally:
        stop(process)
        log.close()


@pytest.fixture(scope="session")
async def served_app(app: Any) -> AsyncIterator[str]:
    """The session's app served over real HTTP on a free port (localstripe posts its webhooks there)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning",
                                           log_config=None))
    task = asyncio.create_task(server.serve())
    for _ in range(300):
        if server.started:
            break
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture(scope="session")
async def stripe_webhooks(localstripe: str, served_app: str) -> str:
    """localstripe configured to sign and post every event to the app's ``/webhooks/stripe``."""
    async with httpx.AsyncClient() as http:
        reply = await http.post(f"{localstripe}/_config/webhooks/pejling", auth=(SECRET_KEY, ""),
                                data={"url": f"{served_app}/webhooks/stripe", "secret": WEBHOOK_SECRET})
        assert reply.status_code == 200, reply.text
    return localstripe


@pytest.fixture
def stripe_env(monkeypatch: pytest.MonkeyPatch, localstripe: str) -> str:
    """Billing configured against localstripe."""
    monkeypatch.setenv("PEJLING_STRIPE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("PEJLING_STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("PEJLING_STRIPE_API_BASE", localstripe)
    return localstripe


def signed(event: dict[str, Any], *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> tuple[bytes, str]:
    """An event body and its ``Stripe-Signature`` header, made the way Stripe makes them."""
    body = json.dumps(event).encode()
    stamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, f"t={stamp},v1={digest}"


async def run_billing_jobs(settings: Settings, rounds: int = 20) -> int:
    """Run the due billing jobs as a worker would; how many ran."""
    worker = Worker(settings, kinds=[JOB_KIND], concurrency=1)
    done = 0
    for _ in range(rounds):
        ran = await worker.run_once()
        done += ran
        if not ran:
            break
    return done


async def wait_for_event(subscription_id: str, event_type: str, attempts: int = 200) -> StripeEvent:
    """The stored event of ``event_type`` about ``subscription_id``, once localstripe delivered it."""
    for _ in range(attempts):
        with all_tenants():
            for row in await StripeEvent.filter(type=event_type):
                obj = row.payload["data"]["object"]
                if subscription_id in (obj.get("id"), obj.get("subscription")):
                    return row
        await asyncio.sleep(0.05)
    raise AssertionError(f"localstripe did not deliver {event_type} of {subscription_id}")

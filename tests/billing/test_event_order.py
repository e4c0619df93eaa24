"""Two jobs of one subscription at once: each re-fetches from Stripe, and the fetch made last is saved last.

localstripe answers at once, so this test serves Stripe's ``GET /v1/subscriptions/{id}`` itself (the documented
subscription object, over real HTTP) and holds the first answer back: without the subscription's lock the second
job would save Stripe's newer word first and the first job's older word would overwrite it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pejling.core.settings import Settings
from pejling.plugins.billing.models import StripeEvent
from pejling.plugins.billing.stripe_events import process_event
from pejling.plugins.billing.subscription_state import BillingState, stored_subscription
from pejling.tenants.scope import all_tenants
from tests.support.server import free_port
from tests.support.tenancy import make_tenant

from .conftest import SECRET_KEY


class SlowStripe:
    """Stripe's subscription endpoint with a status the test changes; the first answer waits for ``release``."""

    def __init__(self) -> None:
        self.status = "active"
        self.tenant_id = ""
        self.first_read = asyncio.Event()
        self.release = asyncio.Event()
        self.calls = 0

    async def subscription(self, request: Request) -> JSONResponse:
        assert request.headers.get("authorization") == f"Bearer {SECRET_KEY}"
        self.calls += 1
        status = self.status  # what Stripe says at the moment it is asked
        if self.calls == 1:
            self.first_read.set()
            await asyncio.wait_for(self.release.wait(), timeout=10)
        return JSONResponse({
            "id": request.path_params["sub_id"], "object": "subscription", "status": status, "customer": None,
            "metadata": {"tenant_id": self.tenant_id}, "items": {"object": "list", "data": []},
            "current_period_end": int(time.time()) + 30 * 86400, "trial_end": None, "livemode": False,
        })


@pytest.fixture
async def slow_stripe(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[SlowStripe]:
    stripe = SlowStripe()
    app = Starlette(routes=[Route("/v1/subscriptions/{sub_id}", stripe.subscription)])
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning",
                                           log_config=None))
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.02)
    monkeypatch.setenv("PEJLING_STRIPE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("PEJLING_STRIPE_API_BASE", f"http://127.0.0.1:{port}")
    yield stripe
    stripe.release.set()
    server.should_exit = True
    await task


def _event(event_id: str, subscription_id: str) -> dict[str, Any]:
    return {"id": event_id, "type": "customer.subscription.updated",
            "data": {"object": {"id": subscription_id, "object": "subscription"}}}


async def test_the_fetch_made_last_is_saved_last(database: Settings, slow_stripe: SlowStripe) -> None:
    shop = await make_tenant()
    slow_stripe.tenant_id = str(shop.tenant.id)
    subscription = f"sub_{shop.tenant.slug}"
    with all_tenants():
        for event_id in ("evt_old_" + shop.tenant.slug, "evt_new_" + shop.tenant.slug):
            await StripeEvent.create(id=event_id, type="customer.subscription.updated",
                                     payload=_event(event_id, subscription))

    first = asyncio.create_task(process_event("evt_old_" + shop.tenant.slug))
    await asyncio.wait_for(slow_stripe.first_read.wait(), timeout=10)  # the first job has Stripe's "active"
    slow_stripe.status = "canceled"  # then the customer cancels
    second = asyncio.create_task(process_event("evt_new_" + shop.tenant.slug))
    await asyncio.sleep(0.5)  # time enough for the second job to fetch and save, were it not waiting its turn
    slow_stripe.release.set()
    await asyncio.gather(first, second)

    row = await stored_subscription(shop.tenant)
    assert slow_stripe.calls == 2
    assert (row.state, row.stripe_status) == (BillingState.CANCELED, "canceled")
    with all_tenants():
        assert await StripeEvent.filter(id__in=["evt_old_" + shop.tenant.slug, "evt_new_" + shop.tenant.slug],
                                        processed_at__isnull=False).count() == 2

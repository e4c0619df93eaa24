"""Fixtures of the Shopify tests: the test Shopify over HTTP, the app configured as its app, an installed shop."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from pydantic import SecretStr
from support.smtp import smtp_server  # noqa: F401 - the fixture is used by name

from pejling.core import followups
from pejling.core.jobs.worker import Worker
from pejling.core.settings import Settings
from pejling.core.surveys.invitation_mail import INVITATION_MAIL_JOB
from pejling.plugins.shopify.app_settings import ShopifyAppSettings, use_app_settings
from pejling.plugins.shopify.orders import INVITE_JOB
from pejling.plugins.shopify.reward_mail import FORGET_REWARD_EMAIL_JOB, REWARD_MAIL_JOB
from pejling.tenants.models import Role
from tests.shopify.shopify_server import FakeShopify, serve
from tests.support.tenancy import member, token_for
from tests.surveys.conftest import Shop, make_shop

CLIENT_ID = "pejling-test-app"


@pytest.fixture(scope="session")
async def shopify(database: Settings) -> AsyncIterator[FakeShopify]:
    """The test Shopify, and this process configured as its app."""
    fake = FakeShopify(client_id=CLIENT_ID, client_secret="shpss_" + secrets.token_hex(16))
    server, task = await serve(fake)
    use_app_settings(ShopifyAppSettings(client_id=CLIENT_ID, client_secret=SecretStr(fake.client_secret),
                                        api_base=fake.api_base()))
    try:
        yield fake
    finally:
        use_app_settings(None)
        server.should_exit = True
        await task


@pytest.fixture
def mail_settings(database: Settings, smtp_server: Any) -> Iterator[Settings]:  # noqa: F811
    """Invitation mails of these tests go to the local aiosmtpd server."""
    settings = database.model_copy(update={"smtp_url": smtp_server.url})
    followups.use_settings(settings)
    try:
        yield settings
    finally:
        followups.use_settings(database)


@dataclass
class Retailer:
    """A tenant with a store, its owner's API token and (once installed) its shop."""

    shop: Shop
    token: str
    domain: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
async def retailer(database: Settings) -> Retailer:
    shop = await make_shop()
    token = await token_for(shop.tenant, await member(shop.tenant, Role.OWNER))
    return Retailer(shop, token, f"{shop.tenant.slug}.myshopify.com")


def install_query(fake: FakeShopify, shop: str, **changes: str) -> dict[str, str]:
    """The signed query Shopify sends to the app's install URL."""
    params = fake.sign_query({"shop": shop, "timestamp": str(int(time.time()))})
    return {**params, **changes}


async def install(client: httpx.AsyncClient, fake: FakeShopify, retailer: Retailer) -> httpx.Response:
    """The whole install: Shopify's install request → the shop's authorize page → the callback. Returns the
    callback's answer."""
    start = await client.get("/integrations/shopify/install", params=install_query(fake, retailer.domain),
                             headers=retailer.auth)
    assert start.status_code == 302, start.text
    async with httpx.AsyncClient(timeout=10) as browser:
        approved = await browser.get(start.headers["location"])
    assert approved.status_code == 302, approved.text
    back = urlsplit(approved.headers["location"])
    assert back.path == "/integrations/shopify/callback"
    return await client.get(f"{back.path}?{back.query}", headers=retailer.auth)


async def send_webhook(client: httpx.AsyncClient, fake: FakeShopify, shop: str, topic: str, payload: dict[str, Any],
                       *, webhook_id: str | None = None, signature: str | None = None) -> httpx.Response:
    """A webhook delivery as Shopify sends it: the raw JSON body signed with the app's client secret."""
    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Webhook-Id": webhook_id or secrets.token_hex(16),
        "X-Shopify-Api-Version": "2025-01",
        "X-Shopify-Hmac-SHA256": signature if signature is not None else fake.sign_body(body),
    }
    return await client.post("/webhooks/shopify", content=body, headers=headers)


async def run_jobs(settings: Settings, plugins: Any, rounds: int = 4) -> None:
    """Run the due Shopify jobs (invitations, reward mails, forgetting reward addresses) and the invitation mails."""
    worker = Worker(settings, kinds=[INVITE_JOB, INVITATION_MAIL_JOB, REWARD_MAIL_JOB, FORGET_REWARD_EMAIL_JOB],
                    concurrency=2, plugins=plugins)
    for _ in range(rounds):
        if not await worker.run_once():
            break


@pytest.fixture
def app_plugins(app: Any) -> Any:
    """The loaded plugins of the app under test (``app.state.plugins``; the app fixture wraps the app)."""
    for cell in app.__closure__ or ():
        state = getattr(cell.cell_contents, "state", None)
        if state is not None and hasattr(state, "plugins"):
            return state.plugins
    raise AssertionError("no app.state.plugins")


UA_PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"
LOCATION = 6884556842


def paid_order(email: str, *, marketing: bool = True, location: int | None = LOCATION,
               **changes: Any) -> dict[str, Any]:
    """An ``orders/paid`` payload in the shape Shopify sends (the fields Pejling reads, and some it does not)."""
    order_id = int.from_bytes(secrets.token_bytes(5), "big")
    order: dict[str, Any] = {
        "id": order_id,
        "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
        "name": "#1001",
        "email": email,
        "contact_email": email,
        "buyer_accepts_marketing": marketing,
        "financial_status": "paid",
        "currency": "DKK",
        "total_price": "249.00",
        "location_id": location,
        "source_name": "pos" if location else "web",
        "customer": {
            "id": 207119551,
            "email": email,
            "email_marketing_consent": {"state": "subscribed" if marketing else "not_subscribed",
                                        "opt_in_level": "single_opt_in", "consent_updated_at": None},
        },
        "line_items": [{"id": 1, "title": "Rugbrød", "quantity": 1, "price": "249.00"}],
    }
    order.update(changes)
    return order


@pytest.fixture
async def installed(client: httpx.AsyncClient, shopify: FakeShopify, retailer: Retailer, app_plugins: Any) -> Retailer:
    """A retailer with its shop installed and the shop's POS location mapped to its store ``main``."""
    assert (await install(client, shopify, retailer)).status_code == 302
    await configure(app_plugins, retailer)
    return retailer


async def configure(plugins: Any, retailer: Retailer, **settings: Any) -> None:
    config = {"locations": {str(LOCATION): "main"}, "invitation_delay_minutes": 0, **settings}
    await plugins.enable_plugin(retailer.shop.tenant.id, "shopify", config)


def address() -> str:
    return f"shopper-{secrets.token_hex(4)}@example.com"

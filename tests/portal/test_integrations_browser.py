"""An owner uses the Integrations page in Debian Chromium against the real app (uvicorn).

The owner maps a Shopify location and the online store to stores and saves (the API stores the configuration,
checked against the plugin's schema; a reward above 100 percent is refused next to its field first), then registers
a webhook endpoint and sees its signing secret once (copied to the clipboard; gone after "I have stored it", the API
keeps only its fingerprint). The app runs with the webhooks' test opt-in (plain http on loopback), as the other
webhook tests do. On each state axe-core finds no serious or critical violation, the Content-Security-Policy
refuses nothing, and a screenshot is kept under build/artifacts/portal/.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.async_api import Browser, expect

from pejling.core.settings import Settings
from tests.portal.conftest import built_portal, check_page
from tests.support.tenancy import PASSWORD, TenantFixture, make_tenant
from tests.survey_page.phone import serve_app

pytestmark = pytest.mark.once

HOOK_URL = "http://127.0.0.1:9/pejling-hook"


@pytest.fixture(scope="module")
def server(database: Settings) -> Iterator[str]:
    built_portal()
    yield from serve_app(database, {"PEJLING_WEBHOOKS_ALLOW_PRIVATE": "1"})


async def _api(server: str, shop: TenantFixture, query: str) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=server, headers=shop.headers) as api:
        body = (await api.post("/graphql", json={"query": query})).json()
    assert "errors" not in body, body
    return dict(body["data"])


async def test_shopify_settings_and_a_webhook_endpoint(server: str, browser: Browser) -> None:
    shop = await make_tenant(stores=2)
    till, online = shop.stores
    refused: list[str] = []
    context = await browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900},
                                        permissions=["clipboard-read", "clipboard-write"])
    page = await context.new_page()
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)

    # 1. Log in; Integrations comes just before Team.
    await page.goto(f"{server}/login")
    await page.get_by_label("Email").fill(shop.owner.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url("**/portal")
    links = page.get_by_role("navigation", name="Main").get_by_role("link")
    await expect(links.nth(5)).to_have_text("Integrations")
    await expect(links.nth(6)).to_have_text("Team")
    await links.nth(5).click()
    await page.wait_for_url("**/portal/integrations")
    await expect(page.get_by_role("heading", level=1, name="Integrations")).to_be_visible()
    shopify = page.get_by_role("region", name="Shopify")
    await expect(shopify).to_contain_text("the install always starts from Shopify")
    await expect(shopify.get_by_text("No shop is connected yet.")).to_be_visible()
    await expect(page.get_by_text("No webhook endpoints yet.")).to_be_visible()
    await check_page(page, "integrations", refused)

    # 2. Shopify: a location and the online store mapped; a reward of 150% is refused next to its field.
    await shopify.get_by_role("button", name="Add a row").click()
    await shopify.get_by_label("Shopify location id").fill("4711")
    await shopify.get_by_label("Store", exact=True).select_option(label=till.name)
    await shopify.get_by_label("Store for online orders").select_option(label=online.name)
    await shopify.get_by_label("Invitation delay (minutes)").fill("90")
    reward = shopify.get_by_label("Reward discount (percent)")
    await reward.evaluate("input => input.removeAttribute('max')")  # past the browser's own check, to the API's
    await reward.fill("150")
    await shopify.get_by_role("button", name="Save Shopify settings").click()
    await expect(reward).to_have_attribute("aria-invalid", "true")
    await check_page(page, "integrations-shopify-error", refused)
    await reward.fill("10")
    await shopify.get_by_role("button", name="Save Shopify settings").click()
    await expect(shopify.get_by_role("status")).to_have_text("Saved.")
    plugins = (await _api(server, shop, "{ plugins { name config } }"))["plugins"]
    (config,) = [p["config"] for p in plugins if p["name"] == "shopify"]  # type: ignore[index]
    assert config["locations"] == {"4711": till.slug}
    assert config["online_store"] == online.slug
    assert config["invitation_delay_minutes"] == 90 and config["reward_percent"] == 10

    # 3. A webhook endpoint: its secret is shown once, copied, then gone; the API keeps only its fingerprint.
    hooks = page.get_by_role("region", name="Webhooks for integrators")
    await hooks.get_by_label("URL").fill(HOOK_URL)
    await hooks.get_by_label("Description (optional)").fill("CRM")
    await hooks.get_by_role("button", name="Create endpoint").click()
    secret_field = hooks.get_by_role("textbox", name="Signing secret", exact=True)
    await expect(secret_field).to_be_focused()
    secret = await secret_field.input_value()
    assert len(secret) >= 20
    await expect(hooks.get_by_role("list", name="Webhook endpoints")).to_contain_text(HOOK_URL)
    await check_page(page, "integrations-webhook-secret", refused)
    await hooks.get_by_role("button", name="Copy Signing secret").click()
    await expect(hooks.get_by_text("Copied to the clipboard.")).to_be_visible()
    assert await page.evaluate("() => navigator.clipboard.readText()") == secret
    await hooks.get_by_role("button", name="I have stored it").click()
    await expect(hooks.get_by_role("textbox", name="Signing secret", exact=True)).to_have_count(0)
    (endpoint,) = (await _api(server, shop, "{ webhookEndpoints { url description secretFingerprint } }"))[
        "webhookEndpoints"]  # type: ignore[misc]
    assert endpoint["url"] == HOOK_URL and endpoint["description"] == "CRM"
    assert secret not in str(endpoint)
    await page.reload()
    await expect(page.get_by_role("list", name="Webhook endpoints")).to_contain_text(HOOK_URL)
    assert secret not in await page.content()
    await context.close()

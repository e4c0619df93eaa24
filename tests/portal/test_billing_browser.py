"""An owner opens the billing page, in Debian Chromium against the real app served by uvicorn without Stripe keys.

The owner logs in and opens Billing from the navigation → the page says billing is not set up on this Pejling and
everything runs on the Pilot plan, shows the Pilot's state and its limits against the usage of the owner's one store,
lists the plans, and offers no checkout or billing-portal button (checkout against Stripe is covered by the backend's
tests). axe-core finds no serious or critical violation, the page's Content-Security-Policy refuses nothing, and a
screenshot is kept under build/artifacts/portal/.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.async_api import Browser, expect

from pejling.core.settings import Settings
from tests.portal.conftest import built_portal, check_page
from tests.support.tenancy import PASSWORD, make_tenant
from tests.survey_page.phone import serve_app

pytestmark = pytest.mark.once


@pytest.fixture(scope="module")
def server(database: Settings) -> Iterator[str]:
    built_portal()
    yield from serve_app(database)


async def test_an_owner_sees_the_pilot_when_billing_is_not_set_up(server: str, browser: Browser) -> None:
    owned = await make_tenant(stores=1)
    refused: list[str] = []
    context = await browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)

    await page.goto(f"{server}/login")
    await page.get_by_label("Email").fill(owned.owner.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url("**/portal")
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Billing").click()
    await page.wait_for_url("**/portal/billing")
    await expect(page.get_by_role("heading", level=1, name="Billing")).to_be_visible()

    await expect(page.get_by_test_id("not-configured")).to_have_text(
        "Billing is not set up on this Pejling: everything runs on the Pilot plan.")
    await expect(page.get_by_test_id("plan-name")).to_have_text("Pilot")
    await expect(page.get_by_test_id("plan-state")).to_have_text("Free pilot")
    await expect(page.get_by_test_id("usage-stores")).to_have_text("Stores 1 of 1")
    await expect(page.get_by_test_id("usage-responses")).to_have_text("Responses this month 0 of 500")
    await expect(page.get_by_test_id("usage-seats")).to_have_text("Users (members and pending invitations) 1 of 3")
    stores = page.get_by_role("meter", name="Stores")
    await expect(stores).to_have_attribute("aria-valuenow", "1")
    await expect(stores).to_have_attribute("aria-valuemax", "1")
    await expect(page.get_by_role("heading", level=3)).to_have_text(["Pilot Your plan", "Store", "Chain"])
    await expect(page.get_by_test_id("plan-store")).to_contain_text("per store per month")
    await expect(page.get_by_test_id("over-quota")).to_have_count(0)
    # Nothing to buy or manage without Stripe: the only button in main is none at all.
    await expect(page.locator("main").get_by_role("button")).to_have_count(0)
    await check_page(page, "billing-not-configured", refused)
    await context.close()

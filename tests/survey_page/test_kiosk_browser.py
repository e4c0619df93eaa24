"""The kiosk screen on a tablet as a store runs it (Debian Chromium, tablet-sized, the real app, the page's clock in
the test's hands): shopper after shopper on one screen, a shopper who walks away half-way, and a network that drops.
Every finished response is stored once, with its own id, on the kiosk channel and with the device; a discarded one
never is, and no answer of one shopper is shown to the next; a kiosk retired while its screen runs says so at the next
start. And the screen passes axe-core at tablet size."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, Page

from pejling.core.settings import Settings
from pejling.core.surveys.channel_devices import new_device_token, register_device, retire_device
from pejling.core.surveys.kiosk_page import DEFAULT_IDLE_SECONDS, DEFAULT_THANKS_SECONDS
from pejling.frontend.language import messages
from pejling.tenants.scope import tenant_scope
from tests.survey_page.conftest import make_shop
from tests.survey_page.phone import outbox, stored_responses
from tests.survey_page.test_survey_browser import _axe

pytestmark = pytest.mark.once

STATEMENTS = "fieldset.statement"
TABLET: dict[str, Any] = {
    "viewport": {"width": 820, "height": 1180}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2,
}


async def _start(page: Page) -> None:
    await page.locator("#intro h1").wait_for(state="visible")
    await page.locator("#intro button[data-go=next]").tap()


async def _tap(page: Page, index: int, value: int) -> None:
    step = page.locator(STATEMENTS).nth(index)
    await step.locator("legend").wait_for(state="visible")
    await page.clock.run_for(500)  # the screen settles before a tap counts
    await step.locator(f"input[value='{value}']").tap()
    await page.clock.run_for(300)


async def _finish(page: Page, comment: str, start: int = 0) -> None:
    for index in range(start, await page.locator(STATEMENTS).count()):
        await _tap(page, index, 1 + index % 5)
    await page.locator("#outcome legend").wait_for(state="visible")
    await page.locator("#outcome input[value='8']").tap()
    await page.clock.run_for(300)
    await page.locator("#comment").fill(comment)
    await page.locator("#send").tap()
    await page.locator("#thanks").wait_for(state="visible")


async def _back_at_the_start(page: Page) -> None:
    await page.locator("#intro h1").wait_for(state="visible")
    assert await page.locator("#survey").get_attribute("data-state") is None
    assert await page.locator("#survey input:checked").count() == 0  # nothing of the last shopper
    assert await page.locator("#comment").input_value() == ""
    kept = await page.evaluate("() => Object.keys(sessionStorage).filter(k => k.startsWith('pejling.progress:'))"
                               ".map(k => JSON.parse(sessionStorage.getItem(k)).answers)")
    assert all(answers == {} for answers in kept)


async def test_shopper_after_shopper_an_idle_reset_and_a_network_loss(
    server: str, browser: Browser, database: Settings
) -> None:
    shop = await make_shop()
    token = new_device_token()
    with tenant_scope(shop.tenant.id):
        device = await register_device(channel="kiosk", store=shop.store, zone=shop.zone, label="Stand",
                                       token=token, settings=database)
    context = await browser.new_context(locale="da", **TABLET)
    page = await context.new_page()
    await page.clock.install()
    await page.goto(f"{server}/k/{token}")
    assert await page.locator(".langs").count() == 0

    # 1. A shopper answers and is thanked; no receipt code shows; a few seconds later the screen starts over.
    await _start(page)
    assert await page.evaluate("() => !!document.fullscreenElement")  # full screen from the first tap
    await _finish(page, "Første kunde")
    assert await page.locator("#survey").get_attribute("data-state") == "sent"
    assert not await page.locator("#receipt").is_visible()
    assert messages("da")["kiosk_next"] in await page.locator("#thanks").inner_text()
    await page.clock.run_for(DEFAULT_THANKS_SECONDS * 1000 + 100)
    await _back_at_the_start(page)

    # 2. The next shopper walks away half-way: after the idle time the half-done survey is discarded.
    await _start(page)
    await _tap(page, 0, 5)
    await _tap(page, 1, 4)
    await page.clock.run_for(DEFAULT_IDLE_SECONDS * 1000 + 100)
    await _back_at_the_start(page)

    # 3. The network drops: the finished response waits on the screen, and the next shopper can already start.
    await context.set_offline(True)
    await _start(page)
    await _finish(page, "Tredje kunde")
    assert await page.locator("#survey").get_attribute("data-state") == "queued"
    assert await page.locator("#thanks-body").inner_text() == messages("da")["kiosk_queued_body"]
    assert len(await outbox(page)) == 1
    await page.clock.run_for(DEFAULT_THANKS_SECONDS * 1000 + 100)
    await _back_at_the_start(page)
    await _start(page)
    await _tap(page, 0, 2)
    await context.set_offline(False)  # the network is back: the waiting response goes, the shopper goes on
    await page.wait_for_function("() => localStorage.getItem('pejling.outbox') === '{}'", timeout=15_000)
    await _finish(page, "Fjerde kunde", start=1)
    assert await page.locator("#survey").get_attribute("data-state") == "sent"

    # 4. The kiosk is retired while its screen runs: the next start shows that it is no longer in use.
    with tenant_scope(shop.tenant.id):
        await retire_device(device.id, "kiosk")
    await page.clock.run_for(DEFAULT_THANKS_SECONDS * 1000 + 100)
    await page.get_by_text(messages("da")["kiosk_retired_title"]).wait_for(state="visible")
    assert await page.locator("#survey").count() == 0
    await context.close()

    stored = await stored_responses(shop)
    by_comment = {r.comment: r for r in stored}
    assert sorted(by_comment) == ["Fjerde kunde", "Første kunde", "Tredje kunde"] and len(stored) == 3
    assert len({r.id for r in stored}) == 3  # a fresh id per shopper
    total = len(by_comment["Første kunde"].answers)
    for response in stored:
        assert response.channel == "kiosk" and response.zone_id == shop.zone.id
        assert response.channel_details == {"device": "Stand", "device_id": device.id.hex, "registered": True}
        assert len(response.answers) == total and response.outcome == 8
    # the walked-away shopper's two answers went nowhere: the fourth's first answer is its own
    fourth = sorted(by_comment["Fjerde kunde"].answers, key=lambda a: a.position)
    assert fourth[0].value == 2


async def test_the_kiosk_screen_is_accessible_at_tablet_size(server: str, browser: Browser, database: Settings) -> None:
    shop = await make_shop()
    token = new_device_token()
    with tenant_scope(shop.tenant.id):
        await register_device(channel="kiosk", store=shop.store, label="Stand", token=token, settings=database)
    context = await browser.new_context(locale="en", bypass_csp=True, **TABLET)  # bypass_csp: to inject axe
    page = await context.new_page()
    await page.goto(f"{server}/k/{token}")
    await _axe(page, "kiosk intro")
    await page.locator("#intro button[data-go=next]").tap()
    statements = page.locator(STATEMENTS)
    for index in range(await statements.count()):
        await statements.nth(index).locator("legend").wait_for(state="visible")
        if index == 0:
            await _axe(page, "kiosk statement")
        await page.wait_for_timeout(400)
        await statements.nth(index).locator("input[value='4']").tap()
    await page.locator("#outcome legend").wait_for(state="visible")
    await page.wait_for_timeout(400)
    await page.locator("#outcome input[value='9']").tap()
    await page.locator("#send").tap()
    await page.locator("#thanks").wait_for(state="visible")
    await _axe(page, "kiosk thank-you")
    await context.close()

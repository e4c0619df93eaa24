"""A store's dashboard with four weeks of answers, in Debian Chromium against the real app served by uvicorn.

A chain of three stores has simulated shoppers (real responses and answers, the rollups recomputed) over the last 28
days; its first store is weaker on ease and had a change logged two weeks ago. The owner opens that store's
dashboard: the importance x performance map (with its table), CSAT/CES, the weekly trend, the stores side by side and
the change log with the change's before/after are there, with the figures the API gives. A new change is logged by
keyboard and appears in the log (too recent for a before/after); the API agrees. On each state axe-core finds no
serious or critical violation, the page's Content-Security-Policy refuses nothing, and a screenshot is kept under
build/artifacts/portal/.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import numpy as np
import pytest
from playwright.async_api import Browser, expect

from pejling.core.settings import Settings
from pejling.core.surveys.bank import GOALS
from pejling.graphql.relay_ids import encode_id
from tests.insights.simulate import StoreModel, World, add_responses, recompute
from tests.portal.conftest import built_portal, check_page
from tests.support.tenancy import PASSWORD, make_tenant
from tests.survey_page.phone import serve_app

pytestmark = pytest.mark.once

TIMEZONE = "Europe/Copenhagen"
INSIGHTS = """query($store: ID!, $from: Date!, $to: Date!) {
  insights(scope: {kind: STORE, ids: [$store]}, period: {from: $from, to: $to}) {
    n map { goal quadrant } trends { weekly { n } } storeChanges { description outcome { sufficient } }
  }
  storeChanges(storeId: $store) { description date }
}"""


@pytest.fixture(scope="module")
def server(database: Settings) -> Iterator[str]:
    built_portal()
    yield from serve_app(database)


async def _api(server: str, headers: dict[str, str], query: str, variables: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server, headers=headers) as api:
        body = (await api.post("/graphql", json={"query": query, "variables": variables})).json()
    assert "errors" not in body, body
    return dict(body["data"])


async def test_a_stores_dashboard_with_a_month_of_answers(server: str, browser: Browser) -> None:
    shop = await make_tenant(stores=3)
    world = World(shop.tenant, shop.owner.id, shop.stores, {s.id: [z] for s, z in zip(shop.stores, shop.zones)})
    today = datetime.now(ZoneInfo(TIMEZONE)).date()
    start = today - timedelta(days=27)
    rng = np.random.default_rng(12)
    weights = {g: 0.15 for g in GOALS} | {"ease": 0.9, "security": 0.5}
    for number, store in enumerate(shop.stores):
        means = {g: 3.7 for g in GOALS} | ({"ease": 2.6} if number == 0 else {})
        await add_responses(world, store, StoreModel(means, weights), 180, rng=rng, start=start, days=28)
    await recompute(world)
    store = shop.stores[0]
    store_id = encode_id("Store", store.id)
    logged = await _api(server, shop.headers, """mutation($i: LogStoreChangeInput!) {
      logStoreChange(input: $i) { errors { message } } }""", {"i": {
        "storeId": store_id, "date": (today - timedelta(days=14)).isoformat(), "description": "Second till opened"}})
    assert logged["logStoreChange"]["errors"] == []
    api = await _api(server, shop.headers, INSIGHTS, {"store": store_id, "from": start.isoformat(),
                                                      "to": today.isoformat()})
    assert api["insights"]["storeChanges"][0]["outcome"]["sufficient"], api
    fix_first = [p["goal"] for p in api["insights"]["map"] if p["quadrant"] == "priority"]
    assert "ease" in fix_first, api["insights"]["map"]

    refused: list[str] = []
    context = await browser.new_context(locale="en-GB", timezone_id=TIMEZONE, viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    await page.goto(f"{server}/login")
    await page.get_by_label("Email").fill(shop.owner.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url("**/portal")

    # 1. The dashboard over the last 30 days: every section with the API's figures.
    await page.goto(f"{server}/portal/stores/{store_id}/dashboard")
    await expect(page.get_by_test_id("response-total")).to_have_text(f"{api['insights']['n']} responses in this period")
    map_section = page.get_by_role("region", name="What matters most, and how you are doing")
    await expect(map_section.get_by_role("figure")).to_be_visible()
    await expect(map_section.get_by_test_id("map-fix-first")).to_contain_text("Fix first:")
    await expect(map_section.get_by_test_id("map-fix-first")).to_contain_text("ease")
    rows = map_section.get_by_role("table").get_by_role("row")
    await expect(rows).to_have_count(1 + len(api["insights"]["map"]))
    await expect(rows.filter(has_text="ease").first).to_contain_text("Fix first")
    await expect(rows.filter(has_text="ease").first).to_contain_text("likely between")
    # CSAT and CES are not in this survey: they say so rather than show a number.
    await expect(page.get_by_role("region", name="Satisfied with the visit (CSAT)")).to_contain_text("Not asked")
    trend = page.get_by_role("region", name="Week by week")
    await expect(trend.get_by_role("figure")).to_be_visible()
    await trend.get_by_text("Show the figures as a table").click()
    weeks = api["insights"]["trends"]["weekly"]
    await expect(trend.get_by_role("table").get_by_role("row")).to_have_count(1 + len(weeks))
    comparison = page.get_by_role("region", name="Your stores side by side")
    await expect(comparison.get_by_role("row")).to_have_count(4)
    await expect(comparison.get_by_role("row").filter(has_text="(this store)")).to_contain_text("ease")
    changes = page.get_by_role("region", name="Changes in the store")
    await expect(changes.get_by_test_id("change-log")).to_contain_text("Second till opened")
    await expect(changes.get_by_test_id("change-effect")).to_contain_text("Over the 28 days after")
    await check_page(page, "dashboard-insights", refused)

    # 2. Log a change by keyboard: type, Tab through the fields, Enter sends it; it is listed, too recent to compare.
    await changes.get_by_label("What did you change?").focus()
    await page.keyboard.type("New signage at the entrance")
    await page.keyboard.press("Tab")
    await expect(changes.get_by_label("Day of the change")).to_be_focused()
    zone = changes.get_by_label("Where in the store")
    for _ in range(4):  # Chromium's date field takes a Tab per part (day, month, year) before moving on
        if await zone.evaluate("e => e === document.activeElement"):
            break
        await page.keyboard.press("Tab")
    await expect(zone).to_be_focused()
    await page.keyboard.press("ArrowDown")
    await expect(zone).to_have_value(encode_id("Zone", shop.zones[0].id))
    await page.keyboard.press("Tab")
    await expect(changes.get_by_role("button", name="Log the change")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(changes.get_by_test_id("change-logged")).to_have_text("The change is logged.")
    entry = changes.get_by_role("listitem").filter(has_text="New signage at the entrance")
    await expect(entry).to_contain_text("(Checkout)")
    await expect(entry).to_contain_text("Not enough responses yet")
    await expect(changes.get_by_label("What did you change?")).to_have_value("")
    await check_page(page, "dashboard-change-logged", refused)
    listed = await _api(server, shop.headers, INSIGHTS, {"store": store_id, "from": start.isoformat(),
                                                         "to": today.isoformat()})
    assert [c["description"] for c in listed["storeChanges"]] == ["New signage at the entrance", "Second till opened"]
    assert listed["storeChanges"][0]["date"] == today.isoformat()
    await context.close()

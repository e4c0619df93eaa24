"""The Responses page and the follow-up inbox, in Debian Chromium against the real app served by uvicorn.

Three shoppers answer through the survey endpoint (two at the first store, one with a comment; one at the second
store) and an alert rule's follow-up is open → the owner opens Responses from the navigation and sees all three →
filters to those with a comment, to the Swedish ones, then to the second store → exports the filtered list as CSV
(the job run by a worker) with a progress bar to a download link, and the file holds exactly the filtered responses
→ opens the follow-up inbox, sees the follow-up, opens it from its link → a store manager of the first store sees
only its two responses and only that store in the filter. On each page axe-core finds no serious or critical
violation, the page's Content-Security-Policy refuses nothing, and a screenshot is kept under build/artifacts/portal/.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import anyio
import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from pejling.core import followups
from pejling.core.followups.exports import EXPORT_JOB
from pejling.core.followups.models import AlertRule, FollowUp, RuleKind
from pejling.core.jobs.worker import Worker
from pejling.core.settings import Settings
from pejling.core.surveys.survey import active_survey, statements_of
from pejling.tenants.models import Role
from pejling.tenants.scope import tenant_scope
from tests.portal.conftest import built_portal, check_page
from tests.support.tenancy import PASSWORD, make_tenant, member
from tests.survey_page.phone import serve_app
from tests.surveys.conftest import Shop

pytestmark = pytest.mark.once


@pytest.fixture(scope="module")
def server(database: Settings) -> Iterator[str]:
    built_portal()
    yield from serve_app(database)


async def _answer(server: str, shop: Shop, hours_ago: int, **changes: object) -> str:
    """A shopper's response posted as the survey page does, submitted ``hours_ago``; its receipt code."""
    started = datetime.now(UTC) - timedelta(hours=hours_ago)
    body = shop.payload(started_at=started.isoformat(), submitted_at=(started + timedelta(seconds=40)).isoformat(),
                        **changes)
    async with httpx.AsyncClient(base_url=server) as client:
        reply = await client.post(f"/s/{shop.tenant.slug}/{shop.store.slug}/responses", json=body)
    assert reply.status_code == 201, reply.text
    return str(reply.json()["receipt_code"])


async def _log_in(page: Page, server: str, email: str) -> None:
    await page.goto(f"{server}/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url("**/portal")


async def test_responses_filtered_and_exported_the_inbox_and_a_store_managers_view(
    server: str, browser: Browser, database: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    owned = await make_tenant(stores=2)
    first, second = owned.stores
    with tenant_scope(owned.tenant.id):
        current = await active_survey()
        assert current is not None
        await statements_of(current.version)
    version = current.version

    def shop(index: int) -> Shop:
        return Shop(owned.tenant, owned.stores[index], owned.zones[index], owned.stores[1 - index], str(version.id),
                    list(version.statement_ids), list(version.warmup_ids))

    quiet = await _answer(server, shop(0), 5, comment="")
    queue = await _answer(server, shop(0), 4, comment="The queue was long today.", outcome=2)
    praise = await _answer(server, shop(1), 3, comment="Friendly staff at the till.", language="sv")
    with tenant_scope(owned.tenant.id):
        rule = await AlertRule.create(name="Low scores", kind=RuleKind.OUTCOME_AT_MOST, threshold=3)
        await FollowUp.create(rule=rule, store=first, reason="outcome 2", dedupe_key=f"{rule.id}:browser")
    manager = await member(owned.tenant, Role.STORE_MANAGER, [str(first.id)])

    refused: list[str] = []
    context = await browser.new_context(locale="en-GB", viewport={"width": 1024, "height": 768}, accept_downloads=True)
    page = await context.new_page()
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)

    # 1. The owner opens Responses (a tablet's width) and sees all three, newest first.
    await _log_in(page, server, owned.owner.email)
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Responses").click()
    await page.wait_for_url("**/portal/responses")
    await expect(page.get_by_role("heading", level=1, name="Responses")).to_be_visible()
    rows = page.get_by_test_id("responses").locator("tbody tr")
    await expect(rows).to_have_count(3)
    await expect(rows.first).to_contain_text(praise)
    await expect(rows.first).to_contain_text("Friendly staff at the till.")
    await check_page(page, "responses", refused)

    # 2. Only those with a comment, then only the second store's (the filters go in the address).
    await page.get_by_label("Comment").select_option("yes")
    await expect(rows).to_have_count(2)
    await expect(page.get_by_test_id("responses")).not_to_contain_text(quiet)
    await expect(page.get_by_test_id("responses")).to_contain_text("2 of 10")
    await page.get_by_label("Shopper's language").select_option(label="Swedish")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text(praise)
    await page.get_by_label("Shopper's language").select_option(label="All languages")
    await expect(rows).to_have_count(2)
    await page.get_by_label("Store").select_option(label=second.name)
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text(praise)
    assert "comment=yes" in page.url and "store=" in page.url
    await page.get_by_label("Quality").select_option("yes")
    await expect(page.get_by_test_id("responses-empty")).to_have_text(
        "No responses match these filters. Try a longer period or fewer filters.")
    await page.get_by_label("Quality").select_option("any")
    await expect(rows).to_have_count(1)
    await check_page(page, "responses-filtered", refused)

    # 3. Export what the filters cover: a job, its progress, the CSV with that one response.
    await page.get_by_role("button", name="Export these responses").click()
    bar = page.get_by_role("progressbar", name="Export progress")
    await expect(bar).to_be_visible()
    await expect(page.get_by_text("Waiting to start…")).to_be_visible()
    monkeypatch.setattr(followups, "_settings", database)  # the job writes where the served app reads: var_dir
    worker = Worker(database, kinds=[EXPORT_JOB])
    while await worker.run_once():
        pass
    link = page.get_by_role("link", name="Download the CSV file")
    await expect(link).to_be_visible(timeout=10_000)
    await expect(bar).to_have_attribute("aria-valuenow", "100")
    await expect(page.get_by_test_id("export-rows")).to_have_text("1 of 1 response")
    await check_page(page, "responses-export-ready", refused)
    async with page.expect_download() as download_info:
        await link.click()
    download = await download_info.value
    path = await download.path()
    assert path is not None
    exported = list(csv.DictReader(io.StringIO((await anyio.Path(path).read_bytes()).decode("utf-8-sig"))))
    assert [(r["receipt_code"], r["store"], r["comment"]) for r in exported] == [
        (praise, second.slug, "Friendly staff at the till.")]

    # 4. The follow-up inbox: the open follow-up, and its page from its link.
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Follow-ups").click()
    await page.wait_for_url("**/portal/follow-ups")
    await expect(page.get_by_role("button", name="Open", exact=True)).to_have_attribute("aria-pressed", "true")
    items = page.get_by_test_id("follow-ups").get_by_role("listitem")
    await expect(items).to_have_count(1)
    await expect(items.first).to_contain_text(first.name)
    await check_page(page, "follow-ups", refused)
    await page.get_by_role("button", name="Resolved").click()
    await expect(page.get_by_test_id("follow-ups-empty")).to_have_text("No resolved follow-ups yet.")
    await page.get_by_role("button", name="Open", exact=True).click()
    await items.first.get_by_role("link").click()
    await page.wait_for_url("**/portal/follow-ups/*-*")
    await expect(page.get_by_test_id("follow-up-status")).to_have_text("Open")
    await context.close()

    # 5. A store manager of the first store: its two responses only, and only it to choose.
    context = await browser.new_context(locale="en-GB", viewport={"width": 768, "height": 1024})
    page = await context.new_page()
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    await _log_in(page, server, manager.email)
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Responses").click()
    rows = page.get_by_test_id("responses").locator("tbody tr")
    await expect(rows).to_have_count(2)
    await expect(page.get_by_test_id("responses")).to_contain_text(queue)
    await expect(page.get_by_test_id("responses")).not_to_contain_text(praise)
    await expect(page.get_by_label("Store").locator("option")).to_have_text(["All stores", first.name])
    await check_page(page, "responses-store-manager", refused)
    await context.close()

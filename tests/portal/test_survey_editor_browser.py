"""A new owner's onboarding and the survey editor, in Debian Chromium at tablet size against the real app (uvicorn).

A freshly made owner with no store logs in → the empty store list leads to the onboarding → step 1 creates a store
with zones → step 2 shows the real survey page in the phone frame (the preview banner, the survey's statements) →
step 3 makes the QR code, downloads the A4 poster (a PDF) and prepares an NFC tag (its link and NDEF message) →
step 4 waits live (0 so far) → leaving and coming back resumes at step 4 → the editor, from the navigation, swaps
a statement and the phone frame shows the new version's statements → answering the survey to the end inside the
preview stores nothing. axe-core and the CSP check (`check_page`) on each step and the editor; screenshots
`welcome-*.png`, `survey-editor*.png`.
"""

from __future__ import annotations

from collections.abc import Iterator

import anyio
import pytest
from playwright.async_api import Browser, FrameLocator, Page, expect

from pejling.core.settings import Settings
from pejling.core.surveys.models import Response
from pejling.tenants.scope import tenant_scope
from tests.portal.conftest import built_portal, check_page
from tests.support.tenancy import PASSWORD, make_tenant
from tests.survey_page.phone import serve_app

pytestmark = pytest.mark.once

FRAME = 'iframe[title="Survey preview on a phone"]'
STATEMENTS = "Statements, by what shoppers come for"


@pytest.fixture(scope="module")
def server(database: Settings) -> Iterator[str]:
    built_portal()
    yield from serve_app(database)


async def _asked(preview: FrameLocator) -> list[str]:
    """The scored statements the survey page in the phone frame asks (warm-ups left out), sorted."""
    fields = preview.locator("fieldset.statement[data-warmup='0']")
    await fields.first.wait_for(state="attached")
    return sorted([await fields.nth(i).get_attribute("data-id") or "" for i in range(await fields.count())])


async def _ticked(page: Page) -> list[str]:
    boxes = page.get_by_role("form", name=STATEMENTS).get_by_role("checkbox")
    await page.get_by_role("form", name=STATEMENTS).locator("input:checked").first.wait_for()
    return sorted([await boxes.nth(i).get_attribute("value") or "" for i in range(await boxes.count())
                   if await boxes.nth(i).is_checked()])


async def test_onboard_a_store_with_a_poster_then_change_the_survey_and_see_the_preview_follow(
    server: str, browser: Browser
) -> None:
    owned = await make_tenant(stores=0)
    refused: list[str] = []
    context = await browser.new_context(locale="en-GB", viewport={"width": 1180, "height": 820}, has_touch=True,
                                        accept_downloads=True)
    page = await context.new_page()
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)

    await page.goto(f"{server}/login")
    await page.get_by_label("Email").fill(owned.owner.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url("**/portal")
    await page.get_by_role("link", name="Get started in four steps").click()
    await page.wait_for_url("**/portal/welcome**")
    step = page.get_by_test_id("welcome-step")

    # Step 1: a store with two zones.
    await expect(step).to_have_text("Step 1 of 4: Your store")
    await check_page(page, "welcome-store", refused)
    await page.get_by_label("Store name").fill("Nordlys Aarhus")
    await page.get_by_label("Zones").fill("Entrance, Checkout")
    await page.get_by_role("button", name="Create store").click()

    # Step 2: the real survey page in the phone frame, marked as a preview.
    await expect(step).to_have_text("Step 2 of 4: Your survey")
    preview = page.frame_locator(FRAME)
    await expect(preview.locator("#preview-banner")).to_have_text("Preview: answers are not saved")
    assert await _asked(preview) == await _ticked(page)
    assert (await page.locator(FRAME).get_attribute("src") or "").endswith("/nordlys-aarhus?preview=1&lang=en")
    await check_page(page, "welcome-survey", refused)
    await page.get_by_role("button", name="Continue").click()

    # Step 3: the QR poster and the NFC payload.
    await expect(step).to_have_text("Step 3 of 4: Poster and NFC")
    await page.get_by_role("button", name="Make a QR code").click()
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Download the A4 poster (PDF)").click()
    poster = await (await download_info.value).path()
    assert poster is not None and (await anyio.Path(poster).read_bytes()).startswith(b"%PDF")
    await page.get_by_role("button", name="Prepare an NFC tag").click()
    await expect(page.get_by_test_id("nfc-url")).to_contain_text(f"/s/{owned.tenant.slug}/nordlys-aarhus")
    await expect(page.get_by_test_id("nfc-record")).not_to_be_empty()
    await check_page(page, "welcome-poster", refused)
    await page.get_by_role("button", name="Continue").click()

    # Step 4: waiting live for the first response; coming back later resumes here.
    await expect(step).to_have_text("Step 4 of 4: Your first response")
    await expect(page.get_by_test_id("live-count")).to_have_attribute("data-count", "0")
    await check_page(page, "welcome-live", refused)
    await page.goto(f"{server}/portal")
    await page.goto(f"{server}/portal/welcome")
    await expect(step).to_have_text("Step 4 of 4: Your first response")
    progress = page.get_by_role("navigation", name="Setup steps").get_by_role("button")
    await expect(progress).to_have_text([
        "Step 1 of 4: Your store (done)", "Step 2 of 4: Your survey (done)", "Step 3 of 4: Poster and NFC (done)",
        "Step 4 of 4: Your first response"])

    # The editor: swap one statement for another, by keyboard; the phone frame follows.
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Survey").click()
    await page.wait_for_url("**/portal/survey")
    before = await _ticked(page)
    preview = page.frame_locator(FRAME)
    assert await _asked(preview) == before
    await expect(page.get_by_test_id("survey-version")).to_contain_text("Version 1 ")
    await check_page(page, "survey-editor", refused)
    form = page.get_by_role("form", name=STATEMENTS)
    dropped = form.locator(f"input[value='{before[0]}']")
    added = form.locator("input[type=checkbox]:not(:checked)").first
    added_id = await added.get_attribute("value")
    assert added_id and added_id not in before
    await dropped.focus()
    await page.keyboard.press("Space")
    await form.locator(f"input[value='{added_id}']").focus()
    await page.keyboard.press("Space")
    await form.get_by_role("button", name="Save the statements").click()
    await expect(form.get_by_role("status")).to_contain_text("Saved.")
    await expect(page.get_by_test_id("survey-version")).to_contain_text("Version 2 ")
    after = sorted([*before[1:], added_id])
    assert await _ticked(page) == after
    preview = page.frame_locator(FRAME)
    await expect(preview.locator(f"fieldset.statement[data-id='{added_id}']")).to_have_count(1)
    await expect(preview.locator(f"fieldset.statement[data-id='{before[0]}']")).to_have_count(0)
    assert await _asked(preview) == after
    await check_page(page, "survey-editor-saved", refused)

    # Answering inside the preview goes to the end and stores nothing.
    await preview.locator("#intro button[data-go=next]").tap()
    statements = preview.locator("fieldset.statement")
    for index in range(await statements.count()):
        await statements.nth(index).locator("legend").wait_for(state="visible")
        await page.wait_for_timeout(450)
        await statements.nth(index).locator("input[value='4']").tap()
    await preview.locator("#outcome legend").wait_for(state="visible")
    await preview.locator("#outcome input[value='8']").tap()
    await preview.locator("#send").wait_for(state="visible")
    await preview.locator("#send").tap()
    await expect(preview.locator("#thanks")).to_be_visible()
    await expect(preview.locator("#thanks-body")).to_have_text(
        "This was the end of the survey. In a preview nothing is sent or saved.")
    with tenant_scope(owned.tenant.id):
        assert await Response.all().count() == 0
    await context.close()

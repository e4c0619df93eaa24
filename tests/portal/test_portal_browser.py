"""The retailer's first minutes in the portal, in Debian Chromium against the real app served by uvicorn.

Sign up (the link from the sign-up mail) → create a store with zones → make the QR code and download the poster →
a shopper answers the survey on a phone → the store page's live counter rises → the dashboard counts the response.
On each page axe-core finds no serious or critical violation, the page's Content-Security-Policy refuses nothing,
and a screenshot is kept under build/artifacts/portal/.
"""

from __future__ import annotations

import random
import re
import secrets
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urlsplit

import anyio
import pytest
from playwright.async_api import Browser, Page, expect

from pejling.core.settings import Settings
from tests.portal.conftest import built_portal, check_page, token_watch
from tests.survey_page.phone import answer_outcome_and_comment, phone, serve_app

pytestmark = pytest.mark.once

PASSWORD = "sunlit harbour quietly 42 maps"


@pytest.fixture(scope="module")
def server(database: Settings) -> Iterator[str]:
    built_portal()
    yield from serve_app(database)


def _signup_link(mail_dir: Path, address: str) -> str:
    """The path and fragment of the link in the sign-up mail to ``address`` (the mail is kept as a .eml file)."""
    for path in sorted(mail_dir.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if address in str(message["To"]):
            body = message.get_body(("plain",))
            assert body is not None
            found = re.search(r"https?://\S+/confirm-signup#token=[\w\-%.~]+", body.get_content())
            assert found, body.get_content()
            link = urlsplit(found.group(0))
            assert link.query == ""  # the token is in the fragment: the browser never sends it (ASVS V14.2.1)
            return f"{link.path}#{link.fragment}"
    raise AssertionError(f"no sign-up mail to {address}")


async def _answer_survey(page: Page) -> None:
    """Tap through the survey like a person (each tap at least 400 ms after the statement shows, varied answers)."""
    await page.locator("#intro button[data-go=next]").tap()
    statements = page.locator("fieldset.statement")
    for index in range(await statements.count()):
        step = statements.nth(index)
        await step.locator("legend").wait_for(state="visible")
        await page.wait_for_timeout(random.randint(400, 600))
        await step.locator(f"input[value='{1 + (index * 3) % 5}']").tap()
    await answer_outcome_and_comment(page)
    await page.locator("#send").tap()
    await page.locator("#thanks").wait_for(state="visible")


async def test_sign_up_set_up_a_store_and_see_the_first_response_arrive(
    server: str, browser: Browser, database: Settings
) -> None:
    refused: list[str] = []
    context = await browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = await context.new_page()
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)

    # 1. Sign up: the form, then "check your email".
    await page.goto(f"{server}/")
    await page.wait_for_url("**/login")
    await check_page(page, "login", refused)
    await page.get_by_role("link", name="Create an account").click()
    address = f"owner-{secrets.token_hex(4)}@example.com"
    business = f"Nordlys {secrets.token_hex(3)}"
    await page.get_by_label("Business name").fill(business)
    assert await page.get_by_label("Web address of your business").input_value() == business.lower().replace(" ", "-")
    await page.get_by_label("Your name").fill("Ingrid Owner")
    await page.get_by_label("Email").fill(address)
    await check_page(page, "signup", refused)
    await page.get_by_role("button", name="Create account").click()
    await expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    # 2. The mail's link: choose a password; the business exists and its (empty) store list opens. Its token reaches
    # the server only in the GraphQL body: in no request's path, query or header (Referer), nor left in the address.
    link = _signup_link(database.mail_dir, address)
    token = link.split("#token=", 1)[1]
    sent = token_watch(page, token)
    await page.goto(server + link)
    await page.get_by_label("New password").fill(PASSWORD)
    assert token not in page.url
    await check_page(page, "confirm-signup", refused)
    await page.get_by_role("button", name="Create my business").click()
    await page.wait_for_url("**/portal")
    await expect(page.get_by_text("You have no stores yet")).to_be_visible()
    assert set(sent) == {"in the body"}, sent
    await check_page(page, "stores-empty", refused)

    # 3. Create a store with two zones; its page opens.
    await page.get_by_label("Store name").fill("Nordlys Aarhus")
    await page.get_by_label("Zones").fill("Entrance, Checkout")
    await page.get_by_role("button", name="Create store").click()
    await expect(page.get_by_role("heading", level=1, name="Nordlys Aarhus")).to_be_visible()
    zones = page.get_by_role("region", name="Zones").get_by_role("listitem")
    await expect(zones).to_have_text(["Entrance", "Checkout"])

    # 4. Make the QR code and download the A4 poster.
    await page.get_by_role("button", name="Make a QR code").click()
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Download the A4 poster (PDF)").click()
    download = await download_info.value
    assert download.suggested_filename.endswith("-poster-a4.pdf")
    poster = await download.path()
    assert poster is not None and (await anyio.Path(poster).read_bytes()).startswith(b"%PDF")
    counter = page.get_by_test_id("live-count")
    await expect(counter).to_have_attribute("data-count", "0")
    await expect(counter).to_have_text("0 responses today")
    await check_page(page, "store", refused)

    # 5. A shopper scans the code on a phone and answers; the counter on the store page rises meanwhile.
    survey_path = await page.get_by_test_id("survey-link").get_attribute("href")
    assert survey_path and survey_path.startswith("/q/")
    shopper = await phone(browser, "en")
    shopper_page = await shopper.new_page()
    await shopper_page.goto(server + survey_path)
    await _answer_survey(shopper_page)
    await shopper.close()
    await expect(counter).to_have_attribute("data-count", "1", timeout=10_000)
    await expect(counter).to_have_text("1 response today")

    # 6. The dashboard counts it and says honestly that one response is too few to say what to change.
    await page.get_by_role("link", name="Open the dashboard").click()
    await expect(page.get_by_test_id("response-total")).to_have_text("1 response in this period")
    await expect(page.get_by_text("Too few responses to say what to change first: 1 so far")).to_be_visible()
    await expect(page.get_by_role("heading", name="What shoppers come for")).to_be_visible()
    await check_page(page, "dashboard", refused)

    # 7. In Danish, and logged out again.
    await page.get_by_label("Language").select_option("da")
    await expect(page.get_by_test_id("response-total")).to_have_text("1 svar i perioden")
    assert await page.get_attribute("html", "lang") == "da"
    await page.get_by_role("button", name="Log ud").click()
    await page.wait_for_url("**/login")
    await page.goto(f"{server}/portal")
    await page.wait_for_url("**/login?next=%2Fportal")
    await context.close()



async def test_the_token_watch_sees_a_token_in_a_query_and_none_in_a_fragment(server: str, browser: Browser) -> None:
    """The watch the link tests rely on can fail: a link of the old kind (``?token=``) sends its token (the request
    line, and the ``Referer`` of what the page loads next); a fragment sends nothing, and the page still reads it."""
    context = await browser.new_context(locale="en-GB")
    page = await context.new_page()
    in_query, in_fragment = token_watch(page, "old-kind-token-1"), token_watch(page, "fragment-token-2")
    await page.goto(f"{server}/reset-password?token=old-kind-token-1")
    await expect(page.get_by_label("New password")).to_be_visible()
    await page.goto(f"{server}/confirm-signup#token=fragment-token-2")
    await expect(page.get_by_label("New password")).to_be_visible()
    await page.wait_for_url(f"{server}/confirm-signup")  # read, then taken out of the address
    assert in_query.get("in the address or a header", 0) >= 1, in_query
    assert in_fragment == {}, in_fragment
    await context.close()

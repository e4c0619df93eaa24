"""On a phone (Debian Chromium, phone-sized, the real app): a shopper completes the survey, follows the thank-you
screen's receipt link, sees their answers and erases them."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import Browser, Page

from pejling.frontend.language import messages
from tests.survey_page.conftest import make_shop, statement_texts
from tests.survey_page.phone import ROOT, answer_outcome_and_comment, phone, stored_responses

pytestmark = pytest.mark.once

STATEMENTS = "fieldset.statement"
AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"


async def _axe(page: Page, where: str) -> None:
    """axe-core finds nothing serious or critical (WCAG 2.2 AA and best practice) on the page."""
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("() => axe.run(document, {runOnly: {type: 'tag', values: "
                                 "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})")
    bad = [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:3]} for v in result["violations"]
           if v["impact"] in ("serious", "critical")]
    assert not bad, f"{where}: {json.dumps(bad)}"


async def test_a_shopper_sees_and_erases_their_answer_from_the_thank_you_link(server: str, browser: Browser) -> None:
    shop = await make_shop()
    da = messages("da")
    context = await phone(browser, "da", bypass_csp=True)  # to inject axe
    page = await context.new_page()
    await page.goto(f"{server}{shop.url}")
    await page.locator("#intro button[data-go=next]").tap()
    total = await page.locator(STATEMENTS).count()
    for index in range(total):
        step = page.locator(STATEMENTS).nth(index)
        await step.locator("legend").wait_for(state="visible")
        await page.wait_for_timeout(400)  # a tap counts once the screen has settled
        await step.locator("input[value='4']").tap()
    await answer_outcome_and_comment(page)
    await page.locator("#send").tap()
    await page.locator("#thanks").wait_for(state="visible")
    code = (await page.locator("#receipt-code").text_content() or "").strip()
    link = page.locator("#receipt-link")
    await link.wait_for(state="visible")
    assert (await link.text_content() or "").strip() == da["receipt_link"]

    await link.tap()
    await page.locator("#answers").wait_for(state="visible")
    assert page.url.startswith(f"{server}/r/{shop.tenant.slug}/{code}")
    answers = await page.locator("#answers").inner_text()
    texts = statement_texts("da")
    (response,) = await stored_responses(shop)
    assert all(texts[a.statement_id] in answers for a in response.answers if a.statement_id in texts)
    assert "Enig (4/5)" in answers and "8/10" in answers and "The fitting rooms were lovely" in answers
    await _axe(page, "receipt page")

    await page.locator("#erase").tap()
    await page.locator("#confirm-erase").wait_for(state="visible")
    assert await stored_responses(shop)  # asking changes nothing
    await _axe(page, "erase question")
    await page.locator("#confirm-erase").tap()
    await page.get_by_role("heading", name=da["receipt_erased_title"]).wait_for(state="visible")
    assert await stored_responses(shop) == []
    await _axe(page, "erased")
    await page.goto(f"{server}/r/{shop.tenant.slug}/{code}")
    await page.get_by_role("heading", name=da["receipt_not_found_title"]).wait_for(state="visible")
    await context.close()

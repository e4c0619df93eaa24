"""On a phone (headless Chromium, the real app): a shopper taps "doesn't apply", reloads, and the response has it."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from pejling.core.surveys.survey import choose_statements
from pejling.frontend.language import messages
from pejling.tenants.scope import tenant_scope
from tests.survey_page.conftest import make_shop
from tests.survey_page.phone import answer_outcome_and_comment, phone, stored_responses

pytestmark = pytest.mark.once

STATEMENTS = "fieldset.statement"
PAYING = "ease.quick-to-pay"


async def test_a_doesnt_apply_tap_is_kept_across_a_reload_and_stored_as_such(server: str, browser: Browser) -> None:
    shop = await make_shop()
    with tenant_scope(shop.tenant.id):
        await choose_statements(["security.prices-clear", PAYING, "autonomy.own-pace"], ["warmup.visited-today"])
    context = await phone(browser, "sv")
    page = await context.new_page()
    await page.goto(f"{server}{shop.url}")
    await page.locator("#intro button[data-go=next]").tap()
    total = await page.locator(STATEMENTS).count()
    order = [await page.locator(STATEMENTS).nth(i).get_attribute("data-id") for i in range(total)]
    paying = order.index(PAYING)
    for index in range(paying + 1):
        step = page.locator(STATEMENTS).nth(index)
        await step.locator("legend").wait_for(state="visible")
        await page.wait_for_timeout(450)
        if index == paying:
            choice = step.get_by_role("radio", name=messages("sv")["not_applicable"])  # named for screen readers
            await choice.tap()
        else:
            await step.locator("input[value='4']").tap()
    after = page.locator("#outcome") if paying == total - 1 else page.locator(STATEMENTS).nth(paying + 1)
    await after.locator("legend").wait_for(state="visible")
    await page.reload()  # the n/a answer and its reaction time survive a reload (sessionStorage)
    await after.locator("legend").wait_for(state="visible")
    assert await page.locator(f"input[name='s:{PAYING}'][value='na']").is_checked()
    for index in range(paying + 1, total):
        step = page.locator(STATEMENTS).nth(index)
        await step.locator("legend").wait_for(state="visible")
        await page.wait_for_timeout(450)
        await step.locator("input[value='3']").tap()
    await answer_outcome_and_comment(page)
    await page.locator("#send").tap()
    await page.locator("#thanks").wait_for(state="visible")
    await context.close()
    (response,) = await stored_responses(shop)
    answers = {a.statement_id: a for a in response.answers}
    assert answers[PAYING].not_applicable is True and answers[PAYING].value is None
    assert answers[PAYING].reaction_ms is not None and answers[PAYING].reaction_ms >= 300
    assert all(a.value is not None and not a.not_applicable for sid, a in answers.items() if sid != PAYING)
    assert len(answers) == total

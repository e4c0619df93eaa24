"""The shopper's path on a phone as shoppers really use it (Debian Chromium, phone-sized, the real app):
a double tap, a language switch mid-survey, a reload, the phone's Back button and a connection that never answers.
No answer is lost in any of them, and no tap answers a statement it was not meant for."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, Page

from pejling.frontend.language import messages
from tests.survey_page.conftest import make_shop
from tests.survey_page.phone import answer_outcome_and_comment, outbox, phone, stored_responses

pytestmark = pytest.mark.once

STATEMENTS = "fieldset.statement"


async def _start(page: Page) -> None:
    await page.locator("#intro button[data-go=next]").tap()
    await page.locator(STATEMENTS).first.locator("legend").wait_for(state="visible")


async def _tap(page: Page, index: int, value: int, wait_ms: int = 500) -> None:
    step = page.locator(STATEMENTS).nth(index)
    await step.locator("legend").wait_for(state="visible")
    await page.wait_for_timeout(wait_ms)
    await step.locator(f"input[value='{value}']").tap()


async def _checked(page: Page, index: int) -> str | None:
    value = await page.locator(STATEMENTS).nth(index).locator("input:checked").evaluate_all(
        "inputs => inputs.length ? inputs[0].value : null")
    return value if value is None else str(value)


async def _finish(page: Page, start: int) -> None:
    total = await page.locator(STATEMENTS).count()
    for index in range(start, total):
        await _tap(page, index, 1 + index % 5, wait_ms=400)
    await answer_outcome_and_comment(page)
    await page.locator("#send").tap()
    await page.locator("#thanks").wait_for(state="visible")


async def test_a_double_tap_answers_one_statement_only(server: str, browser: Browser) -> None:
    shop = await make_shop()
    context = await phone(browser, "en")
    page = await context.new_page()
    await page.goto(f"{server}{shop.url}")
    await _start(page)
    first = page.locator(STATEMENTS).first.locator("input[value='4']")
    await page.wait_for_timeout(500)
    box = await first.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    await page.touchscreen.tap(x, y)
    await page.wait_for_timeout(220)  # the finger's second tap, on the same spot, lands on the next statement
    await page.touchscreen.tap(x, y)
    second = page.locator(STATEMENTS).nth(1)
    await second.locator("legend").wait_for(state="visible")
    await page.wait_for_timeout(300)
    assert await second.is_visible() and await _checked(page, 1) is None  # not answered by the echo
    await page.wait_for_timeout(400)
    await second.locator("input[value='2']").tap()  # a meant tap, once the screen has settled, answers it
    await page.locator(STATEMENTS).nth(2).locator("legend").wait_for(state="visible")
    await _finish(page, 2)
    await context.close()
    (response,) = await stored_responses(shop)
    answers = sorted(response.answers, key=lambda a: a.position)
    assert [a.value for a in answers[:2]] == [4, 2]
    assert answers[1].reaction_ms is not None and answers[1].reaction_ms >= 300
    assert "fast_taps" not in (response.quality_flags or [])


async def test_language_switch_reload_and_back_keep_every_answer(server: str, browser: Browser) -> None:
    shop = await make_shop()
    context = await phone(browser, "da")
    page = await context.new_page()
    await page.goto(f"{server}{shop.url}")
    await _start(page)
    for index, value in enumerate((5, 4, 3)):
        await _tap(page, index, value, wait_ms=450 + 250 * index)
    fourth = page.locator(STATEMENTS).nth(3)
    await fourth.locator("legend").wait_for(state="visible")
    before = await page.evaluate("() => JSON.parse(sessionStorage.getItem(Object.keys(sessionStorage)"
                                 ".find(k => k.startsWith('pejling.progress:')))).answers")

    # 1. A language link: the page comes back in Swedish at the same statement, the answers kept.
    await page.locator(".langs a[hreflang=sv]").tap()
    await page.wait_for_url("**lang=sv**")
    assert await page.get_attribute("html", "lang") == "sv"
    await fourth.locator("legend").wait_for(state="visible")
    assert [await _checked(page, k) for k in range(3)] == ["5", "4", "3"]

    # 2. A reload: the same again.
    await page.reload()
    await fourth.locator("legend").wait_for(state="visible")

    # 3. The phone's Back button walks back through the statements, with their answers shown.
    await page.go_back()
    third = page.locator(STATEMENTS).nth(2)
    await third.locator("legend").wait_for(state="visible")
    assert await _checked(page, 2) == "3"
    await page.go_forward()
    await fourth.locator("legend").wait_for(state="visible")

    await _finish(page, 3)
    await context.close()
    (response,) = await stored_responses(shop)
    answers = sorted(response.answers, key=lambda a: a.position)
    assert response.language == "sv"
    assert [a.value for a in answers[:3]] == [5, 4, 3]
    # the reaction times measured before the switch are the ones stored
    assert [a.reaction_ms for a in answers[:3]] == [before[a.statement_id]["reaction_ms"] for a in answers[:3]]


async def test_a_connection_that_never_answers_keeps_the_response_and_sends_it_later(
    server: str, browser: Browser
) -> None:
    shop = await make_shop()
    context = await phone(browser, "nb")
    page = await context.new_page()
    await page.clock.install()  # the page's clock and timers are the test's: the timeout needs no 15 real seconds
    await page.goto(f"{server}{shop.url}")
    await _start(page)
    hung: list[Any] = []

    async def never_answer(route: Any) -> None:
        hung.append(route)  # neither fulfilled nor aborted: the request just hangs

    await page.route("**/responses", never_answer)
    total = await page.locator(STATEMENTS).count()
    for index in range(total):
        await page.locator(STATEMENTS).nth(index).locator("legend").wait_for(state="visible")
        await page.clock.run_for(500)
        await page.locator(STATEMENTS).nth(index).locator(f"input[value='{1 + index % 5}']").tap()
        await page.clock.run_for(300)
    await page.locator("#outcome legend").wait_for(state="visible")
    await page.locator("#outcome input[value='7']").tap()
    await page.clock.run_for(300)
    await page.locator("#comment").fill("Hyggelig betjening")
    await page.locator("#send").tap()
    assert await page.locator("#send").inner_text() == messages("nb")["sending"]
    await page.clock.run_for(16_000)
    await page.locator("#thanks").wait_for(state="visible")
    assert await page.locator("#survey").get_attribute("data-state") == "queued"  # it says so
    assert messages("nb")["queued_headline"] in await page.locator("#thanks-title").inner_text()
    assert len(await outbox(page)) == 1 and hung
    assert await stored_responses(shop) == []

    await page.unroute("**/responses")  # the network is back
    await page.clock.run_for(21_000)
    await page.wait_for_function("() => localStorage.getItem('pejling.outbox') === '{}'", timeout=15_000)
    await context.close()
    (response,) = await stored_responses(shop)
    assert len(response.answers) == total and response.outcome == 7 and response.comment == "Hyggelig betjening"

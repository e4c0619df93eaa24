"""The survey in a real phone-sized browser (Debian Chromium) against the real app served by uvicorn.

A shopper answers every statement, the outcome and the comment, sees the thank-you with a receipt code, and the
stored response has one plausible reaction time per answer; the same offline; scoring models' questions on their own
scales (1-5, 1-7, yes/no); axe-core finds no serious or critical
accessibility problem; the first load weighs at most 30 KB over the wire.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from pejling.core.insights.models import Score
from pejling.core.plugin_manager import load_plugins
from pejling.core.settings import Settings
from pejling.core.surveys.model_items import tenant_items
from pejling.core.surveys.survey import active_survey, choose_statements
from pejling.frontend.language import LANGUAGES, messages
from pejling.tenants.scope import tenant_scope
from tests.survey_page.conftest import make_shop
from tests.survey_page.phone import ROOT, answer_outcome_and_comment, outbox, phone, stored_responses

pytestmark = pytest.mark.once

AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
#: Where to keep the phone-size screenshots for a human to look at (optional).
SHOTS = os.environ.get("PEJLING_SCREENSHOT_DIR")
if SHOTS:
    Path(SHOTS).mkdir(parents=True, exist_ok=True)


async def _answer_statements(page: Page, slow: int | None = None, start: int = 0) -> int:
    """Tap through the intro and every statement from ``start`` like a person; returns how many statements there were.

    A person reads before tapping: each tap comes at least 350 ms after the statement appears (a tap sooner than
    the page's settle time is taken for a double tap's echo and ignored)."""
    if not start:
        await page.locator("#intro button[data-go=next]").tap()
    statements = page.locator("fieldset.statement")
    total = await statements.count()
    for index in range(start, total):
        step = statements.nth(index)
        await step.locator("legend").wait_for(state="visible")
        await page.wait_for_timeout(1500 if index == slow else random.randint(350, 800))
        value = 1 + (index * 3 + random.randint(0, 1)) % 5
        await step.locator(f"input[value='{value}']").tap()
    return total


async def _axe(page: Page, where: str) -> None:
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})"
    )
    bad = [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{where}: {json.dumps(bad, indent=1)}"


async def _shot(page: Page, name: str) -> None:
    if SHOTS:
        await page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


async def test_shoppers_complete_the_survey_in_four_languages(server: str, browser: Browser) -> None:
    for language in LANGUAGES:
        shop = await make_shop()
        context = await phone(browser, language)
        page = await context.new_page()
        await page.goto(f"{server}{shop.url}?zone={shop.zone.id}")
        assert await page.get_attribute("html", "lang") == language
        assert await page.get_attribute("html", "class") == "js"
        total = await _answer_statements(page, slow=2)
        await answer_outcome_and_comment(page)
        if language == "en":
            await _shot(page, "survey-last-step")
        await page.locator("#send").tap()
        await page.locator("#thanks").wait_for(state="visible")
        code = (await page.locator("#receipt-code").inner_text()).strip()
        assert len(code) >= 5
        assert await page.locator("#survey").get_attribute("data-state") == "sent"
        if language == "en":
            await _shot(page, "thank-you")
        await context.close()

        stored = await stored_responses(shop)
        assert len(stored) == 1, language
        response = stored[0]
        assert response.receipt_code.replace("-", "") in code.replace("-", "")
        assert response.language == language and response.outcome == 8 and response.via == "json"
        assert response.comment == "The fitting rooms were lovely"
        assert str(response.zone_id) == str(shop.zone.id)
        assert 0 < response.duration_ms < 60_000  # well under a minute, first statement to send
        answers = sorted(response.answers, key=lambda a: a.position)
        assert len(answers) == total
        assert len({a.statement_id for a in answers}) == total
        assert [a.position for a in answers] == list(range(total))
        assert answers[0].warmup and answers[0].statement_id.startswith("warmup.")
        times = [a.reaction_ms for a in answers]
        assert all(t is not None and 50 < t < 10_000 for t in times), times
        assert len(set(times)) > 1, times
        assert times[2] > 1000, times  # the statement the shopper lingered on took at least that long


async def test_first_load_is_at_most_30_kb_over_the_wire(server: str, browser: Browser) -> None:
    shop = await make_shop()
    context = await phone(browser, "da")
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    sizes: dict[str, float] = {}
    encodings: dict[str, str] = {}
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    cdp.on(
        "Network.responseReceived",
        lambda e: encodings.__setitem__(e["response"]["url"], e["response"]["headers"].get("content-encoding", "")),
    )
    await page.goto(f"{server}{shop.url}", wait_until="networkidle")
    await _shot(page, "survey-intro")
    await page.locator("#intro button[data-go=next]").tap()
    await page.locator("fieldset.statement").first.locator("legend").wait_for(state="visible")
    await _shot(page, "survey-statement")
    await context.close()
    total = sum(sizes.values())
    assert sizes, "no network traffic seen"
    assert len(sizes) == 1, "the first load is one document: CSS and script are inline, no favicon request"
    assert encodings[f"{server}{shop.url}"] in ("gzip", "br")
    print(f"survey page first load: {total:.0f} bytes over the wire")
    assert total <= 30 * 1024, f"{total} bytes over the wire"


async def test_no_serious_accessibility_violations(server: str, browser: Browser) -> None:
    shop = await make_shop()
    for scheme in ("light", "dark"):
        context = await phone(browser, "nb", color_scheme=scheme, bypass_csp=True)  # to inject axe
        page = await context.new_page()
        await page.goto(f"{server}{shop.url}")
        await _axe(page, f"intro ({scheme})")
        await page.locator("#intro button[data-go=next]").tap()
        await page.locator("fieldset.statement").first.locator("legend").wait_for(state="visible")
        await page.wait_for_timeout(400)
        await page.locator("fieldset.statement").first.locator("input[value='4']").tap()
        await page.locator("fieldset.statement").nth(1).locator("legend").wait_for(state="visible")
        await _axe(page, f"statement ({scheme})")
        await page.reload()  # the answers so far are kept: the page resumes at the second statement
        await page.locator("fieldset.statement").nth(1).locator("legend").wait_for(state="visible")
        total = await _answer_statements(page, start=1)
        assert total
        await page.locator("#outcome legend").wait_for(state="visible")
        await _axe(page, f"outcome ({scheme})")
        await _shot(page, f"outcome-{scheme}")
        await answer_outcome_and_comment(page)
        await page.locator("#contact").check()
        await _axe(page, f"last step ({scheme})")
        await _shot(page, f"last-step-{scheme}")
        await page.locator("#email").fill("kunde@example.no")
        await page.locator("#send").tap()
        await page.locator("#thanks").wait_for(state="visible")
        await _axe(page, f"thank-you ({scheme})")
        await _shot(page, f"thank-you-{scheme}")
        await context.close()

    # The plain-form layout (what a shopper without JavaScript gets) and its server-rendered thank-you.
    context = await phone(browser, "sv", bypass_csp=True)
    page = await context.new_page()
    await page.goto(f"{server}{shop.url}")
    await page.evaluate("() => { document.documentElement.className = 'nojs' }")
    await _axe(page, "plain form")
    await page.locator("fieldset.statement").first.locator("input[value='5']").tap()
    await page.locator("fieldset.statement").last.locator("input[value='2']").tap()
    await page.evaluate("() => HTMLFormElement.prototype.submit.call(document.getElementById('survey'))")
    await page.wait_for_url("**/form")
    assert await page.locator("#receipt-code").is_visible(), await page.locator("#error").inner_text()
    assert await page.get_attribute("html", "lang") == "sv"
    await _axe(page, "server-rendered thank-you")
    await context.close()


async def test_a_response_made_offline_is_sent_when_the_network_returns(server: str, browser: Browser) -> None:
    # 1. The network comes back while the page is still open: the 'online' event sends it.
    shop = await make_shop()
    context = await phone(browser, "da")
    page = await context.new_page()
    await page.goto(f"{server}{shop.url}")
    total = await _answer_statements(page)
    await answer_outcome_and_comment(page)
    await context.set_offline(True)
    await page.locator("#send").tap()
    await page.locator("#thanks").wait_for(state="visible")
    assert await page.locator("#survey").get_attribute("data-state") == "queued"
    assert messages("da")["queued_headline"] in await page.locator("#thanks-title").inner_text()
    queued = await outbox(page)
    assert len(queued) == 1
    response_id = next(iter(queued))
    assert len(queued[response_id]["payload"]["answers"]) == total
    assert await stored_responses(shop) == []
    await context.set_offline(False)
    await page.wait_for_function("() => localStorage.getItem('pejling.outbox') === '{}'", timeout=15_000)
    await page.locator("#receipt-code").wait_for(state="visible")
    assert messages("da")["sent_later"] in await page.locator("#sent-later").inner_text()
    stored = await stored_responses(shop)
    assert [str(r.id) for r in stored] == [response_id]
    assert len(stored[0].answers) == total

    # 2. The page is closed while offline: the next page load sends it, exactly once.
    other = await make_shop()
    page = await context.new_page()
    await page.goto(f"{server}{other.url}")
    await _answer_statements(page)
    await answer_outcome_and_comment(page)
    await context.set_offline(True)
    await page.locator("#send").tap()
    await page.locator("#thanks").wait_for(state="visible")
    second = next(iter(await outbox(page)))
    await page.close()
    await context.set_offline(False)
    page = await context.new_page()
    await page.goto(f"{server}{other.url}")
    await page.wait_for_function("() => localStorage.getItem('pejling.outbox') === '{}'", timeout=15_000)
    # a second visit has nothing left to send, and nothing is sent twice
    await page.reload()
    await page.wait_for_timeout(300)
    stored = await stored_responses(other)
    assert [str(r.id) for r in stored] == [second]
    assert len(await stored_responses(shop)) == 1
    await context.close()


_HIDE = """(hidden) => {
  Object.defineProperty(document, 'hidden', {configurable: true, get: () => hidden});
  document.dispatchEvent(new Event('visibilitychange'));
}"""


async def test_reaction_time_is_paused_while_the_page_is_hidden(server: str, browser: Browser) -> None:
    shop = await make_shop()
    context = await phone(browser, "en")
    page = await context.new_page()
    await page.goto(f"{server}{shop.url}")
    await page.locator("#intro button[data-go=next]").tap()
    first = page.locator("fieldset.statement").first
    await first.locator("legend").wait_for(state="visible")
    await page.wait_for_timeout(300)
    await page.evaluate(_HIDE, True)  # the shopper switches to another app for five seconds
    await page.wait_for_timeout(5000)
    await page.evaluate(_HIDE, False)
    await first.locator("input[value='4']").tap()
    statements = page.locator("fieldset.statement")
    for index in range(1, await statements.count()):
        await statements.nth(index).locator("legend").wait_for(state="visible")
        await page.wait_for_timeout(400)
        await statements.nth(index).locator("input[value='3']").tap()
    await answer_outcome_and_comment(page)
    await page.locator("#send").tap()
    await page.locator("#thanks").wait_for(state="visible")
    await context.close()
    (response,) = await stored_responses(shop)
    first_answer = min(response.answers, key=lambda a: a.position)
    assert 250 <= first_answer.reaction_ms < 4000, first_answer.reaction_ms


async def test_without_javascript_the_page_is_one_plain_form(server: str, browser: Browser) -> None:
    shop = await make_shop()
    context = await phone(browser, "sv", java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{server}{shop.url}")
    assert await page.get_attribute("html", "class") == "nojs"
    statements = page.locator("fieldset.statement")
    total = await statements.count()
    for index in range(total):  # every statement is on the one page, as a radio group
        await statements.nth(index).locator(f"input[value='{1 + index % 5}']").tap()
    await page.locator("#outcome input[value='6']").tap()
    await page.locator("#comment").fill("Kassan gick fort")
    await page.locator("#send").tap()
    await page.wait_for_url("**/form")
    assert await page.get_attribute("html", "lang") == "sv"
    code = (await page.locator("#receipt-code").inner_text()).strip()
    if SHOTS:
        await page.screenshot(path=str(Path(SHOTS) / "thank-you-plain.png"), full_page=True)
    await context.close()
    (response,) = await stored_responses(shop)
    assert response.receipt_code == code and response.via == "form" and response.outcome == 6
    answers = sorted(response.answers, key=lambda a: a.position)
    assert [a.value for a in answers] == [1 + i % 5 for i in range(total)]
    assert all(a.reaction_ms is None for a in answers)


async def test_keyboard_only_shopper_can_answer(server: str, browser: Browser) -> None:
    shop = await make_shop()
    context = await browser.new_context(locale="en", viewport={"width": 1024, "height": 800})
    page = await context.new_page()
    await page.goto(f"{server}{shop.url}")
    await page.locator("#intro button[data-go=next]").focus()
    await page.keyboard.press("Enter")
    statements = page.locator("fieldset.statement")
    total = await statements.count()
    for index in range(total):
        step = statements.nth(index)
        await step.locator("legend").wait_for(state="visible")
        assert await page.evaluate("() => document.activeElement.tagName") == "LEGEND"  # focus follows the step
        await page.keyboard.press("Tab")  # into the radio group
        await page.keyboard.press("ArrowDown")  # moves the selection without answering
        await page.keyboard.press("ArrowDown")
        await page.wait_for_timeout(250)
        assert await step.is_visible()
        await page.keyboard.press("Enter" if index % 2 else " ")  # confirms
    await page.locator("#outcome legend").wait_for(state="visible")
    await page.keyboard.press("Tab")
    await page.keyboard.press("ArrowRight")
    await page.keyboard.press("Enter")
    await page.locator("#comment").wait_for(state="visible")
    await page.locator("#comment").focus()
    await page.keyboard.type("Quick and friendly")
    await page.keyboard.press("Tab")  # to the contact choice
    await page.keyboard.press("Tab")  # to the send button (the address box is hidden)
    await page.keyboard.press("Enter")
    await page.locator("#thanks").wait_for(state="visible")
    await context.close()
    (response,) = await stored_responses(shop)
    assert len(response.answers) == total
    assert response.comment == "Quick and friendly"


async def test_hard_brand_colours_keep_the_page_accessible(browser: Browser) -> None:
    from pejling.core.surveys.pages import render_survey
    from tests.survey_page.test_brand_colours import constructed_page, request_for

    for brand in ("#ffd400", "#ffffff", "#7fdbff", "#e30613"):
        html_text = render_survey(request_for(), constructed_page(brand=brand)).body.decode()
        for scheme in ("light", "dark"):
            context = await phone(browser, "en", color_scheme=scheme)
            page = await context.new_page()
            await page.set_content(html_text)
            await _axe(page, f"intro {brand} {scheme}")
            await page.locator("#intro button[data-go=next]").tap()
            first = page.locator("fieldset.statement").first
            await first.locator("legend").wait_for(state="visible")
            await first.locator("input[value='4']").evaluate("input => { input.checked = true }")  # the chosen look
            await page.wait_for_timeout(300)  # let the colour transition finish
            await _axe(page, f"chosen answer {brand} {scheme}")
            await context.close()


async def test_scoring_models_questions_are_tapped_on_their_own_scales(
    server: str, browser: Browser, database: Settings
) -> None:
    shop = await make_shop(store_language="en")
    plugins = await load_plugins(database)
    await plugins.enable_plugin(shop.tenant.id, "smiley", {})  # a third-party model with a yes/no question
    chosen = {"csat-satisfied": "4", "ces-easy": "6", "smiley-smiled": "0"}
    with tenant_scope(shop.tenant.id):
        current = await active_survey()
        assert current is not None
        await choose_statements(current.version.statement_ids[:3], None, list(chosen),
                                askable=await tenant_items(plugins, shop.tenant.id))
    context = await phone(browser, "en", bypass_csp=True)  # to inject axe
    page = await context.new_page()
    await page.goto(f"{server}{shop.url}")
    await page.locator("#intro button[data-go=next]").tap()
    statements = page.locator("fieldset.statement")
    total = await statements.count()
    assert total == 1 + 3 + 3
    for index in range(total):
        step = statements.nth(index)
        await step.locator("legend").wait_for(state="visible")
        item = await step.get_attribute("data-id") or ""
        if item == "ces-easy":
            assert await step.locator("input[type=radio]").count() == 7
            assert "1 = Strongly disagree" in await step.locator(".ends").inner_text()
            await _axe(page, "a 1-7 question")
        if item == "smiley-smiled":
            assert [t.strip() for t in await step.locator(".opt span").all_inner_texts()] == ["No", "Yes"]
            await _axe(page, "a yes/no question")
        await page.wait_for_timeout(random.randint(350, 700))
        await step.locator(f"input[value='{chosen.get(item, '3')}']").tap()
    await answer_outcome_and_comment(page)
    await page.locator("#send").tap()
    await page.locator("#thanks").wait_for(state="visible")
    await context.close()

    [response] = await stored_responses(shop)
    answers = {a.statement_id: a for a in response.answers}
    assert {sid: str(answers[sid].value) for sid in chosen} == chosen
    assert [a.statement_id for a in sorted(response.answers, key=lambda a: a.position)][-3:] == list(chosen)
    assert all(200 <= (answers[sid].reaction_ms or 0) < 10_000 for sid in chosen)
    with tenant_scope(shop.tenant.id):  # the run shares one database: see tests/surveys/test_model_questions.py
        assert await Score.filter(response_id=response.id, model_id="smiley").count() == 1
        await Score.filter(model_id="smiley").delete()

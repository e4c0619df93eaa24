"""What the survey script reads back from the phone's storage cannot pollute prototypes or send elsewhere (ASVS
V15.3.6), in a real phone-sized browser against the real app.

The outbox (``localStorage``) and the progress of this tab (``sessionStorage``) are read into plain data: an entry
named ``__proto__`` or ``constructor``, an outbox entry bound for another host, and answers of statements the page does
not have are dropped; the shopper's own response is sent and stored as always.
"""

from __future__ import annotations

import json
import uuid

import pytest
from playwright.async_api import Browser, Request

from tests.survey_page.conftest import make_shop
from tests.survey_page.phone import answer_outcome_and_comment, outbox, phone, stored_responses

pytestmark = pytest.mark.once

HOSTILE = {"__proto__": {"polluted": "outbox"}, "constructor": {"prototype": {"polluted": "outbox"}}}
POLLUTED = "() => [({}).polluted, Object.prototype.polluted, [].polluted, typeof Object.prototype.constructor]"


async def test_hostile_keys_in_storage_pollute_nothing_and_are_not_sent(server: str, browser: Browser) -> None:
    shop = await make_shop()
    context = await phone(browser, "en")
    page = await context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url) if isinstance(request, Request) else None)
    await page.goto(f"{server}{shop.url}")
    data = json.loads(await page.locator("#survey-data").text_content() or "{}")
    ids = await page.eval_on_selector_all("fieldset.statement", "nodes => nodes.map(n => n.dataset.id)")
    elsewhere = {"url": "//evil.example/collect", "payload": {"id": str(uuid.uuid4())}}
    stored_outbox = {**HOSTILE, str(uuid.uuid4()): elsewhere, "not-an-id": {"url": data["submit_url"], "payload": {}}}
    progress_key = f"pejling.progress:{data['submit_url']}:{data['survey_version_id']}:{data.get('invitation') or ''}"
    progress = {"id": str(uuid.uuid4()), "step": 0, "order": ids, "outcome": None, "comment": "", "contact": False,
                "answers": {**HOSTILE, "elsewhere": {"statement_id": "elsewhere", "value": 3, "position": 99}}}
    # JSON text as storage holds it: "__proto__" is an ordinary key there, as it is for JSON.parse.
    await page.evaluate("([key, box, progressKey, progress]) => { localStorage.setItem(key, box);"
                        " sessionStorage.setItem(progressKey, progress); }",
                        ["pejling.outbox", json.dumps(stored_outbox), progress_key, json.dumps(progress)])
    await page.reload()
    await page.locator("#intro button[data-go=next]").wait_for(state="visible")
    assert await page.evaluate(POLLUTED) == [None, None, None, "function"]

    await page.locator("#intro button[data-go=next]").tap()
    statements = page.locator("fieldset.statement")
    total = await statements.count()
    for index in range(total):
        step = statements.nth(index)
        await step.locator("legend").wait_for(state="visible")
        await page.wait_for_timeout(400)
        await step.locator("input[value='4']").tap()
    await answer_outcome_and_comment(page)
    await page.locator("#send").tap()
    await page.locator("#receipt-code").wait_for(state="visible")
    assert await page.evaluate(POLLUTED) == [None, None, None, "function"]
    assert await outbox(page) == {}  # the hostile and off-site entries were dropped, the response sent
    assert not [url for url in requests if not url.startswith(server)], requests
    stored = await stored_responses(shop)
    assert len(stored) == 1 and sorted(a.statement_id for a in stored[0].answers) == sorted(ids)
    assert str(stored[0].id) == progress["id"]  # the kept progress was resumed, without its foreign answers
    await context.close()

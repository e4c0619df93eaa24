"""The receipt page /r/…: a shopper sees, downloads and erases their answer by receipt code, and nobody else can."""

from __future__ import annotations

import html
import itertools
import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from pejling.core.insights import sql
from pejling.core.surveys.models import Response
from pejling.core.surveys.receipt_page import LOOKUP_LIMIT, MISS_WEIGHT
from pejling.frontend.language import messages
from pejling.tenants.scope import tenant_scope

from .conftest import Shop, make_shop

_addresses = itertools.count(1)


@pytest.fixture
async def shopper(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client with an address of its own, so each test has its own look-up allowance."""
    n = next(_addresses)
    transport = httpx.ASGITransport(app=app, client=(f"10.77.{n // 250}.{n % 250 + 1}", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def _submit(client: httpx.AsyncClient, shop: Shop, **changes: Any) -> dict[str, Any]:
    reply = await client.post(f"/s/{shop.tenant.slug}/{shop.store.slug}/responses", json=shop.payload(**changes))
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


async def _daily_n(tenant_id: Any) -> int:
    with tenant_scope(tenant_id):
        rows = await sql.fetch("SELECT SUM(n) AS n FROM insights_daily WHERE tenant_id = ?", [tenant_id])
    return int(rows[0]["n"] or 0)


async def _stored(shop: Shop, code: str) -> bool:
    with tenant_scope(shop.tenant.id):
        return await Response.exists(receipt_code=code)


def _form(html: str) -> dict[str, str]:
    issued = re.search(r'name="issued" value="(\d+)"', html)
    token = re.search(r'name="token" value="([0-9a-f]+)"', html)
    assert issued and token, html
    return {"issued": issued.group(1), "token": token.group(1)}


def _main(html: str) -> str:
    """The page's card (without the nonce-bearing head), to compare two answers."""
    return html[html.index("<main"):html.index("</main>")]


async def test_the_thank_you_links_the_page_that_shows_the_answers(shop: Shop, shopper: httpx.AsyncClient) -> None:
    result = await _submit(shopper, shop)
    url = result["thank_you"]["receipt_url"]
    assert url == f"/r/{shop.tenant.slug}/{result['receipt_code']}"
    page = await shopper.get(url)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["content-language"] == "da"  # the language the shopper answered in
    html = page.text
    da = messages("da")
    assert da["receipt_title"] in html and "Main street" in html and "Checkout" in html
    assert "Kassen gik hurtigt." in html and "8/10" in html
    assert "Enig (4/5)" in html  # the second answer (value 4) in words on the agreement scale
    english = await shopper.get(f"{url}?lang=en")
    assert messages("en")["receipt_title"] in english.text and "Agree (4/5)" in english.text


async def test_the_json_download_holds_the_stored_answer(shop: Shop, shopper: httpx.AsyncClient) -> None:
    result = await _submit(shopper, shop, consent={"contact": True, "email": "anna@example.com"})
    download = await shopper.get(f"{result['thank_you']['receipt_url']}/json?lang=en")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/json"
    assert download.headers["cache-control"] == "no-store"
    assert download.headers["content-disposition"] == f'attachment; filename="answer-{result["receipt_code"]}.json"'
    data = json.loads(download.content)
    assert data["receipt_code"] == result["receipt_code"] and data["store"] == "Main street"
    assert data["comment"] == "Kassen gik hurtigt." and data["outcome"] == 8
    assert [a["statement_id"] for a in data["answers"]] == [*shop.warmup_ids, *shop.statement_ids]
    assert all(a["statement"] and a["statement"] != a["statement_id"] for a in data["answers"])
    assert data["contact_email"] == "a•••@example.com"  # a short code is no key to the full address


async def test_erasing_asks_first_then_erases_and_the_rollups_drop_it(shop: Shop, shopper: httpx.AsyncClient) -> None:
    await _submit(shopper, shop)
    result = await _submit(shopper, shop)
    code, url = result["receipt_code"], result["thank_you"]["receipt_url"]
    before = await _daily_n(shop.tenant.id)
    ask = await shopper.get(f"{url}/erase")
    assert ask.status_code == 200 and messages("da")["receipt_erase_confirm"] in ask.text
    assert await _stored(shop, code) and await _daily_n(shop.tenant.id) == before  # asking changes nothing
    forged = await shopper.post(f"{url}/erase", data={"issued": "1", "token": "0" * 64})
    assert forged.status_code == 403 and messages("da")["receipt_erase_again"] in forged.text
    assert await _stored(shop, code)
    for foreign in ({"Origin": "https://evil.example"}, {"Origin": "null", "Sec-Fetch-Site": "cross-site"}):
        cross_site = await shopper.post(f"{url}/erase", data=_form(ask.text), headers=foreign)
        assert cross_site.status_code == 404 and await _stored(shop, code)
    erased = await shopper.post(f"{url}/erase", data=_form(ask.text), headers={"Origin": "http://testserver"})
    assert erased.status_code == 200 and messages("da")["receipt_erased_title"] in erased.text
    assert not await _stored(shop, code)
    assert await _daily_n(shop.tenant.id) == before - 1
    gone = await shopper.get(url)
    unknown = await shopper.get(f"/r/{shop.tenant.slug}/ZZZ-ZZZ")
    assert gone.status_code == unknown.status_code == 404
    assert _main(gone.text) == _main(unknown.text)  # erased and never existed look the same
    again = await shopper.post(f"{url}/erase", data=_form(ask.text))
    assert again.status_code == 404


async def test_a_code_of_one_tenant_finds_nothing_under_another(shop: Shop, shopper: httpx.AsyncClient) -> None:
    other = await make_shop()
    result = await _submit(shopper, shop)
    code = result["receipt_code"]
    for path in (f"/r/{other.tenant.slug}/{code}", f"/r/{other.tenant.slug}/{code}/json",
                 f"/r/{other.tenant.slug}/{code}/erase"):
        reply = await shopper.get(path)
        assert reply.status_code == 404, path
        assert "Kassen" not in reply.text and "Main street" not in reply.text
    assert (await shopper.post(f"/r/{other.tenant.slug}/{code}/erase", data={})).status_code == 404
    assert await _stored(shop, code)


async def test_a_code_alone_and_the_form_lead_to_the_tenants_page(shop: Shop, shopper: httpx.AsyncClient) -> None:
    result = await _submit(shopper, shop)
    code = result["receipt_code"]
    typed = code.lower().replace("-", "")
    alone = await shopper.get(f"/r/{typed}")
    assert alone.status_code == 303 and alone.headers["location"] == result["thank_you"]["receipt_url"]
    assert alone.headers["cache-control"] == "no-store"
    form = await shopper.get("/r", params={"code": f" {typed} ", "lang": "sv"})
    assert form.status_code == 303 and form.headers["location"] == f"/r/{code}?lang=sv"
    assert (await shopper.get("/r")).status_code == 200
    bad = await shopper.get("/r", params={"code": "nope", "lang": "nb"})
    assert bad.status_code == 422 and messages("nb")["receipt_code_invalid"] in bad.text
    assert (await shopper.get("/r/ZZZ-ZZZ")).status_code == 404


async def test_a_repeated_parameter_is_refused_before_any_look_up(shop: Shop, shopper: httpx.AsyncClient) -> None:
    """HTTP parameter pollution (ASVS V15.3.7): a second ``code``, ``tenant`` or ``lang`` is a 400, on the form's
    look-up, the code's page and the erase form alike; the erase form's fields too, and nothing is erased."""
    result = await _submit(shopper, shop)
    code, page = result["receipt_code"], result["thank_you"]["receipt_url"]
    for params in ([("code", code), ("code", "ZZZZZZ")], [("code", code), ("tenant", shop.tenant.slug),
                                                          ("tenant", "other")], [("code", code), ("lang", "da"),
                                                                                 ("lang", "sv")]):
        refused = await shopper.get("/r", params=params)
        assert refused.status_code == 400, params
        assert "location" not in refused.headers
    assert (await shopper.get(page, params=[("lang", "da"), ("lang", "sv")])).status_code == 400
    assert (await shopper.get(f"/r/{code}", params=[("lang", "da"), ("lang", "sv")])).status_code == 400
    asked = await shopper.get(f"{page}/erase")
    fields = _form(asked.text)
    body = "&".join([f"issued={fields['issued']}", f"token={fields['token']}", f"token={fields['token']}"])
    twice = await shopper.post(f"{page}/erase", content=body,
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert twice.status_code == 400
    assert await _stored(shop, code)
    assert (await shopper.post(f"{page}/erase", data=fields)).status_code == 200
    assert not await _stored(shop, code)


@pytest.mark.parametrize("lang", ["da&tenant=evil", "da#x", "//evil.example", "javascript:alert(1)", "da\r\nX: y"])
async def test_a_code_alones_redirect_carries_only_a_language_of_ours(
    shop: Shop, shopper: httpx.AsyncClient, lang: str
) -> None:
    """ASVS V1.2.2: the redirect of ``/r/<code>`` is built from the found tenant and code and, of the query, only a
    language we know; anything else given as ``lang`` is left out, not copied into the address."""
    result = await _submit(shopper, shop)
    moved = await shopper.get(f"/r/{result['receipt_code']}", params={"lang": lang})
    assert moved.status_code == 303 and moved.headers["location"] == result["thank_you"]["receipt_url"]
    kept = await shopper.get(f"/r/{result['receipt_code']}", params={"lang": "nb"})
    assert kept.headers["location"] == f"{result['thank_you']['receipt_url']}?lang=nb"


async def test_guessing_codes_is_slow(shop: Shop, shopper: httpx.AsyncClient, client: httpx.AsyncClient) -> None:
    result = await _submit(shopper, shop)
    misses = LOOKUP_LIMIT.count // MISS_WEIGHT
    for guess in range(misses):
        reply = await shopper.get(f"/r/{shop.tenant.slug}/ZZZ-ZZ{'23456789'[guess]}")
        assert reply.status_code == 404
    limited = await shopper.get(result["thank_you"]["receipt_url"])  # even a right code, once the misses are spent
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert limited.headers["cache-control"] == "no-store"
    assert messages("en")["receipt_rate_title"] in limited.text
    assert (await shopper.get("/r/ZZZ-ZZZ")).status_code == 429  # the code-only look-up shares the allowance
    assert (await client.get(result["thank_you"]["receipt_url"])).status_code == 200  # another address is not slowed


async def test_the_access_log_never_shows_a_code(shop: Shop, shopper: httpx.AsyncClient,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    result = await _submit(shopper, shop)
    code = result["receipt_code"]
    caplog.set_level(logging.INFO, logger="pejling.access")
    for path in (f"/r/{shop.tenant.slug}/{code}", f"/r/{shop.tenant.slug}/{code}/json", f"/r/{code}",
                 f"/r/{shop.tenant.slug}/{code}/erase", f"/r?code={code}"):
        await shopper.get(path)
    lines = [r.getMessage() for r in caplog.records if r.name == "pejling.access"]
    assert len(lines) == 5
    assert not [line for line in lines if code in line or code.replace("-", "") in line]
    assert f"GET /r/{shop.tenant.slug}/[redacted]/json 200" in " | ".join(lines)


async def test_the_plain_forms_thank_you_links_the_page_too(shop: Shop, shopper: httpx.AsyncClient) -> None:
    url = f"/s/{shop.tenant.slug}/{shop.store.slug}"
    page = await shopper.get(url, params={"lang": "nb"})
    data = {name: html.unescape(value) for name, value in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"',
                                                                     page.text)}
    for statement_id in data["order"].split(","):
        data[f"s:{statement_id}"] = "3"
    thanks = await shopper.post(f"{url}/form", data=data)
    assert thanks.status_code == 200
    code = re.search(r'id="receipt-code">([^<]+)<', thanks.text)
    link = re.search(r'<a id="receipt-link" href="([^"]+)">([^<]+)</a>', thanks.text)
    assert code and link and link.group(2) == messages("nb")["receipt_link"]
    assert html.unescape(link.group(1)) == f"/r/{shop.tenant.slug}/{code.group(1).strip()}?lang=nb"
    assert (await shopper.get(html.unescape(link.group(1)))).status_code == 200

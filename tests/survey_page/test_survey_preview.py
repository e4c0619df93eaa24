"""The survey page's preview (``?preview=1``), shown by the portal in a phone frame: the page a shopper sees, with
a banner, framed by this origin only, never cached as the shoppers' page, and recording nothing."""

from __future__ import annotations

import html
import json
import re

import httpx
import pytest

from pejling.core.surveys.models import Response
from pejling.frontend.language import LANGUAGES, messages
from pejling.tenants.scope import tenant_scope
from tests.survey_page.conftest import Shop


def _hidden(page: str) -> dict[str, str]:
    found = re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page)
    return {name: html.unescape(value) for name, value in found}


def _client_data(page: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="survey-data">(.*?)</script>', page, re.S)
    assert found
    return json.loads(found.group(1))


async def _stored(shop: Shop) -> int:
    with tenant_scope(shop.tenant.id):
        return await Response.filter(store_id=shop.store.id).count()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_preview_is_the_shoppers_page_with_a_banner_framed_by_this_origin_only(
    client: httpx.AsyncClient, shop: Shop, language: str
) -> None:
    shopper = await client.get(shop.url, params={"lang": language})
    preview = await client.get(shop.url, params={"lang": language, "preview": "1"})
    assert shopper.status_code == preview.status_code == 200
    banner = messages(language)["preview_banner"]
    assert banner in html.unescape(preview.text) and banner not in html.unescape(shopper.text)
    # the same statements as the shoppers' page
    assert sorted(re.findall(r'data-id="([^"]+)"', preview.text)) == sorted(re.findall(r'data-id="([^"]+)"',
                                                                                        shopper.text))
    assert _client_data(preview.text)["preview"] is True and "preview" not in _client_data(shopper.text)
    assert _hidden(preview.text)["preview"] == "1" and "preview" not in _hidden(shopper.text)
    # framing: this origin only for the preview, no one for the shoppers' page
    assert "frame-ancestors 'self'" in preview.headers["content-security-policy"]
    assert preview.headers["x-frame-options"] == "SAMEORIGIN"
    assert all("frame-ancestors 'self'" not in p for p in shopper.headers.get_list("content-security-policy"))
    assert shopper.headers["x-frame-options"] == "DENY"
    assert preview.headers["cache-control"] == "no-store"


async def test_a_shoppers_page_after_a_preview_has_no_banner(client: httpx.AsyncClient, shop: Shop) -> None:
    """The page cache keeps the shoppers' page: a preview rendered first must not end up in it (or the reverse)."""
    banner = messages("en")["preview_banner"]
    await client.get(shop.url, params={"lang": "en"})
    await client.get(shop.url, params={"lang": "en", "preview": "1"})
    again = await client.get(shop.url, params={"lang": "en"})
    assert banner not in html.unescape(again.text)
    preview = await client.get(shop.url, params={"lang": "en", "preview": "1"})
    assert banner in html.unescape(preview.text)


async def test_the_previews_plain_form_stores_nothing(client: httpx.AsyncClient, shop: Shop) -> None:
    page = await client.get(shop.url, params={"lang": "da", "preview": "1"})
    data = _hidden(page.text)
    for statement_id in data["order"].split(","):
        data[f"s:{statement_id}"] = "4"
    data["outcome"] = "9"
    answered = await client.post(f"{shop.url}/form", data=data)
    assert answered.status_code == 200
    assert messages("da")["preview_done"] in html.unescape(answered.text)
    assert await _stored(shop) == 0
    # the same form without the preview field is stored: the refusal above is the preview's, not a broken form
    del data["preview"]
    stored = await client.post(f"{shop.url}/form", data=data)
    assert stored.status_code == 200 and await _stored(shop) == 1


async def test_the_preview_of_an_unknown_store_is_the_not_found_page(client: httpx.AsyncClient, shop: Shop) -> None:
    missing = await client.get(f"/s/{shop.tenant.slug}/no-such-store", params={"preview": "1"})
    assert missing.status_code == 404

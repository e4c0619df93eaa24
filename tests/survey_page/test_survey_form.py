"""The survey without JavaScript: the plain form posted to the server, stored once, thanked in the shopper language."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import pytest

from pejling.core.surveys.models import Response
from pejling.frontend.language import LANGUAGES, messages
from pejling.tenants.scope import tenant_scope
from tests.survey_page.conftest import Shop


def _hidden(page: str) -> dict[str, str]:
    found = re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page)
    return {name: html.unescape(value) for name, value in found}


async def _form(
    client: httpx.AsyncClient, shop: Shop, language: str, **params: str
) -> tuple[dict[str, str], list[str]]:
    page = await client.get(shop.url, params={"lang": language, **params})
    assert page.status_code == 200
    fields = _hidden(page.text)
    ids = fields["order"].split(",")
    assert re.findall(r'data-id="([^"]+)"', page.text) == ids
    return fields, ids


async def _responses(shop: Shop) -> list[Any]:
    with tenant_scope(shop.tenant.id):
        return await Response.filter(store_id=shop.store.id).prefetch_related("answers")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_form_path_stores_the_response_and_thanks_in_the_language(
    client: httpx.AsyncClient, shop: Shop, language: str
) -> None:
    fields, ids = await _form(client, shop, language, zone=str(shop.zone.id))
    data = dict(fields)
    for index, statement_id in enumerate(ids):
        data[f"s:{statement_id}"] = str(1 + index % 5)
    data.update(outcome="9", comment="  Fast checkout  ", contact="1", email="shopper@example.com")
    response = await client.post(f"{shop.url}/form", data=data)
    assert response.status_code == 200, response.text[:500]
    page = html.unescape(response.text)
    assert f'<html lang="{language}"' in page
    assert messages(language)["receipt_label"] in page
    code = re.search(r'id="receipt-code">([^<]+)<', page)
    assert code and len(code.group(1).strip()) >= 5

    stored = await _responses(shop)
    assert len(stored) == 1
    answers = sorted(stored[0].answers, key=lambda a: a.position)
    assert [a.statement_id for a in answers] == ids
    assert [a.value for a in answers] == [1 + i % 5 for i in range(len(ids))]
    assert all(a.reaction_ms is None for a in answers)
    assert stored[0].outcome == 9 and stored[0].language == language
    assert str(stored[0].zone_id) == str(shop.zone.id)

    # Posting the same form again (reload, double tap) is the same response: never a second one.
    again = await client.post(f"{shop.url}/form", data=data)
    assert again.status_code == 200
    assert code.group(1) in html.unescape(again.text)
    assert len(await _responses(shop)) == 1


async def test_form_error_re_renders_in_the_language_and_stores_nothing(client: httpx.AsyncClient, shop: Shop) -> None:
    fields, ids = await _form(client, shop, "sv")
    data = dict(fields, contact="1", email="not-an-address", outcome="7")
    data[f"s:{ids[0]}"] = "4"
    response = await client.post(f"{shop.url}/form", data=data)
    assert response.status_code == 422
    page = html.unescape(response.text)
    assert '<html lang="sv"' in page
    assert messages("sv")["error_email"] in page
    # what the shopper entered is kept, in the order they saw
    assert re.search(rf'name="s:{re.escape(ids[0])}" value="4" checked', response.text)
    assert re.findall(r'data-id="([^"]+)"', response.text) == ids
    assert _hidden(response.text)["id"] == fields["id"]
    assert await _responses(shop) == []


async def test_form_with_no_answers_is_refused_kindly(client: httpx.AsyncClient, shop: Shop) -> None:
    fields, _ = await _form(client, shop, "nb")
    response = await client.post(f"{shop.url}/form", data=fields)
    assert response.status_code == 422
    assert messages("nb")["error_answers"] in html.unescape(response.text)
    assert await _responses(shop) == []


async def test_form_value_out_of_range_is_refused(client: httpx.AsyncClient, shop: Shop) -> None:
    fields, ids = await _form(client, shop, "da")
    data = dict(fields)
    data[f"s:{ids[0]}"] = "9"
    response = await client.post(f"{shop.url}/form", data=data)
    assert 400 <= response.status_code < 500
    assert '<html lang="da"' in response.text
    assert messages("da")["error_title"] in html.unescape(response.text)
    assert await _responses(shop) == []


async def test_form_for_unknown_store_is_404(client: httpx.AsyncClient, shop: Shop) -> None:
    fields, ids = await _form(client, shop, "en")
    data = dict(fields)
    data[f"s:{ids[0]}"] = "3"
    response = await client.post(f"/s/{shop.tenant.slug}/elsewhere/form", data=data)
    assert response.status_code == 404


async def test_form_refuses_other_content_and_oversized_bodies(client: httpx.AsyncClient, shop: Shop) -> None:
    fields, ids = await _form(client, shop, "da")
    as_json = await client.post(f"{shop.url}/form", json=fields, headers={"Accept-Language": "da"})
    assert as_json.status_code == 415
    assert '<html lang="da"' in as_json.text
    data = dict(fields, comment="x" * 20_000)
    data[f"s:{ids[0]}"] = "3"
    too_big = await client.post(f"{shop.url}/form", data=data, headers={"Accept-Language": "nb"})
    assert too_big.status_code == 413
    assert messages("nb")["error_generic"] in html.unescape(too_big.text)
    assert await _responses(shop) == []


async def test_pages_only_run_their_own_inline_code(client: httpx.AsyncClient, shop: Shop) -> None:
    response = await client.get(shop.url)
    policy = response.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce and "default-src 'none'" in policy and "connect-src 'self'" in policy
    scripts = re.findall(r"<script([^>]*)>", response.text)
    executable = [attrs for attrs in scripts if 'type="application/json"' not in attrs]
    assert executable and all(f'nonce="{nonce.group(1)}"' in attrs for attrs in executable)
    again = await client.get(shop.url)
    assert again.headers["content-security-policy"] != policy  # a fresh nonce per page


@pytest.mark.parametrize("field", ["s:", "invitation", "language", "order"])
async def test_a_form_field_given_twice_is_refused_and_stores_nothing(
    client: httpx.AsyncClient, shop: Shop, field: str
) -> None:
    """HTTP parameter pollution (ASVS V15.3.7): two values of one field are a 400, not the last value read here and
    the first elsewhere; the same form with each field once is stored."""
    fields, ids = await _form(client, shop, "sv")
    data: dict[str, Any] = dict(fields, outcome="8")
    for statement_id in ids:
        data[f"s:{statement_id}"] = "4"
    name = f"s:{ids[0]}" if field == "s:" else field
    twice = dict(data)
    twice[name] = [data[name], "1" if field == "s:" else data[name]]
    refused = await client.post(f"{shop.url}/form", data=twice, headers={"Accept-Language": "sv"})
    assert refused.status_code == 400, refused.text[:300]
    assert messages("sv")["receipt_label"] not in html.unescape(refused.text)
    assert await _responses(shop) == []
    assert (await client.post(f"{shop.url}/form", data=data)).status_code == 200
    assert len(await _responses(shop)) == 1

"""The "doesn't apply" choice on the survey page without JavaScript: offered only where it fits, posted and stored."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from pejling.core.surveys.models import Answer, Response
from pejling.core.surveys.survey import choose_statements
from pejling.frontend.language import LANGUAGES, messages
from pejling.tenants.scope import tenant_scope
from tests.survey_page.conftest import Shop

PAYING = "ease.quick-to-pay"
ALWAYS = "security.prices-clear"


def _hidden(page: str) -> dict[str, str]:
    found = re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page)
    return {name: html.unescape(value) for name, value in found}


def _fieldset(page: str, statement_id: str) -> str:
    match = re.search(r'<fieldset class="step statement" data-id="' + re.escape(statement_id) + r'".*?</fieldset>',
                      page, re.S)
    assert match, statement_id
    return match.group(0)


async def _choose(shop: Shop) -> None:
    with tenant_scope(shop.tenant.id):
        await choose_statements([ALWAYS, PAYING, "autonomy.own-pace"], ["warmup.visited-today"])


@pytest.mark.parametrize("language", LANGUAGES)
async def test_doesnt_apply_is_offered_in_the_statements_own_group_only_where_it_fits(
    client: httpx.AsyncClient, shop: Shop, language: str
) -> None:
    await _choose(shop)
    page = (await client.get(shop.url, params={"lang": language})).text
    label = messages(language)["not_applicable"]
    paying = html.unescape(_fieldset(page, PAYING))
    # A radio of the statement's own group (one name: arrow keys reach it, the legend names it for screen readers).
    assert re.search(r'<input type="radio" name="s:' + re.escape(PAYING) + r'" value="na"><span>'
                     + re.escape(label) + "</span>", paying)
    for statement_id in (ALWAYS, "autonomy.own-pace", "warmup.visited-today"):
        assert 'value="na"' not in _fieldset(page, statement_id)
    assert page.count('value="na"') == 1


async def test_the_plain_form_stores_doesnt_apply_and_refuses_it_where_not_offered(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    await _choose(shop)
    page = await client.get(shop.url, params={"lang": "nb"})
    fields = _hidden(page.text)
    ids = fields["order"].split(",")
    data = dict(fields, outcome="8")
    for statement_id in ids:
        data[f"s:{statement_id}"] = "4"
    refused = dict(data, **{f"s:{ALWAYS}": "na"})  # a hand-made form: that statement offers no such answer
    reply = await client.post(f"{shop.url}/form", data=refused)
    assert reply.status_code == 422
    assert messages("nb")["error_answers"] in html.unescape(reply.text)
    with tenant_scope(shop.tenant.id):
        assert await Response.filter(store_id=shop.store.id).count() == 0

    data[f"s:{PAYING}"] = "na"
    reply = await client.post(f"{shop.url}/form", data=data)
    assert reply.status_code == 200, reply.text[:500]
    with tenant_scope(shop.tenant.id):
        (response,) = await Response.filter(store_id=shop.store.id)
        answers = {a.statement_id: a for a in await Answer.filter(response_id=response.id)}
    assert answers[PAYING].not_applicable is True and answers[PAYING].value is None
    assert answers[ALWAYS].value == 4 and answers[ALWAYS].not_applicable is False

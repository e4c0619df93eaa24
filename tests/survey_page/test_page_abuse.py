"""Issue 8 on the shopper pages: odd addresses and hostile form fields get a page in the shopper's language, not a 500.

Both tests below crashed before the fix: a 64-character slug reached the database lookup (a ValidationError), and a
start time with no UTC equivalent reached the time conversion (an OverflowError).
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import httpx
import pytest

from pejling.core.surveys.models import Response
from pejling.frontend.language import messages
from pejling.tenants.scope import tenant_scope
from tests.survey_page.conftest import Shop

HOSTILE_SLUGS = ["a" * 64, "a" * 300, "UPPER", "-leading", "trailing-", "a_b", "ø", "a.b"]


def _hidden(page: str) -> dict[str, str]:
    found = re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page)
    return {name: html.unescape(value) for name, value in found}


async def _count(shop: Shop) -> int:
    with tenant_scope(shop.tenant.id):
        return await Response.filter(store_id=shop.store.id).count()


@pytest.mark.parametrize("slug", HOSTILE_SLUGS)
async def test_a_slug_that_cannot_exist_is_the_not_found_page(
    client: httpx.AsyncClient, shop: Shop, slug: str
) -> None:
    for path in (f"/s/{slug}/{shop.store.slug}", f"/s/{shop.tenant.slug}/{slug}"):
        page = await client.get(path, headers={"Accept-Language": "sv"})
        assert page.status_code == 404, path
        assert '<html lang="sv"' in page.text
        assert messages("sv")["not_found_title"] in html.unescape(page.text)
        form = await client.post(f"{path}/form", data={"order": ""}, headers={"Accept-Language": "sv"})
        assert form.status_code == 404, path
        assert messages("sv")["not_found_title"] in html.unescape(form.text)


@pytest.mark.parametrize("started_at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1999-01-01"])
async def test_a_start_time_from_nowhere_re_renders_the_form_with_a_fresh_one(
    client: httpx.AsyncClient, shop: Shop, started_at: str
) -> None:
    page = await client.get(shop.url, params={"lang": "da"})
    fields = _hidden(page.text)
    data = dict(fields, started_at=started_at, outcome="7")
    for statement_id in fields["order"].split(","):
        data[f"s:{statement_id}"] = "4"
    response = await client.post(f"{shop.url}/form", data=data)
    assert response.status_code == 422, response.text[:300]
    assert '<html lang="da"' in response.text
    assert messages("da")["error_generic"] in html.unescape(response.text)
    again = _hidden(response.text)
    assert again["id"] == fields["id"]
    fresh = datetime.fromisoformat(again["started_at"])  # a time the next try can use, not the refused one
    assert fresh.tzinfo is not None and abs((datetime.now(UTC) - fresh).days) < 1
    assert await _count(shop) == 0
    # The re-rendered form goes through as it stands.
    retry = await client.post(f"{shop.url}/form", data=dict(again, **{k: v for k, v in data.items() if ":" in k}))
    assert retry.status_code == 200, retry.text[:300]
    assert await _count(shop) == 1

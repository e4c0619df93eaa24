"""A query parameter given twice on a shopper's GET page (ASVS V15.3.7, HTTP parameter pollution): the survey page,
an invitation, a kiosk screen and a scanned code answer the "invalid" page (400) in the browser's language before
anything is looked up, counted or cached; the same address with each parameter once works as before."""

from __future__ import annotations

import html
from typing import Any

import httpx
import pytest

from pejling.core.settings import Settings
from pejling.core.surveys import kiosk_page
from pejling.core.surveys.channel_devices import new_device_token, register_device
from pejling.core.surveys.codes import new_code
from pejling.core.surveys.models import SurveyCode
from pejling.core.surveys.page_cache import store_pages
from pejling.core.surveys.page_copy import page_copies
from pejling.frontend.language import messages
from pejling.tenants.scope import tenant_scope
from tests.survey_page.conftest import Shop

SWEDISH = {"Accept-Language": "sv"}


def _refused(reply: httpx.Response) -> bool:
    """The 400 page in Swedish, never stored by a browser or a proxy."""
    text = html.unescape(reply.text)
    return (reply.status_code == 400 and messages("sv")["error_generic"] in text
            and reply.headers["cache-control"] == "no-store" and reply.headers["content-language"] == "sv")


@pytest.mark.parametrize("query", ["lang=en&lang=da", "zone=a&zone=b", "zone={zone}&zone={zone}", "ch=qr&ch=nfc",
                                   "lang=en&preview=1&preview=1", "ch=kiosk&device=t1&device=t2", "lang=en&x=1&x=2"])
async def test_the_survey_page_refuses_a_repeated_parameter_and_caches_nothing(
    client: httpx.AsyncClient, shop: Shop, query: str
) -> None:
    store_pages.clear()
    loads, renders = store_pages.loads, page_copies.renders
    refused = await client.get(f"{shop.url}?{query.format(zone=shop.zone.id)}", headers=SWEDISH)
    assert _refused(refused), (refused.status_code, refused.text[:300])
    assert (store_pages.loads, len(store_pages), page_copies.renders) == (loads, 0, renders)  # nothing loaded or kept
    once = await client.get(f"{shop.url}?lang=en&zone={shop.zone.id}", headers=SWEDISH)
    assert once.status_code == 200 and once.headers["content-language"] == "en"
    assert store_pages.loads == loads + 1 and len(store_pages) == 1


async def test_a_single_value_of_each_still_opens_the_page(client: httpx.AsyncClient, shop: Shop) -> None:
    for query in ("lang=da", f"zone={shop.zone.id}", "ch=qr", "lang=en&preview=1"):
        page = await client.get(f"{shop.url}?{query}", headers=SWEDISH)
        assert page.status_code == 200, (query, page.text[:300])


async def test_a_scanned_code_with_a_repeated_parameter_counts_nothing(client: httpx.AsyncClient, shop: Shop) -> None:
    with tenant_scope(shop.tenant.id):
        code = await SurveyCode.create(code=new_code(), store_id=shop.store.id, zone_id=shop.zone.id)
    assert _refused(await client.get(f"/q/{code.code}?lang=en&lang=da", headers=SWEDISH))
    with tenant_scope(shop.tenant.id):
        assert (await SurveyCode.get(id=code.id)).scans == 0
    moved = await client.get(f"/q/{code.code}?lang=en", headers=SWEDISH)
    assert moved.status_code == 303 and f"zone={shop.zone.id}" in moved.headers["location"]
    with tenant_scope(shop.tenant.id):
        assert (await SurveyCode.get(id=code.id)).scans == 1


async def test_a_kiosk_screen_with_a_repeated_parameter_looks_nothing_up(
    client: httpx.AsyncClient, shop: Shop, database: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = new_device_token()
    with tenant_scope(shop.tenant.id):
        await register_device(channel="kiosk", store=shop.store, zone=shop.zone, label="By the door", token=token,
                              settings=database)
    looked_up: list[str] = []
    find = kiosk_page.find_kiosk

    async def counted(token: str, settings: Settings) -> Any:
        looked_up.append(token)
        return await find(token, settings)

    monkeypatch.setattr(kiosk_page, "find_kiosk", counted)
    for query in ("lang=en&lang=da", "zone=a&zone=b"):
        assert _refused(await client.get(f"/k/{token}?{query}", headers=SWEDISH))
    assert looked_up == []
    screen = await client.get(f"/k/{token}?lang=en", headers=SWEDISH)
    assert screen.status_code == 200 and screen.headers["content-language"] == "en" and looked_up == [token]


async def test_an_invitation_with_a_repeated_parameter_is_refused_before_its_token_is_read(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    assert _refused(await client.get("/i/not-a-token?lang=en&lang=da", headers=SWEDISH))
    assert (await client.get("/i/not-a-token?lang=en", headers=SWEDISH)).status_code == 404

"""The thank-you screen's "you told us …; we …": the store's latest logged change, in the shopper's language."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from pejling.core.insights.models import StoreChange
from pejling.core.surveys.thank_you import THANK_YOU, forget_changes
from pejling.tenants.models import Zone
from pejling.tenants.scope import tenant_scope

from .conftest import STARTED, Shop

_addresses = itertools.count(1)
DAY = STARTED.date()


@pytest.fixture
async def shopper(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    n = next(_addresses)
    transport = httpx.ASGITransport(app=app, client=(f"10.78.{n // 250}.{n % 250 + 1}", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def _body(client: httpx.AsyncClient, shop: Shop, language: str, **changes: Any) -> str:
    forget_changes()
    reply = await client.post(f"/s/{shop.tenant.slug}/{shop.store.slug}/responses",
                              json=shop.payload(language=language, **changes))
    assert reply.status_code == 201, reply.text
    return str(reply.json()["thank_you"]["body"])


async def _log(shop: Shop, day: date, description: str, **where: Any) -> None:
    with tenant_scope(shop.tenant.id):
        await StoreChange.create(store_id=where.pop("store_id", shop.store.id), date=day, description=description,
                                 **where)


async def test_without_a_logged_change_the_generic_text(shop: Shop, shopper: httpx.AsyncClient) -> None:
    assert await _body(shopper, shop, "da") == THANK_YOU["da"]["body"]
    assert await _body(shopper, shop, "en") == THANK_YOU["en"]["body"]


async def test_a_logged_change_is_told_in_the_shoppers_language(shop: Shop, shopper: httpx.AsyncClient) -> None:
    day = date(DAY.year, DAY.month, 1) if DAY.day > 1 else DAY - timedelta(days=20)
    await _log(shop, day - timedelta(days=40), "Skilte ved indgangen")  # older: the latest one is told
    await _log(shop, day, "Vi åbnede en ekstra kasse.")
    month_da = {1: "januar", 2: "februar", 3: "marts", 4: "april", 5: "maj", 6: "juni", 7: "juli", 8: "august",
                9: "september", 10: "oktober", 11: "november", 12: "december"}[day.month]
    month_en = day.strftime("%B") if day.year == DAY.year else day.strftime("%B %Y")
    if day.year != DAY.year:
        month_da = f"{month_da} {day.year}"
    danish = await _body(shopper, shop, "da")
    assert danish == (f"I fortalte os, hvad vi skulle gøre bedre – i {month_da} gjorde vi dette: "
                      "»Vi åbnede en ekstra kasse«. Dine svar afgør, hvad der kommer næste gang.")
    english = await _body(shopper, shop, "en")
    assert english == (f"You told us what to do better; in {month_en} we did this: “Vi åbnede en ekstra kasse”. "
                       "Your answers decide what comes next.")


async def test_only_this_store_or_zone_and_only_recent_changes(shop: Shop, shopper: httpx.AsyncClient) -> None:
    with tenant_scope(shop.tenant.id):
        other_zone = await Zone.create(store=shop.store, name="Fitting rooms", kind="fitting_room")
    await _log(shop, DAY - timedelta(days=3), "Another store's change", store_id=shop.other_store.id)
    await _log(shop, DAY - timedelta(days=3), "Another zone's change", zone_id=other_zone.id)
    await _log(shop, DAY - timedelta(days=200), "A change long ago")
    await _log(shop, DAY + timedelta(days=1), "A change not made yet")
    assert await _body(shopper, shop, "sv") == THANK_YOU["sv"]["body"]
    await _log(shop, DAY - timedelta(days=2), "Nya provrum", zone_id=shop.zone.id)  # the shopper's zone
    swedish = await _body(shopper, shop, "sv")
    assert "”Nya provrum”" in swedish and swedish.startswith("Ni berättade")
    elsewhere = await _body(shopper, shop, "sv", zone_id=str(other_zone.id))
    assert "”Another zone's change”" in elsewhere and "Nya provrum" not in elsewhere

"""A store's survey page kept per tenant content stamp (core/surveys/page_cache.py ``StorePages``): one query per
request while nothing changed, and every change of what the page shows there at once, whoever wrote it and however
(the ORM, a bulk update, raw SQL as another process would), on SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx

from pejling.core.surveys.model_items import tenant_items
from pejling.core.surveys.models import Statement
from pejling.core.surveys.page_cache import StampReads, content_stamp, store_pages
from pejling.core.surveys.survey import active_survey, add_tenant_statement, choose_statements
from pejling.tenants.models import Store, Tenant, Zone
from pejling.tenants.plugin_settings import PluginSetting
from pejling.tenants.scope import tenant_scope, tenant_sql
from tests.support.query_count import counting_queries
from tests.survey_page.conftest import Shop, make_shop

from .test_page_cache import _plugins


def _field(html: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)">', html)
    assert match, name
    return match.group(1)


async def _page(client: httpx.AsyncClient, url: str, language: str = "en") -> str:
    response = await client.get(url, headers={"accept-language": language})
    assert response.status_code == 200, response.text
    return response.text


async def _with_own_statement(shop: Shop, app: Any) -> str:
    """The shop's survey asking a statement of the tenant's own (returns its id)."""
    with tenant_scope(shop.tenant.id):
        own = await add_tenant_statement(goal="ease", slug="till", texts={
            "en": "The till was quick", "da": "Kassen gik hurtigt", "nb": "Kassen gikk raskt",
            "sv": "Kassan gick fort"})
        current = await active_survey()
        assert current is not None
        chosen = [own.id, *list(current.version.statement_ids)[:2]]
        await choose_statements(chosen, askable=await tenant_items(_plugins(app), shop.tenant.id))
    return own.id


async def test_a_page_already_served_costs_one_query_of_the_tenant(client: httpx.AsyncClient, shop: Shop,
                                                                   not_listening: None) -> None:
    """Without the change notices (SQLite, or PostgreSQL while the listener is not connected)."""
    await _page(client, shop.url)  # the tenant's first page makes its default survey: a change of the stamp
    await _page(client, shop.url)
    loads = store_pages.loads
    async with counting_queries() as sql:
        html = await _page(client, shop.url)
    assert len(sql) == 1, sql.statements
    assert sql.matching("content_stamp") and sql.matching("FROM tenant")
    assert store_pages.loads == loads
    assert "Nordlys Aarhus" in html


async def test_a_statement_edit_shows_at_once_in_every_language(client: httpx.AsyncClient, app: Any,
                                                              shop: Shop) -> None:
    await _with_own_statement(shop, app)
    assert "The till was quick" in await _page(client, shop.url, "en")
    assert "Kassen gik hurtigt" in await _page(client, shop.url, "da")
    with tenant_scope(shop.tenant.id):
        row = await Statement.get(key="ease.t-till")
        row.texts = {**row.texts, "en": "Paying was quick", "da": "Det gik hurtigt at betale"}
        await row.save()
    assert "Paying was quick" in await _page(client, shop.url, "en")
    assert "Det gik hurtigt at betale" in await _page(client, shop.url, "da")
    assert "The till was quick" not in await _page(client, shop.url, "en")


async def test_a_change_written_as_another_process_would_shows_at_once(client: httpx.AsyncClient, shop: Shop) -> None:
    """Raw SQL, with no in-process hook told: only the database's stamp can make this page change."""
    assert 'lang="da"' in await _page(client, shop.url, "fi")  # no language of ours asked: the store's default
    with tenant_scope(shop.tenant.id):
        await tenant_sql("UPDATE store SET default_language = ? WHERE tenant_id = {tenant} AND id = ?").execute(
            ["sv", shop.store.id])
    assert 'lang="sv"' in await _page(client, shop.url, "fi")
    assert 'lang="en"' in await _page(client, shop.url, "en")  # a language asked for still wins

    with tenant_scope(shop.tenant.id):
        await tenant_sql("UPDATE store SET name = ? WHERE tenant_id = {tenant} AND id = ?").execute(
            ["Nordlys Aarhus Havn", shop.store.id])
    assert "Nordlys Aarhus Havn" in await _page(client, shop.url)


async def test_a_plugin_switched_off_elsewhere_shows_at_once(client: httpx.AsyncClient, app: Any,
                                                            shop: Shop) -> None:
    """Another process switched a scoring model off: this process's enabled set (kept for up to half a minute) is
    read again when the stamp moved, so its question goes at once."""
    plugins = _plugins(app)
    with tenant_scope(shop.tenant.id):
        current = await active_survey()
        assert current is not None
        chosen = list(current.version.statement_ids)[:3]
        await choose_statements(chosen, [], ["csat-satisfied"], askable=await tenant_items(plugins, shop.tenant.id))
    assert "csat-satisfied" in _field(await _page(client, shop.url), "order").split(",")
    with tenant_scope(shop.tenant.id):
        await PluginSetting.update_or_create(defaults={"enabled": False}, plugin="csat")  # not through `plugins`
    assert set(_field(await _page(client, shop.url), "order").split(",")) == set(chosen)


async def test_a_zone_edit_shows_at_once(client: httpx.AsyncClient, shop: Shop) -> None:
    url = f"{shop.url}?zone={shop.zone.id}"
    assert _field(await _page(client, url), "zone_id") == str(shop.zone.id)
    with tenant_scope(shop.tenant.id):
        other = await Store.create(name="Nordlys Odense", slug="odense", default_language="da")
        await Zone.filter(id=shop.zone.id).update(store_id=other.id)  # the zone moved to another store
    assert (await client.get(url)).status_code == 404
    assert _field(await _page(client, f"/s/{shop.tenant.slug}/odense?zone={shop.zone.id}"), "zone_id") == str(
        shop.zone.id)


async def test_two_tenants_never_share_a_page(client: httpx.AsyncClient, database: Any) -> None:
    first, second = await make_shop(), await make_shop()
    with tenant_scope(second.tenant.id):
        await Store.filter(id=second.store.id).update(name="Fjord Aarhus")
    assert first.store.slug == second.store.slug  # the same store address but for the tenant
    for _ in range(2):
        one, two = await _page(client, first.url), await _page(client, second.url)
        assert "Nordlys Aarhus" in one and "Fjord Aarhus" not in one
        assert "Fjord Aarhus" in two and "Nordlys Aarhus" not in two
        assert f"/s/{first.tenant.slug}/aarhus/form" in one and f"/s/{second.tenant.slug}/aarhus/form" in two
    keys = [key for key in store_pages._pages if key[0] in (first.tenant.id, second.tenant.id)]
    assert {key[0] for key in keys} == {first.tenant.id, second.tenant.id}
    # A change of one tenant leaves the other's page where it is, and changes nothing of it.
    before = (await content_stamp(second.tenant.slug))
    with tenant_scope(first.tenant.id):
        await Store.filter(id=first.store.id).update(name="Nordlys Aarhus C")
    assert await content_stamp(second.tenant.slug) == before
    assert "Nordlys Aarhus C" in await _page(client, first.url)
    assert "Fjord Aarhus" in await _page(client, second.url)


async def test_each_shopper_gets_their_own_parts_from_one_entry(client: httpx.AsyncClient, shop: Shop) -> None:
    await _page(client, shop.url)
    await _page(client, shop.url)
    loads = store_pages.loads
    seen = []
    for _ in range(8):
        response = await client.get(shop.url, headers={"accept-language": "en"})
        nonce = re.search(r"script-src 'nonce-([^']+)'", response.headers["content-security-policy"])
        assert nonce
        seen.append((_field(response.text, "id"), nonce.group(1), _field(response.text, "order")))
    assert store_pages.loads == loads
    assert len({response_id for response_id, _, _ in seen}) == 8
    assert len({nonce for _, nonce, _ in seen}) == 8
    assert len({order for _, _, order in seen}) > 1  # the scored statements shuffled per shopper
    warmups = {tuple(order.split(",")[:1]) for _, _, order in seen}
    assert len(warmups) == 1  # the warm-up stays first


async def test_the_stamp_only_grows(shop: Shop) -> None:
    """A tenant saved with the stamp it was read with (the ORM writes every column) cannot take the stamp back: an
    older page would then pass for the current one."""
    stale = await Tenant.get(id=shop.tenant.id)
    start = await content_stamp(shop.tenant.slug)
    assert start is not None
    with tenant_scope(shop.tenant.id):
        await Zone.create(store=shop.store, name="Entrance", kind="entrance")
    moved = await content_stamp(shop.tenant.slug)
    assert moved is not None and moved[1] > start[1]
    stale.brand_colour = "#7a1f5c"
    await stale.save()  # writes content_stamp as it was read
    after = await content_stamp(shop.tenant.slug)
    assert after is not None and after[1] > moved[1]


async def test_unknown_addresses_are_the_not_found_page(client: httpx.AsyncClient, shop: Shop) -> None:
    assert (await client.get(f"/s/no-such-tenant-{shop.tenant.slug}/aarhus")).status_code == 404
    assert (await client.get(f"{shop.url}-gone")).status_code == 404
    async with counting_queries() as sql:
        assert (await client.get(f"/s/{'x' * 200}/aarhus")).status_code == 404
    assert len(sql) == 0


async def test_concurrent_shoppers_share_a_read_sent_after_they_came(client: httpx.AsyncClient, shop: Shop,
                                                                     not_listening: None) -> None:
    await _page(client, shop.url)
    await _page(client, shop.url)
    reads = store_pages.reads.reads
    pages = await asyncio.gather(*(_page(client, shop.url) for _ in range(12)))
    assert all("Nordlys Aarhus" in html for html in pages)
    assert len({_field(html, "id") for html in pages}) == 12
    assert 1 <= store_pages.reads.reads - reads < 12


async def test_a_read_on_its_way_is_not_shared_with_a_later_request(shop: Shop) -> None:
    """A change committed after one read was sent and before the next request came: that request waits for a read
    of its own, so it never gets the stamp from before the change."""
    reads = StampReads()
    first = asyncio.ensure_future(reads.stamp(shop.tenant.slug))
    await asyncio.sleep(0)  # the first read is on its way
    with tenant_scope(shop.tenant.id):
        await Store.filter(id=shop.store.id).update(name="Nordlys Aarhus N")
    now = await content_stamp(shop.tenant.slug)
    later = await reads.stamp(shop.tenant.slug)
    assert later == now
    found = await first
    assert found is not None and now is not None and found[1] <= now[1]
    assert reads.reads == 2

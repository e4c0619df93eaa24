"""The survey page served from this process's copy (core/surveys/page_cache.py): byte for byte a fresh render, its
per-request parts each shopper's own, and every change of what the page shows there on the next request."""

from __future__ import annotations

import dataclasses
import gzip
import re
from typing import Any

import httpx
import pytest
from starlette.requests import Request

from pejling.core.surveys.model_items import tenant_items
from pejling.core.surveys.page_copy import PageCopies, PageCopy, page_copies
from pejling.core.surveys.page_data import load_survey_page
from pejling.core.surveys.pages import render_survey
from pejling.core.surveys.survey import active_survey, choose_statements
from pejling.tenants.models import Store, Tenant
from pejling.tenants.scope import tenant_scope
from tests.survey_page.conftest import Shop

from .test_brand_colours import constructed_page, request_for


def _plugins(app: Any) -> Any:
    """The app's loaded plugins (``app.state.plugins``; the fixture wraps the app for its lifespan)."""
    for cell in app.__closure__ or ():
        state = getattr(cell.cell_contents, "state", None)
        if state is not None and hasattr(state, "plugins"):
            return state.plugins
    raise AssertionError("no app.state.plugins")


async def _raw(client: httpx.AsyncClient, url: str, encoding: str) -> tuple[httpx.Response, bytes]:
    """The response and its body as sent (not decoded by httpx)."""
    async with client.stream("GET", url, headers={"accept-encoding": encoding, "accept-language": "en"}) as response:
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    return response, raw


def _field(html: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)">', html)
    assert match, name
    return match.group(1)


def _nonce(response: httpx.Response) -> str:
    match = re.search(r"script-src 'nonce-([^']+)'", response.headers["content-security-policy"])
    assert match
    return match.group(1)


async def _fresh(app: Any, shop: Shop, url: str, html: str, nonce: str) -> bytes:
    """A fresh Jinja render of the page with the same response id, start time, nonce and statement order."""
    path, _, query = url.partition("?")
    zone = dict(re.findall(r"([^&=]+)=([^&]*)", query)).get("zone")
    page = await load_survey_page(
        tenant_slug=shop.tenant.slug, store_slug=shop.store.slug, zone_id=zone, channel="", invitation_token=None,
        language=None, accept_language="en", plugins=_plugins(app), channel_params={},
    )
    order = _field(html, "order").split(",")
    page = dataclasses.replace(page, statements=sorted(page.statements, key=lambda s: order.index(s.id)))
    request = Request({"type": "http", "method": "GET", "path": path, "query_string": query.encode(), "headers": []})
    fresh = render_survey(
        request, page, response_id=_field(html, "id"), started_at=_field(html, "started_at"), nonce=nonce
    )
    return bytes(fresh.body)


async def test_the_cached_page_is_byte_for_byte_a_fresh_render(client: httpx.AsyncClient, app: Any, shop: Shop) -> None:
    url = f"{shop.url}?zone={shop.zone.id}"
    for encoding in ("gzip", "identity"):
        response, raw = await _raw(client, url, encoding)
        assert response.status_code == 200
        assert int(response.headers["content-length"]) == len(raw)
        assert "etag" not in response.headers  # each copy carries its own response id: nothing to share or revalidate
        assert response.headers["cache-control"] == "no-store"
        assert "Accept-Encoding" in response.headers["vary"] and "Accept-Language" in response.headers["vary"]
        if encoding == "gzip":
            assert response.headers["content-encoding"] == "gzip"
            body = gzip.decompress(raw)  # checks the member's CRC and length too
            assert len(raw) < 30_000
        else:
            assert "content-encoding" not in response.headers
            body = raw
        html = body.decode()
        assert body == await _fresh(app, shop, url, html, _nonce(response))
        assert f'name="zone_id" value="{shop.zone.id}"' in html


async def test_two_shoppers_never_share_a_response_id_a_nonce_or_an_order(client: httpx.AsyncClient,
                                                                          shop: Shop) -> None:
    await client.get(shop.url, headers={"accept-language": "en"})
    renders = page_copies.renders
    pages = []
    for _ in range(6):
        response = await client.get(shop.url, headers={"accept-language": "en"})
        html = response.text
        order = _field(html, "order").split(",")
        fieldsets = re.findall(r'<fieldset class="step statement" data-id="([^"]+)" data-warmup="\d" '
                               r'data-position="(\d+)">', html)
        assert [sid for sid, _ in fieldsets] == order  # the form posts the order the shopper saw
        assert [int(position) for _, position in fieldsets] == list(range(len(order)))
        legends = re.findall(r'<legend tabindex="-1"><span class="vh">Statement (\d+) of (\d+)', html)
        assert legends == [(str(n), str(len(order))) for n in range(1, len(order) + 1)]
        pages.append((_field(html, "id"), _nonce(response), tuple(order)))
        assert f"'nonce-{pages[-1][1]}'" in response.headers["content-security-policy"]
        assert html.count(f'nonce="{pages[-1][1]}"') == 3
    assert page_copies.renders == renders  # all six from the one copy
    assert len({response_id for response_id, _, _ in pages}) == 6
    assert len({nonce for _, nonce, _ in pages}) == 6
    assert len({order for _, _, order in pages}) > 1  # shuffled per shopper, not per copy
    assert len({frozenset(order) for _, _, order in pages}) == 1


async def test_every_change_of_the_page_shows_on_the_next_request(client: httpx.AsyncClient, app: Any,
                                                                  shop: Shop) -> None:
    async def page() -> str:
        response = await client.get(shop.url, headers={"accept-language": "en"})
        assert response.status_code == 200
        return response.text

    assert "Nordlys Aarhus" in await page()
    with tenant_scope(shop.tenant.id):
        await Store.filter(id=shop.store.id).update(name="Nordlys Aarhus C")
    assert "Nordlys Aarhus C" in await page()

    await Tenant.filter(id=shop.tenant.id).update(brand_colour="#7a1f5c")
    assert "#7a1f5c" in await page()

    await Tenant.filter(id=shop.tenant.id).update(logo_type="image/png", logo_version=3)
    assert f'src="/s/{shop.tenant.slug}/logo?v=3"' in await page()

    plugins = _plugins(app)
    with tenant_scope(shop.tenant.id):
        current = await active_survey()
        assert current is not None
        chosen = list(current.version.statement_ids)[:3]
        await choose_statements(chosen, [], ["csat-satisfied"], askable=await tenant_items(plugins, shop.tenant.id))
    html = await page()
    assert _field(html, "survey_version_id") != str(current.version.id)
    assert set(_field(html, "order").split(",")) == {*chosen, "csat-satisfied"}

    await plugins.disable_plugin(shop.tenant.id, "csat")  # its question is no longer asked
    assert set(_field(await page(), "order").split(",")) == set(chosen)

    with tenant_scope(shop.tenant.id):
        await Store.filter(id=shop.store.id).update(default_language="sv")
    response = await client.get(shop.url)
    assert response.headers["content-language"] == "sv" and 'lang="sv"' in response.text

    with tenant_scope(shop.tenant.id):
        await shop.zone.delete()
    assert (await client.get(f"{shop.url}?zone={shop.zone.id}")).status_code == 404


def test_copies_are_bounded_and_keyed_by_what_the_page_shows() -> None:
    copies = PageCopies(limit=2)
    page = constructed_page()
    first = copies.copy_for(request_for(), page, "survey.html")
    shuffled = dataclasses.replace(page, statements=list(reversed(page.statements)))
    assert copies.copy_for(request_for(), shuffled, "survey.html") is first  # the order is per request
    assert copies.copy_for(request_for(), constructed_page(brand="#123456"), "survey.html") is not first
    copies.copy_for(request_for("/s/gul/other"), page, "survey.html")
    assert len(copies) == 2 and copies.renders == 3
    assert copies.copy_for(request_for(), page, "survey.html") is not first  # the oldest copy went first


def test_a_template_without_its_statement_slots_is_refused() -> None:
    with pytest.raises(ValueError, match="statement slots"):
        PageCopy.of("<p>no statements here</p>", ["a", "b"])

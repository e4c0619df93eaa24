"""The kiosk screen ``/k/<token>`` in process: the survey of the kiosk's store and zone in kiosk mode, the tenant's
idle and thank-you settings, a retired or switched-off kiosk's friendly page, an unknown token's 404, the old page
address sent on, the token kept out of the access log, and a response sent from the screen's own data registered."""

from __future__ import annotations

import html
import json
import logging
import re
from typing import Any

import httpx
import pytest

from pejling.core.plugin_enablement import PluginConfigInvalid
from pejling.core.settings import Settings
from pejling.core.surveys.channel_devices import new_device_token, register_device, retire_device
from pejling.core.surveys.models import Response
from pejling.frontend.language import messages
from pejling.tenants.scope import tenant_scope

from .conftest import Shop, make_shop
from .test_model_questions import _app_plugins

SCRIPT_DATA = re.compile(r'<script type="application/json" id="(survey|kiosk)-data">(.*?)</script>', re.DOTALL)


async def _kiosk(shop: Shop, settings: Settings, *, zone: bool = True) -> tuple[str, Any]:
    token = new_device_token()
    with tenant_scope(shop.tenant.id):
        device = await register_device(channel="kiosk", store=shop.store, zone=shop.zone if zone else None,
                                       label="Stand by the door", token=token, settings=settings)
    return token, device


def _data(page: str) -> dict[str, dict[str, Any]]:
    return {name: json.loads(html.unescape(text)) for name, text in SCRIPT_DATA.findall(page)}


async def test_the_screen_is_the_kiosks_store_and_zone_survey_in_kiosk_mode(
    client: httpx.AsyncClient, database: Settings
) -> None:
    shop = await make_shop()
    token, _ = await _kiosk(shop, database)
    page = await client.get(f"/k/{token}", headers={"accept-language": "sv"})
    assert page.status_code == 200, page.text
    data = _data(page.text)
    survey, kiosk = data["survey"], data["kiosk"]
    assert survey["channel"] == "kiosk" and survey["channel_params"] == {"device": token}
    assert survey["zone_id"] == str(shop.zone.id) and survey["language"] == "sv"
    assert survey["submit_url"] == f"/s/{shop.tenant.slug}/{shop.store.slug}/responses"
    assert kiosk["idle_seconds"] == 60 and kiosk["thanks_seconds"] == 8  # the defaults
    assert kiosk["t"]["kiosk_next"] == messages("sv")["kiosk_next"]
    # the scored statements are shuffled anew per shopper; the warm-ups stay first
    assert set(kiosk["shuffle"]) == set(shop.statement_ids) and not set(kiosk["shuffle"]) & set(shop.warmup_ids)
    text = page.text
    assert 'class="langs"' not in text and "hreflang" not in text  # no link that leaves the screen
    assert "#receipt{display:none!important}" in text  # no receipt code of the previous shopper
    assert "pejlingSurvey.reset" in text and "requestFullscreen" in text  # kiosk.js, inlined
    # kiosk.js runs before survey.js (it clears an earlier session's progress before survey.js would resume it)
    assert text.index('id="kiosk-data"') < text.index('id="survey-data"')
    nonce = re.search(r"script-src 'nonce-([^']+)'", page.headers["content-security-policy"])
    assert nonce is not None and text.count(f'<script nonce="{nonce.group(1)}">') == 3  # base, kiosk.js, survey.js
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"


async def test_a_response_sent_with_the_screens_data_is_the_kiosks(
    client: httpx.AsyncClient, database: Settings
) -> None:
    shop = await make_shop()
    token, device = await _kiosk(shop, database)
    survey = _data((await client.get(f"/k/{token}")).text)["survey"]
    payload = shop.payload(channel=survey["channel"], channel_params=survey["channel_params"],
                           zone_id=survey["zone_id"])
    reply = await client.post(survey["submit_url"], json=payload)
    assert reply.status_code == 201, reply.text
    with tenant_scope(shop.tenant.id):
        stored = await Response.get(id=payload["id"])
    assert stored.channel == "kiosk" and stored.zone_id == shop.zone.id
    assert stored.channel_details == {"device": "Stand by the door", "device_id": device.id.hex, "registered": True}


async def test_the_tenants_kiosk_settings_reach_the_screen_and_bad_ones_are_refused(
    app: Any, client: httpx.AsyncClient, database: Settings
) -> None:
    shop = await make_shop()
    token, _ = await _kiosk(shop, database, zone=False)
    plugins = _app_plugins(app)
    await plugins.enable_plugin(shop.tenant.id, "kiosk", {"idle_seconds": 30, "thanks_seconds": 5})
    kiosk = _data((await client.get(f"/k/{token}")).text)["kiosk"]
    assert (kiosk["idle_seconds"], kiosk["thanks_seconds"]) == (30, 5)
    for bad in ({"idle_seconds": 2}, {"thanks_seconds": 600}, {"idle": 30}):
        with pytest.raises(PluginConfigInvalid):
            await plugins.enable_plugin(shop.tenant.id, "kiosk", bad)
    kiosk = _data((await client.get(f"/k/{token}")).text)["kiosk"]
    assert (kiosk["idle_seconds"], kiosk["thanks_seconds"]) == (30, 5)  # a refused setting changed nothing


async def test_a_retired_or_switched_off_kiosk_is_a_friendly_page_and_an_unknown_token_not_found(
    app: Any, client: httpx.AsyncClient, database: Settings
) -> None:
    shop = await make_shop()  # the store speaks Danish
    token, device = await _kiosk(shop, database)
    await _app_plugins(app).disable_plugin(shop.tenant.id, "kiosk")
    off = await client.get(f"/k/{token}")
    assert off.status_code == 410 and messages("da")["kiosk_retired_title"] in off.text
    await _app_plugins(app).enable_plugin(shop.tenant.id, "kiosk")
    assert (await client.get(f"/k/{token}")).status_code == 200
    with tenant_scope(shop.tenant.id):
        await retire_device(device.id, "kiosk")
    retired = await client.get(f"/k/{token}", headers={"accept-language": "nb"})
    assert retired.status_code == 410
    assert messages("nb")["kiosk_retired_title"] in retired.text and "survey-data" not in retired.text
    for unknown in (new_device_token(), "short", "x" * 300, token[:-2], "%00", "ø" * 30, token.upper()):
        missing = await client.get(f"/k/{unknown}")
        assert missing.status_code == 404 and messages("en")["not_found_title"] in missing.text


async def test_the_old_page_address_of_a_kiosk_is_sent_on_to_its_screen(
    client: httpx.AsyncClient, database: Settings
) -> None:
    shop = await make_shop()
    token, _ = await _kiosk(shop, database)
    old = await client.get(f"/s/{shop.tenant.slug}/{shop.store.slug}",
                           params={"ch": "kiosk", "device": token, "zone": str(shop.zone.id), "lang": "sv"})
    assert old.status_code == 303 and old.headers["location"] == f"/k/{token}?lang=sv"
    assert (await client.get(old.headers["location"])).status_code == 200
    # the store's own page on the kiosk channel without a token is still the plain survey page
    plain = await client.get(f"/s/{shop.tenant.slug}/{shop.store.slug}", params={"ch": "kiosk"})
    assert plain.status_code == 200 and "kiosk-data" not in plain.text


async def test_the_access_log_never_shows_a_kiosk_token(
    client: httpx.AsyncClient, database: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    shop = await make_shop()
    token, _ = await _kiosk(shop, database)
    with caplog.at_level(logging.INFO, logger="pejling.access"):
        await client.get(f"/k/{token}")
        await client.get(f"/k/{new_device_token()}")  # an unknown one neither
        await client.get(f"/s/{shop.tenant.slug}/{shop.store.slug}", params={"ch": "kiosk", "device": token})
    paths = [getattr(r, "path", None) for r in caplog.records if r.name == "pejling.access"]
    assert paths == ["/k/[redacted]", "/k/[redacted]", f"/s/{shop.tenant.slug}/{shop.store.slug}?[redacted]"]
    assert token not in caplog.text


async def test_register_kiosk_gives_the_screens_address(client: httpx.AsyncClient, database: Settings) -> None:
    from pejling.graphql.relay_ids import encode_id
    from pejling.tenants.models import Role
    from tests.support.tenancy import gql, member, token_for

    shop = await make_shop()
    admin = {"Authorization": f"Bearer {await token_for(shop.tenant, await member(shop.tenant, Role.ADMIN))}"}
    made = (await gql(client, """mutation($store: ID!, $zone: ID) {
      registerKiosk(storeId: $store, zoneId: $zone, label: "Till") { token url errors { code } } }""",
                      {"store": encode_id("Store", shop.store.id), "zone": encode_id("Zone", shop.zone.id)},
                      admin))["data"]["registerKiosk"]
    assert made["errors"] == [] and made["url"] == f"{database.base_url.rstrip('/')}/k/{made['token']}"
    survey = _data((await client.get(f"/k/{made['token']}")).text)["survey"]
    assert survey["zone_id"] == str(shop.zone.id)  # the zone comes with the device, not the address

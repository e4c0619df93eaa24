"""The core registry of channel devices: secrets sealed per tenant and device, a counter that only grows (one
compare-and-set, so two concurrent taps with one counter cannot both pass), retiring, tokens and tenant walls."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from pejling.core.settings import Settings
from pejling.core.surveys.channel_devices import (
    DeviceSecretUnreadable,
    advance_counter,
    device_secret,
    devices_of,
    find_by_token,
    find_device,
    new_device_token,
    open_secret,
    register_device,
    retire_device,
    seal_secret,
)
from pejling.core.surveys.models import ChannelDevice, Response
from pejling.tenants.scope import tenant_scope

from .conftest import make_shop

SECRET = bytes(range(32))
AN_PICC, AN_MAC = "EF963FF7828658A599F3041510671E88", "94EED9EE65337086"


async def test_a_secret_is_sealed_for_its_tenant_and_device_only(database: Settings) -> None:
    shop = await make_shop()
    with tenant_scope(shop.tenant.id):
        device = await register_device(channel="nfc", store=shop.store, label=" Door ", secret=SECRET,
                                       settings=database)
        stored = await ChannelDevice.get(id=device.id)
    assert stored.label == "Door" and stored.counter == -1 and stored.zone_id is None
    assert stored.secret is not None and SECRET.hex() not in stored.secret and SECRET not in stored.secret.encode()
    assert device_secret(stored, database) == SECRET
    other = await make_shop()
    with pytest.raises(DeviceSecretUnreadable):  # the same sealed text on another tenant's row does not open
        open_secret(database, other.tenant.id, device.id, stored.secret)
    with pytest.raises(DeviceSecretUnreadable):  # nor with another app secret key
        open_secret(Settings(secret_key="another-secret-key-" + "y" * 32), shop.tenant.id, device.id, stored.secret)
    with pytest.raises(DeviceSecretUnreadable):
        open_secret(database, shop.tenant.id, device.id, "not base64!")
    assert seal_secret(database, shop.tenant.id, device.id, SECRET) != stored.secret  # a fresh nonce each time
    with tenant_scope(shop.tenant.id):
        with pytest.raises(ValueError):
            await register_device(channel="nfc", store=shop.store, label="  ", settings=database)
        with pytest.raises(ValueError):
            await register_device(channel="nfc", store=shop.store, zone=await _foreign_zone(shop), label="x",
                                  settings=database)


async def _foreign_zone(shop: Any) -> Any:
    from pejling.tenants.models import Zone

    return await Zone.create(store=shop.other_store, name="Elsewhere", kind="checkout")


async def test_the_counter_only_grows_and_one_of_two_concurrent_taps_passes(database: Settings) -> None:
    shop = await make_shop()
    with tenant_scope(shop.tenant.id):
        device = await register_device(channel="nfc", store=shop.store, label="Till", secret=SECRET,
                                       settings=database)
        assert await advance_counter(device.id, 0) is True  # the first tap of a fresh tag may carry counter 0
        results = await asyncio.gather(*(advance_counter(device.id, 5) for _ in range(6)))
        assert sorted(results) == [False] * 5 + [True]
        assert await advance_counter(device.id, 5) is False
        assert await advance_counter(device.id, 4) is False
        assert await advance_counter(device.id, 6) is True
        assert (await ChannelDevice.get(id=device.id)).counter == 6
        assert (await ChannelDevice.get(id=device.id)).last_seen_at is not None
        assert (await retire_device(device.id, "nfc")) is not None
        assert await advance_counter(device.id, 7) is False  # a retired device never passes
        assert await find_device(device.id, "nfc") is None
        assert await find_device(device.id, "nfc", retired=True) is not None
        assert await find_device(device.id, "kiosk") is None
        assert await find_device("not-a-uuid", "nfc") is None
    other = await make_shop()
    with tenant_scope(other.tenant.id):  # another tenant can neither see nor advance the device
        assert await find_device(device.id, "nfc", retired=True) is None
        assert await advance_counter(device.id, 100) is False
        assert await retire_device(device.id, "nfc") is None
        assert await devices_of("nfc") == []
    with tenant_scope(shop.tenant.id):
        assert (await ChannelDevice.get(id=device.id)).counter == 6


async def test_device_tokens_are_found_by_their_hash_only(database: Settings) -> None:
    shop = await make_shop()
    token = new_device_token()
    with tenant_scope(shop.tenant.id):
        device = await register_device(channel="kiosk", store=shop.store, label="Stand", token=token,
                                       settings=database)
        stored = await ChannelDevice.get(id=device.id)
        assert stored.token_hash and token not in stored.token_hash
        assert (await find_by_token(token, "kiosk", database)).id == device.id
        assert await find_by_token(token, "nfc", database) is None
        assert await find_by_token(token[:-1] + ("A" if token[-1] != "A" else "B"), "kiosk", database) is None
        assert await find_by_token("short", "kiosk", database) is None
        assert [d.id for d in await devices_of("kiosk", shop.store.id)] == [device.id]
        assert await devices_of("kiosk", shop.other_store.id) == []


async def test_two_concurrent_submissions_of_one_tap_store_one_response(
    client: httpx.AsyncClient, database: Settings
) -> None:
    shop = await make_shop()
    with tenant_scope(shop.tenant.id):
        tag = await register_device(channel="nfc", store=shop.store, label="Door", secret=bytes(32),
                                    settings=database)
    params = {"tag": tag.id.hex, "e": AN_PICC, "c": AN_MAC}
    url = f"/s/{shop.tenant.slug}/{shop.store.slug}/responses"
    replies = await asyncio.gather(*(
        client.post(url, json=shop.payload(channel="nfc", channel_params=params)) for _ in range(3)))
    assert sorted(r.status_code for r in replies) == [201, 422, 422]
    with tenant_scope(shop.tenant.id):
        assert await Response.all().count() == 1


async def test_a_secret_that_does_not_open_keeps_the_answers(client: httpx.AsyncClient, database: Settings) -> None:
    """The app's secret key changed since the tag was registered: the tag cannot verify, the shopper's answers are
    stored without details (the channel's failure is logged without the secret)."""
    shop = await make_shop()
    with tenant_scope(shop.tenant.id):
        tag = await register_device(channel="nfc", store=shop.store, label="Door", secret=bytes(32),
                                    settings=Settings(secret_key="the-old-secret-key-" + "z" * 32))
    payload = shop.payload(channel="nfc", channel_params={"tag": tag.id.hex, "e": AN_PICC, "c": AN_MAC})
    reply = await client.post(f"/s/{shop.tenant.slug}/{shop.store.slug}/responses", json=payload)
    assert reply.status_code == 201, reply.text
    with tenant_scope(shop.tenant.id):
        response = await Response.get(id=payload["id"])
    assert response.channel == "nfc" and response.channel_details is None


REGISTER_KIOSK = """mutation($store: ID!, $zone: ID, $label: String!) {
  registerKiosk(storeId: $store, zoneId: $zone, label: $label) {
    kiosk { id storeId zoneId label retired } token url errors { code field } } }"""


async def test_a_registered_kiosk_marks_its_responses_with_its_label(
    client: httpx.AsyncClient, database: Settings
) -> None:
    from pejling.graphql.relay_ids import encode_id
    from pejling.tenants.models import Role
    from tests.support.tenancy import gql, member, token_for

    shop = await make_shop()
    admin = {"Authorization": f"Bearer {await token_for(shop.tenant, await member(shop.tenant, Role.ADMIN))}"}
    store, zone = encode_id("Store", shop.store.id), encode_id("Zone", shop.zone.id)
    made = (await gql(client, REGISTER_KIOSK, {"store": store, "zone": zone, "label": "Stand by the door"},
                      admin))["data"]["registerKiosk"]
    assert made["errors"] == [] and made["kiosk"]["label"] == "Stand by the door" and made["kiosk"]["zoneId"] == zone
    token = made["token"]
    assert len(token) >= 40 and made["url"].endswith(f"/k/{token}")  # the kiosk screen (core/surveys/kiosk_page.py)
    listed = await gql(client, "{ kiosks { id label lastSeenAt } }", headers=admin)
    assert [k["label"] for k in listed["data"]["kiosks"]] == ["Stand by the door"] and token not in str(listed)
    # the kiosk page carries the token to the response
    link = urlsplit(made["url"])
    page = await client.get(link.path)
    assert page.status_code == 200 and f'"channel_params": {{"device": "{token}"}}' in page.text
    url = f"/s/{shop.tenant.slug}/{shop.store.slug}/responses"
    cases = [({"device": token}, "registered"), ({"device": "x" * 43}, {"registered": False}), ({}, None)]
    for params, expected in cases:
        payload = shop.payload(channel="kiosk", channel_params=params)
        reply = await client.post(url, json=payload)
        assert reply.status_code == 201, reply.text
        with tenant_scope(shop.tenant.id):
            details = (await Response.get(id=payload["id"])).channel_details
        if expected == "registered":
            assert details["device"] == "Stand by the door" and details["registered"] is True
        else:
            assert details == expected
    retired = await gql(client, "mutation($id: ID!) { retireKiosk(id: $id) { kiosk { retired } errors { code } } }",
                        {"id": made["kiosk"]["id"]}, admin)
    assert retired["data"]["retireKiosk"] == {"kiosk": {"retired": True}, "errors": []}
    payload = shop.payload(channel="kiosk", channel_params={"device": token})
    assert (await client.post(url, json=payload)).status_code == 201  # a retired kiosk's answers are still kept
    with tenant_scope(shop.tenant.id):
        assert (await Response.get(id=payload["id"])).channel_details == {"registered": False}
    # analysts may not register kiosks; another tenant's store is not found
    analyst = {"Authorization": f"Bearer {await token_for(shop.tenant, await member(shop.tenant, Role.ANALYST))}"}
    refused = await gql(client, REGISTER_KIOSK, {"store": store, "label": "T"}, analyst)
    assert refused["data"]["registerKiosk"]["errors"] == [{"code": "forbidden", "field": None}]
    other = await make_shop()
    other_admin = {"Authorization": f"Bearer {await token_for(other.tenant, await member(other.tenant, Role.ADMIN))}"}
    foreign = await gql(client, REGISTER_KIOSK, {"store": store, "label": "T"}, other_admin)
    assert foreign["data"]["registerKiosk"]["errors"] == [{"code": "not_found", "field": "storeId"}]


async def test_a_registered_kiosk_has_its_own_rate_limit_not_its_shared_address(
    client: httpx.AsyncClient, database: Settings
) -> None:
    """Shopper after shopper on one tablet share its address: a registered kiosk counts against its own, larger
    limit; a made-up token, or none, still counts against the address's."""
    from pejling.core.surveys.channel_devices import new_device_token, register_device
    from pejling.core.surveys.rate_limit import KIOSK_LIMIT, SUBMISSION_LIMIT

    shop = await make_shop()
    token = new_device_token()
    with tenant_scope(shop.tenant.id):
        await register_device(channel="kiosk", store=shop.store, label="Stand", token=token)
    url = f"/s/{shop.tenant.slug}/{shop.store.slug}/responses"
    for _ in range(SUBMISSION_LIMIT.count + 5):
        reply = await client.post(url, json=shop.payload(channel="kiosk", channel_params={"device": token}))
        assert reply.status_code == 201, reply.text
    assert SUBMISSION_LIMIT.count + 5 < KIOSK_LIMIT.count
    statuses = [
        (await client.post(url, json=shop.payload(channel="kiosk", channel_params={"device": "x" * 43}))).status_code
        for _ in range(SUBMISSION_LIMIT.count + 1)
    ]
    assert statuses[:SUBMISSION_LIMIT.count] == [201] * SUBMISSION_LIMIT.count and statuses[-1] == 429

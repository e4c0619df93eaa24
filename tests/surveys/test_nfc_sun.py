"""NFC tags with proof of presence: the SUN crypto against NXP AN12196's published vectors, the NDEF record, and a
verified tap through the public ingest — accepted once, its replay and a forged MAC refused, a static tag stored."""

from __future__ import annotations

import base64
import logging
import uuid
from typing import Any

import httpx
import pytest

from pejling.core.surveys import ingest, ndef, sun
from pejling.core.surveys.channel_devices import register_device
from pejling.core.surveys.models import ChannelDevice, Response
from pejling.tenants.models import Role
from pejling.tenants.scope import tenant_scope
from tests.support.tenancy import gql, make_tenant, member, token_for

from .conftest import Shop, make_shop

ZERO = bytes(16)
# AN12196 §3.4.2.1 (PICCData decryption) and §3.4.4.2.1 (SUN MAC), all keys zero.
AN_PICC = "EF963FF7828658A599F3041510671E88"
AN_PICC_PLAIN = "C704DE5F1EACC0403D0000DA5CF60941"
AN_MAC = "94EED9EE65337086"
AN_UID = "04DE5F1EACC040"
AN_COUNTER = 61
AN_SESSION_MAC_KEY = "3FB5F6E3A807A03D5E3570ACE393776F"
# AN12196 §3.3 (session key generation).
AN_KEY = "5ACE7E50AB65D5D51FD5BF5A16B8205B"
AN_SESSION_UID = "04C767F2066180"
AN_SESSION_ENC = "66DA61797E23DECA5D8ECA13BBADF7A9"
AN_SESSION_MAC = "3A3E8110E05311F7A3FCF0D969BF2B48"

UA_PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"


# --- the crypto, against AN12196 -------------------------------------------------------------------------------


@pytest.mark.once
def test_picc_data_decrypts_to_the_an12196_uid_and_counter() -> None:
    tap = sun.decrypt_picc(ZERO, AN_PICC)
    assert tap == sun.SunTap(AN_UID, AN_COUNTER)
    # and the tag's plaintext (random padding included) encrypts back to the published PICC data
    assert sun._aes_cbc(ZERO, bytes.fromhex(AN_PICC_PLAIN), decrypt=False).hex().upper() == AN_PICC


@pytest.mark.once
def test_session_keys_match_an12196() -> None:
    key, uid = bytes.fromhex(AN_KEY), bytes.fromhex(AN_SESSION_UID)
    assert sun.session_enc_key(key, uid, 1).hex().upper() == AN_SESSION_ENC
    assert sun.session_mac_key(key, uid, 1).hex().upper() == AN_SESSION_MAC
    assert sun.session_mac_key(ZERO, bytes.fromhex(AN_UID), AN_COUNTER).hex().upper() == AN_SESSION_MAC_KEY


@pytest.mark.once
def test_the_an12196_sun_message_verifies_and_a_changed_one_does_not() -> None:
    assert sun.sdm_mac(ZERO, bytes.fromhex(AN_UID), AN_COUNTER).hex().upper() == AN_MAC
    assert sun.verify_sun(ZERO, ZERO, AN_PICC, AN_MAC) == sun.SunTap(AN_UID, AN_COUNTER)
    assert sun.verify_sun(ZERO, ZERO, AN_PICC.lower(), AN_MAC.lower()).counter == AN_COUNTER
    other = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
    flipped = AN_MAC[:-1] + ("7" if AN_MAC[-1] != "7" else "8")
    for meta, file, picc, mac in [
        (ZERO, ZERO, AN_PICC, flipped),  # a forged MAC
        (ZERO, other, AN_PICC, AN_MAC),  # another tag's file read key
        (other, ZERO, AN_PICC, AN_MAC),  # another meta read key: the PICC data is noise
        (ZERO, ZERO, AN_PICC[:-2] + "00", AN_MAC),  # changed PICC data
        (ZERO, ZERO, "zz" * 16, AN_MAC),
        (ZERO, ZERO, AN_PICC, AN_MAC[:-2]),
    ]:
        with pytest.raises(sun.SunInvalid):
            sun.verify_sun(meta, file, picc, mac)


@pytest.mark.once
def test_a_tag_message_made_here_verifies_with_the_same_keys_only() -> None:
    meta, file = bytes(range(16)), bytes(range(16, 32))
    picc, mac = sun.sun_message(meta, file, bytes.fromhex(AN_UID), 62)
    assert sun.verify_sun(meta, file, picc, mac) == sun.SunTap(AN_UID, 62)
    assert sun.sun_message(ZERO, ZERO, bytes.fromhex(AN_UID), AN_COUNTER)[1] == AN_MAC  # padding is not MACed
    with pytest.raises(sun.SunInvalid):
        sun.verify_sun(file, meta, picc, mac)


@pytest.mark.once
def test_keys_are_32_hex_digits() -> None:
    assert sun.parse_key("00" * 16) == ZERO
    for bad in ["0" * 31, "0" * 33, "g" * 32, "", " " + "0" * 31]:
        with pytest.raises(ValueError):
            sun.parse_key(bad)


# --- the NDEF record ------------------------------------------------------------------------------------------


@pytest.mark.once
def test_ndef_uri_records() -> None:
    # NFC Forum URI RTD: a short well-known record of type "U", https:// as prefix code 4.
    assert ndef.uri_record("https://example.com").hex().upper() == "D1010C5504" + b"example.com".hex().upper()
    assert ndef.uri_record("https://www.example.com")[4] == 0x02
    assert ndef.uri_record("http://example.com")[4] == 0x03
    assert ndef.uri_record("mailto:a@example.com")[4] == 0x00
    long_uri = "https://example.com/" + "x" * 300
    record = ndef.uri_record(long_uri)
    assert record[0] == 0xC1 and int.from_bytes(record[2:6], "big") == 1 + len(long_uri) - len("https://")
    assert record[6:8] == b"U\x04" and record[8:] == long_uri[len("https://"):].encode()
    content = ndef.ndef_file("https://example.com/s?e=00&c=11")
    assert int.from_bytes(content[:2], "big") == len(content) - 2
    offset = ndef.file_offset("https://example.com/s?e=00&c=11", "c=11")
    assert content[offset:offset + 4] == b"c=11"


# --- a tap through the public ingest ----------------------------------------------------------------------------


def _url(shop: Shop) -> str:
    return f"/s/{shop.tenant.slug}/{shop.store.slug}/responses"


async def _tag(shop: Shop, settings: Any, keys: bytes | None = ZERO + ZERO, label: str = "Door") -> ChannelDevice:
    with tenant_scope(shop.tenant.id):
        return await register_device(channel="nfc", store=shop.store, zone=shop.zone, label=label, secret=keys,
                                     settings=settings)


async def _submit(client: httpx.AsyncClient, shop: Shop, params: dict[str, str], **changes: Any) -> httpx.Response:
    payload = shop.payload(channel="nfc", channel_params=params, **changes)
    return await client.post(_url(shop), json=payload, headers={"user-agent": UA_PHONE})


async def _details(shop: Shop, response_id: str) -> Any:
    with tenant_scope(shop.tenant.id):
        return (await Response.get(id=response_id)).channel_details


async def _count(shop: Shop) -> int:
    with tenant_scope(shop.tenant.id):
        return await Response.all().count()


async def test_a_verified_tap_is_stored_once_and_its_replay_refused(
    client: httpx.AsyncClient, database: Any, caplog: pytest.LogCaptureFixture
) -> None:
    shop = await make_shop()
    tag = await _tag(shop, database)
    caplog.set_level(logging.INFO)
    params = {"tag": tag.id.hex, "e": AN_PICC, "c": AN_MAC}
    first = await _submit(client, shop, params)
    assert first.status_code == 201, first.text
    assert await _details(shop, first.json()["id"]) == {
        "tag": tag.id.hex, "label": "Door", "verified": True, "counter": AN_COUNTER}
    # the same submission again (a phone's resend) is the first result, not a replay
    again = await client.post(_url(shop), content=first.request.content,
                              headers={"user-agent": UA_PHONE, "content-type": "application/json"})
    assert again.status_code == 200 and again.json()["duplicate"] is True
    # the same tap message in another response is a replay; the long parameter names are the same message
    for replay in (params, {"tag": tag.id.hex, "picc_data": AN_PICC, "cmac": AN_MAC}):
        refused = await _submit(client, shop, replay)
        assert refused.status_code == 422 and refused.json()["error"] == "channel_refused", refused.text
    assert await _count(shop) == 1
    # a later tap (counter 62, made with the same keys) passes; an older one (60) does not
    for counter, status in ((62, 201), (60, 422), (62, 422)):
        picc, mac = sun.sun_message(ZERO, ZERO, bytes.fromhex(AN_UID), counter)
        reply = await _submit(client, shop, {"tag": tag.id.hex, "e": picc, "c": mac})
        assert reply.status_code == status, (counter, reply.text)
    with tenant_scope(shop.tenant.id):
        assert (await ChannelDevice.get(id=tag.id)).counter == 62
    logged = caplog.text
    for secret in (AN_PICC, AN_MAC, AN_PICC.lower()):
        assert secret not in logged


async def test_a_tap_whose_first_send_was_not_stored_can_be_sent_again_for_that_response_only(
    client: httpx.AsyncClient, database: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database drops the connection during the first write: the phone is told to send again (503), and its
    resend with the same response id is stored as verified; the same tap in another response is still a replay."""
    shop = await make_shop()
    tag = await _tag(shop, database)
    params = {"tag": tag.id.hex, "e": AN_PICC, "c": AN_MAC}
    real = ingest.store_submission
    faults = [ConnectionResetError("connection reset by the database")]

    async def failing_once(submission: Any) -> Any:
        if faults:
            raise faults.pop()
        return await real(submission)

    monkeypatch.setattr(ingest, "store_submission", failing_once)
    payload = shop.payload(channel="nfc", channel_params=params)
    first = await client.post(_url(shop), json=payload, headers={"user-agent": UA_PHONE})
    assert first.status_code == 503, first.text
    assert await _count(shop) == 0
    again = await client.post(_url(shop), json=payload, headers={"user-agent": UA_PHONE})
    assert again.status_code == 201, again.text
    assert (await _details(shop, payload["id"]))["verified"] is True
    other = await _submit(client, shop, params)
    assert other.status_code == 422 and other.json()["error"] == "channel_refused"
    assert await _count(shop) == 1


async def test_a_forged_or_incomplete_message_is_refused_and_stores_nothing(
    client: httpx.AsyncClient, database: Any
) -> None:
    shop = await make_shop()
    tag = await _tag(shop, database)
    flipped = AN_MAC[:-1] + "7"
    for params in (
        {"tag": tag.id.hex, "e": AN_PICC, "c": flipped},
        {"tag": tag.id.hex, "e": AN_PICC},
        {"tag": tag.id.hex, "c": AN_MAC},
        {"tag": tag.id.hex, "e": "00" * 16, "c": AN_MAC},
    ):
        reply = await _submit(client, shop, params)
        assert reply.status_code == 422 and reply.json()["error"] == "channel_refused", (params, reply.text)
    assert await _count(shop) == 0
    # the forged MAC did not use up the counter: the genuine tap still passes
    assert (await _submit(client, shop, {"tag": tag.id.hex, "e": AN_PICC, "c": AN_MAC})).status_code == 201


async def test_static_tags_and_unknown_tags_still_store_unverified(client: httpx.AsyncClient, database: Any) -> None:
    shop = await make_shop()
    static = await _tag(shop, database, keys=None, label="Shelf")
    sun_tag = await _tag(shop, database, label="Till")
    cases = [
        ({"tag": static.id.hex}, {"tag": static.id.hex, "label": "Shelf", "verified": False}),
        # a static tag's link with a SUN message (someone wrote one by hand): no keys, so unverified, kept
        ({"tag": static.id.hex, "e": AN_PICC, "c": AN_MAC}, {"tag": static.id.hex, "label": "Shelf",
                                                             "verified": False}),
        # a SUN tag's link without its message (typed in): unverified, kept
        ({"tag": sun_tag.id.hex}, {"tag": sun_tag.id.hex, "label": "Till", "verified": False}),
        ({"tag": "door-2"}, {"tag": "door-2", "verified": False}),  # never registered
    ]
    for params, expected in cases:
        reply = await _submit(client, shop, params)
        assert reply.status_code == 201, reply.text
        assert await _details(shop, reply.json()["id"]) == expected
    # a tag of another tenant is not found in this one: unverified, never checked with that tenant's keys
    other = await make_shop()
    foreign = await _tag(other, database, label="Theirs")
    reply = await _submit(client, shop, {"tag": foreign.id.hex, "e": AN_PICC, "c": AN_MAC})
    assert reply.status_code == 201
    assert await _details(shop, reply.json()["id"]) == {"tag": foreign.id.hex, "verified": False}
    with tenant_scope(other.tenant.id):
        assert (await ChannelDevice.get(id=foreign.id)).counter == -1


async def test_the_tag_link_reaches_the_ingest_from_the_page_and_the_plain_form(
    client: httpx.AsyncClient, database: Any
) -> None:
    shop = await make_shop()
    tag = await _tag(shop, database)
    page = await client.get(f"/s/{shop.tenant.slug}/{shop.store.slug}",
                            params={"zone": str(shop.zone.id), "ch": "nfc", "tag": tag.id.hex, "e": AN_PICC,
                                    "c": AN_MAC, "utm_source": "poster"})
    assert page.status_code == 200
    assert f'"channel_params": {{"c": "{AN_MAC}", "e": "{AN_PICC}", "tag": "{tag.id.hex}"}}' in page.text
    assert f'name="cp:e" value="{AN_PICC}"' in page.text and 'cp:utm_source' not in page.text
    body = shop.payload()
    form = {
        "id": body["id"], "survey_version_id": shop.version_id, "zone_id": str(shop.zone.id), "channel": "nfc",
        "language": "da", "order": ",".join(shop.statement_ids), "outcome": "8",
        "cp:tag": tag.id.hex, "cp:e": AN_PICC, "cp:c": AN_MAC,
        **{f"s:{sid}": "4" for sid in shop.statement_ids},
    }
    reply = await client.post(f"/s/{shop.tenant.slug}/{shop.store.slug}/form", data=form,
                              headers={"user-agent": UA_PHONE})
    assert reply.status_code in (200, 201, 303), reply.text
    assert (await _details(shop, body["id"]))["verified"] is True


# --- GraphQL: register, list, retire ----------------------------------------------------------------------------

REGISTER = """mutation($store: ID!, $zone: ID, $label: String!, $keys: SunKeysInput) {
  registerNfcTag(storeId: $store, zoneId: $zone, label: $label, sunKeys: $keys) {
    tag { id storeId zoneId label sun lastCounter retired url ndefRecord piccDataOffset macOffset }
    errors { code field } } }"""
TAGS = "query($store: ID) { nfcTags(storeId: $store) { id label sun url ndefRecord lastCounter } }"
RETIRE = "mutation($id: ID!) { retireNfcTag(id: $id) { tag { id retired } errors { code field } } }"


async def test_register_list_and_retire_nfc_tags(client: httpx.AsyncClient, database: Any) -> None:
    from pejling.graphql.relay_ids import encode_id

    a = await make_tenant(stores=2)
    store, zone = encode_id("Store", a.stores[0].id), encode_id("Zone", a.zones[0].id)
    keys = {"metaReadKey": "00" * 16, "fileReadKey": "AB" * 16}
    made = (await gql(client, REGISTER, {"store": store, "zone": zone, "label": "Till 1", "keys": keys},
                      a.headers))["data"]["registerNfcTag"]
    assert made["errors"] == []
    tag = made["tag"]
    assert tag["sun"] is True and tag["label"] == "Till 1" and tag["zoneId"] == zone and tag["lastCounter"] is None
    url = tag["url"]
    assert url.startswith("http") and f"/s/{a.tenant.slug}/store-0?" in url and "ch=nfc" in url
    assert f"e={'0' * 32}" in url and f"c={'0' * 16}" in url
    record = base64.b64decode(tag["ndefRecord"])
    assert record == ndef.uri_record(url)
    file = ndef.ndef_file(url)
    assert file[tag["piccDataOffset"]:tag["piccDataOffset"] + 32] == b"0" * 32
    assert file[tag["macOffset"]:tag["macOffset"] + 16] == b"0" * 16
    assert file[tag["piccDataOffset"] - 2:tag["piccDataOffset"]] == b"e="
    static = (await gql(client, REGISTER, {"store": store, "label": "Shelf"}, a.headers))["data"]["registerNfcTag"]
    assert static["tag"]["sun"] is False and "e=" not in static["tag"]["url"] and static["tag"]["macOffset"] is None
    listed = (await gql(client, TAGS, {"store": store}, a.headers))["data"]["nfcTags"]
    assert [t["label"] for t in listed] == ["Till 1", "Shelf"]
    assert "AB" * 16 not in str(listed).upper() and "key" not in str(listed).lower()
    other_store = (await gql(client, TAGS, {"store": encode_id("Store", a.stores[1].id)}, a.headers))
    assert other_store["data"]["nfcTags"] == []
    with tenant_scope(a.tenant.id):
        stored = await ChannelDevice.get(id=uuid.UUID(base64.b64decode(tag["id"]).decode().split(":")[1]))
        assert stored.secret and "AB" * 16 not in stored.secret.upper() and "ab" * 16 not in stored.secret
    retired = (await gql(client, RETIRE, {"id": tag["id"]}, a.headers))["data"]["retireNfcTag"]
    assert retired == {"tag": {"id": tag["id"], "retired": True}, "errors": []}
    assert [t["label"] for t in (await gql(client, TAGS, {}, a.headers))["data"]["nfcTags"]] == ["Shelf"]


async def test_nfc_tag_refusals(client: httpx.AsyncClient, database: Any) -> None:
    from pejling.graphql.relay_ids import encode_id

    a, b = await make_tenant(stores=1), await make_tenant(stores=1)
    store = encode_id("Store", a.stores[0].id)
    bad_keys = [{"metaReadKey": "00" * 15, "fileReadKey": "00" * 16},
                {"metaReadKey": "00" * 16, "fileReadKey": "xy" * 16}]
    for keys in bad_keys:
        result = (await gql(client, REGISTER, {"store": store, "label": "T", "keys": keys}, a.headers))
        assert result["data"]["registerNfcTag"] == {"tag": None, "errors": [{"code": "invalid", "field": "sunKeys"}]}
    for label in ("", " ", "x" * 101):
        result = await gql(client, REGISTER, {"store": store, "label": label}, a.headers)
        assert result["data"]["registerNfcTag"]["errors"] == [{"code": "invalid", "field": "label"}]
    # another tenant's store and zone, and ids of the wrong type, are not found
    foreign = await gql(client, REGISTER, {"store": store, "label": "Mine"}, b.headers)
    assert foreign["data"]["registerNfcTag"]["errors"] == [{"code": "not_found", "field": "storeId"}]
    wrong_zone = await gql(client, REGISTER, {"store": encode_id("Store", b.stores[0].id), "label": "T",
                                              "zone": encode_id("Zone", a.zones[0].id)}, b.headers)
    assert wrong_zone["data"]["registerNfcTag"]["errors"] == [{"code": "not_found", "field": "zoneId"}]
    as_zone = await gql(client, REGISTER, {"store": encode_id("Zone", a.zones[0].id), "label": "T"}, a.headers)
    assert as_zone["data"]["registerNfcTag"]["errors"] == [{"code": "not_found", "field": "storeId"}]
    made = (await gql(client, REGISTER, {"store": store, "label": "Mine"}, a.headers))["data"]["registerNfcTag"]
    steal = await gql(client, RETIRE, {"id": made["tag"]["id"]}, b.headers)
    assert steal["data"]["retireNfcTag"]["errors"] == [{"code": "not_found", "field": "id"}]
    assert (await gql(client, TAGS, {}, b.headers))["data"]["nfcTags"] == []
    # analysts may neither register, retire nor list tags; anonymous callers get nothing
    analyst = await member(a.tenant, Role.ANALYST)
    headers = {"Authorization": f"Bearer {await token_for(a.tenant, analyst)}"}
    result = await gql(client, REGISTER, {"store": store, "label": "T"}, headers)
    assert result["data"]["registerNfcTag"]["errors"] == [{"code": "forbidden", "field": None}]
    result = await gql(client, RETIRE, {"id": made["tag"]["id"]}, headers)
    assert result["data"]["retireNfcTag"]["errors"] == [{"code": "forbidden", "field": None}]
    listing = await gql(client, TAGS, {}, headers)
    assert listing["data"] is None and listing["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await gql(client, REGISTER, {"store": store, "label": "T"})
    assert anonymous["data"]["registerNfcTag"]["errors"][0]["code"] == "unauthenticated"

"""Survey codes (``/q/<code>``): made, listed and retired through GraphQL (owners and admins), each scan counted, the
redirect reaching the stored response through the real ingest with its store, zone, channel and code; retired and
unknown codes; foreign ids; the survey page's zone given as a global id, and an unknown zone refused."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from pejling.core.settings import Settings
from pejling.core.surveys import codes as survey_codes
from pejling.core.surveys.codes import ALPHABET, CODE_LENGTH, create_code, normalise_code, scan_code
from pejling.core.surveys.models import Response, SurveyCode
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.models import Role, Zone
from pejling.tenants.scope import tenant_scope
from tests.support.tenancy import member, token_for
from tests.surveys.conftest import Shop, make_shop

CREATE = """mutation($store: ID!, $zone: ID, $campaign: String) {
  createSurveyCode(storeId: $store, zoneId: $zone, campaign: $campaign) {
    surveyCode { id code url storeId zoneId campaign scans retiredAt svgUrl pngUrl posterA4Url posterA5Url }
    errors { code field message }
  }
}"""
RETIRE = """mutation($id: ID!) {
  retireSurveyCode(id: $id) { surveyCode { id code retiredAt scans } errors { code field message } }
}"""
NODE = """query($id: ID!) { node(id: $id) { id ... on SurveyCode { code scans } } }"""
LIST = """query($store: ID, $retired: Boolean! = true) {
  surveyCodes(storeId: $store, includeRetired: $retired) { id code campaign scans retiredAt zoneId }
}"""


async def gql(client: httpx.AsyncClient, token: str, query: str, **variables: Any) -> dict[str, Any]:
    reply = await client.post("/graphql", json={"query": query, "variables": variables},
                              headers={"Authorization": f"Bearer {token}"})
    body: dict[str, Any] = reply.json()
    return body


async def _token(shop: Shop, role: Role = Role.OWNER) -> str:
    return await token_for(shop.tenant, await member(shop.tenant, role))


async def _create(client: httpx.AsyncClient, token: str, shop: Shop, *, zone: bool = True,
                  campaign: str | None = "Window, spring") -> dict[str, Any]:
    body = await gql(client, token, CREATE, store=encode_id("Store", shop.store.id),
                     zone=encode_id("Zone", shop.zone.id) if zone else None, campaign=campaign)
    payload: dict[str, Any] = body["data"]["createSurveyCode"]
    assert payload["errors"] == [], payload
    return dict(payload["surveyCode"])


async def _codes(shop: Shop) -> list[SurveyCode]:
    with tenant_scope(shop.tenant.id):
        return await SurveyCode.all()


def test_codes_are_short_and_unambiguous() -> None:
    drawn = {survey_codes.new_code() for _ in range(2000)}
    assert len(drawn) == 2000
    assert all(len(code) == CODE_LENGTH and set(code) <= set(ALPHABET) for code in drawn)
    assert not set("01OIL") & set(ALPHABET)
    assert normalise_code(" abcd2345 ") == "ABCD2345"
    assert normalise_code("ABCD234O") is None  # an O is never in a code
    assert normalise_code("ABC") is None and normalise_code("ABCD2345X") is None


async def test_a_taken_code_is_drawn_again(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    draws = iter(["TAKEN234", "TAKEN234", "FRESH234"])
    monkeypatch.setattr(survey_codes, "new_code", lambda: next(draws))
    other = await make_shop()
    with tenant_scope(other.tenant.id):
        first = await create_code(other.store)
    with tenant_scope(shop.tenant.id):
        second = await create_code(shop.store)
    assert (first.code, second.code) == ("TAKEN234", "FRESH234")  # unique across tenants


async def test_the_redirect_reaches_the_stored_response_with_store_zone_channel_and_code(
    client: httpx.AsyncClient, shop: Shop, database: Settings
) -> None:
    token = await _token(shop)
    made = await _create(client, token, shop)
    code = made["code"]
    assert made["url"] == f"{database.base_url.rstrip('/')}/q/{code}"
    assert made["zoneId"] == encode_id("Zone", shop.zone.id) and made["campaign"] == "Window, spring"
    assert made["scans"] == 0 and made["retiredAt"] is None

    scan = await client.get(f"/q/{code.lower()}")
    assert scan.status_code == 303, scan.text
    assert scan.headers["cache-control"] == "no-store"
    target = urlsplit(scan.headers["location"])
    assert target.path == f"/s/{shop.tenant.slug}/{shop.store.slug}"
    query = {key: values[0] for key, values in parse_qs(target.query).items()}
    assert query == {"zone": str(shop.zone.id), "ch": "qr", "code": code}

    page = await client.get(scan.headers["location"])
    assert page.status_code == 200
    assert f'name="zone_id" value="{shop.zone.id}"' in page.text
    assert 'name="channel" value="qr"' in page.text

    # What the page sends (its zone and channel, the channel's link parameters) through the real JSON ingest.
    payload = shop.payload(zone_id=str(shop.zone.id), channel="qr", channel_params={"code": query["code"]})
    stored = await client.post(f"/s/{shop.tenant.slug}/{shop.store.slug}/responses", json=payload)
    assert stored.status_code in (200, 201), stored.text
    with tenant_scope(shop.tenant.id):
        response = await Response.get(id=payload["id"])
    assert (response.store_id, response.zone_id, response.channel) == (shop.store.id, shop.zone.id, "qr")
    assert response.channel_details == {"code": code}

    listed = (await gql(client, token, LIST))["data"]["surveyCodes"]
    assert [(c["code"], c["scans"]) for c in listed] == [(code, 1)]


async def test_a_code_of_another_store_is_not_stored_with_the_response(client: httpx.AsyncClient, shop: Shop) -> None:
    with tenant_scope(shop.tenant.id):
        other_store = await create_code(shop.other_store)
    payload = shop.payload(channel="qr", channel_params={"code": other_store.code})
    stored = await client.post(f"/s/{shop.tenant.slug}/{shop.store.slug}/responses", json=payload)
    assert stored.status_code in (200, 201), stored.text
    with tenant_scope(shop.tenant.id):
        response = await Response.get(id=payload["id"])
    assert response.channel == "qr" and response.channel_details is None  # answers kept, the foreign code not


async def test_a_store_code_without_zone_redirects_without_one(client: httpx.AsyncClient, shop: Shop) -> None:
    made = await _create(client, await _token(shop), shop, zone=False, campaign=None)
    scan = await client.get(f"/q/{made['code']}")
    assert scan.status_code == 303
    assert "zone=" not in scan.headers["location"] and made["zoneId"] is None and made["campaign"] == ""


async def test_a_retired_code_shows_a_friendly_page_and_is_still_counted(client: httpx.AsyncClient, shop: Shop) -> None:
    token = await _token(shop)
    made = await _create(client, token, shop)
    retired = (await gql(client, token, RETIRE, id=made["id"]))["data"]["retireSurveyCode"]
    assert retired["errors"] == [] and retired["surveyCode"]["retiredAt"] is not None
    again = (await gql(client, token, RETIRE, id=made["id"]))["data"]["retireSurveyCode"]
    assert again["surveyCode"]["retiredAt"] == retired["surveyCode"]["retiredAt"]  # the first time is kept

    swedish = await client.get(f"/q/{made['code']}", headers={"accept-language": "sv-SE,sv;q=0.9"})
    assert swedish.status_code == 410
    assert '<html lang="sv"' in swedish.text and "Den här koden används inte längre" in swedish.text
    store_language = await client.get(f"/q/{made['code']}")  # no preference: the store's language (da)
    assert '<html lang="da"' in store_language.text and "ikke længere i brug" in store_language.text
    assert "location" not in store_language.headers

    codes = await _codes(shop)
    assert [c.scans for c in codes] == [2]
    active = (await gql(client, token, LIST, retired=False))["data"]["surveyCodes"]
    assert active == []


async def test_an_unknown_code_is_a_not_found_page_and_counts_nothing(client: httpx.AsyncClient, shop: Shop) -> None:
    with tenant_scope(shop.tenant.id):
        code = await create_code(shop.store)
    for path in ("/q/ZZZZZZZZ", "/q/abc", "/q/" + "A" * 300, "/q/%00%00"):
        reply = await client.get(path, headers={"accept-language": "nb"})
        assert reply.status_code == 404, path
        assert reply.headers["content-type"].startswith("text/html")
        assert '<html lang="nb"' in reply.text
    assert await scan_code("ZZZZZZZZ") is None
    with tenant_scope(shop.tenant.id):
        assert (await SurveyCode.get(id=code.id)).scans == 0


async def test_bad_input_is_a_typed_error_and_changes_nothing(client: httpx.AsyncClient, shop: Shop) -> None:
    token = await _token(shop)
    store = encode_id("Store", shop.store.id)
    cases = [
        ({"store": store, "campaign": "x" * 81}, ("invalid", "campaign")),
        ({"store": store, "campaign": "bell\u0007"}, ("invalid", "campaign")),
        ({"store": "not-an-id"}, ("not_found", "storeId")),
        ({"store": str(shop.store.id)}, ("not_found", "storeId")),  # a raw UUID is not a global id
        ({"store": encode_id("Zone", shop.zone.id)}, ("not_found", "storeId")),
        ({"store": store, "zone": encode_id("Zone", shop.store.id)}, ("not_found", "zoneId")),
    ]
    with tenant_scope(shop.tenant.id):
        other_zone = await Zone.create(store=shop.other_store, name="Door", kind="entrance")
    cases.append(({"store": store, "zone": encode_id("Zone", other_zone.id)}, ("not_found", "zoneId")))
    for variables, (code, field) in cases:
        payload = (await gql(client, token, CREATE, **variables))["data"]["createSurveyCode"]
        assert payload["surveyCode"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)], variables
    retire = (await gql(client, token, RETIRE, id="nonsense"))["data"]["retireSurveyCode"]
    assert [e["code"] for e in retire["errors"]] == ["not_found"]
    assert await _codes(shop) == []


async def test_foreign_ids_are_not_found(client: httpx.AsyncClient, shop: Shop) -> None:
    other = await make_shop()
    mine = await _create(client, await _token(shop), shop)
    theirs = await _token(other)
    made = (await gql(client, theirs, CREATE, store=encode_id("Store", shop.store.id)))["data"]["createSurveyCode"]
    assert [e["code"] for e in made["errors"]] == ["not_found"]
    made = (await gql(client, theirs, CREATE, store=encode_id("Store", other.store.id),
                      zone=encode_id("Zone", shop.zone.id)))["data"]["createSurveyCode"]
    assert [(e["code"], e["field"]) for e in made["errors"]] == [("not_found", "zoneId")]
    retired = (await gql(client, theirs, RETIRE, id=mine["id"]))["data"]["retireSurveyCode"]
    assert [e["code"] for e in retired["errors"]] == ["not_found"]
    assert (await gql(client, theirs, LIST))["data"]["surveyCodes"] == []
    assert (await gql(client, theirs, NODE, id=mine["id"]))["data"]["node"] is None
    owner_view = (await gql(client, await _token(shop), NODE, id=mine["id"]))["data"]["node"]
    assert owner_view == {"id": mine["id"], "code": mine["code"], "scans": 0}
    assert (await gql(client, theirs, LIST, store=encode_id("Store", shop.store.id)))["data"]["surveyCodes"] == []
    for url in (mine["svgUrl"], mine["posterA4Url"]):
        reply = await client.get(urlsplit(url).path, headers={"Authorization": f"Bearer {theirs}"})
        assert reply.status_code == 404
    assert [c.retired_at for c in await _codes(shop)] == [None]
    assert await _codes(other) == []


async def test_analysts_may_not_manage_codes_but_members_download(client: httpx.AsyncClient, shop: Shop) -> None:
    mine = await _create(client, await _token(shop), shop)
    analyst = await _token(shop, Role.ANALYST)
    made = (await gql(client, analyst, CREATE, store=encode_id("Store", shop.store.id)))["data"]["createSurveyCode"]
    assert [e["code"] for e in made["errors"]] == ["forbidden"] and made["surveyCode"] is None
    retired = (await gql(client, analyst, RETIRE, id=mine["id"]))["data"]["retireSurveyCode"]
    assert [e["code"] for e in retired["errors"]] == ["forbidden"]
    listed = await gql(client, analyst, LIST)
    assert listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await gql(client, analyst, NODE, id=mine["id"]))["data"]["node"] is None
    assert [(c.retired_at, c.code) for c in await _codes(shop)] == [(None, mine["code"])]

    path = urlsplit(mine["svgUrl"]).path
    assert (await client.get(path)).status_code == 401  # anonymous
    svg = await client.get(path, headers={"Authorization": f"Bearer {analyst}"})
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert re.search(rb"<svg[^>]*xmlns", svg.content)
    with tenant_scope(shop.tenant.id):
        manager = await member(shop.tenant, Role.STORE_MANAGER, [str(shop.other_store.id)])
    elsewhere = await token_for(shop.tenant, manager)
    assert (await client.get(path, headers={"Authorization": f"Bearer {elsewhere}"})).status_code == 404
    bogus = path.rsplit("/", 1)[0] + "/qr.gif"
    assert (await client.get(bogus, headers={"Authorization": f"Bearer {analyst}"})).status_code == 404


async def test_the_survey_page_takes_a_zone_global_id_and_refuses_an_unknown_zone(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    url = f"/s/{shop.tenant.slug}/{shop.store.slug}"
    by_global_id = await client.get(url, params={"zone": encode_id("Zone", shop.zone.id)})
    assert by_global_id.status_code == 200
    assert f'name="zone_id" value="{shop.zone.id}"' in by_global_id.text
    by_uuid = await client.get(url, params={"zone": str(shop.zone.id)})
    assert f'name="zone_id" value="{shop.zone.id}"' in by_uuid.text
    with tenant_scope(shop.tenant.id):
        other_zone = await Zone.create(store=shop.other_store, name="Door", kind="entrance")
    for zone in (str(other_zone.id), encode_id("Zone", other_zone.id), encode_id("Store", shop.zone.id),
                 "00000000-0000-0000-0000-000000000000", "checkout", "%%%"):
        reply = await client.get(url, params={"zone": zone})
        assert reply.status_code == 404, zone  # never the store's survey with the zone silently dropped
        assert 'name="zone_id"' not in reply.text
    assert (await client.get(url, params={"zone": ""})).status_code == 200  # no zone: the store's survey


async def test_a_scan_through_the_survey_page_stores_the_code(client: httpx.AsyncClient, shop: Shop) -> None:
    """The whole shopper path without JavaScript: scan, the page it leads to, its own form, the stored response."""
    made = await _create(client, await _token(shop), shop)
    scan = await client.get(f"/q/{made['code']}")
    page = await client.get(scan.headers["location"])
    found = re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page.text)
    form = {name: html.unescape(value) for name, value in found}
    assert form["cp:code"] == made["code"] and form["zone_id"] == str(shop.zone.id) and form["channel"] == "qr"
    for index, statement_id in enumerate(form["order"].split(",")):
        form[f"s:{statement_id}"] = str(1 + index % 5)
    thanks = await client.post(f"/s/{shop.tenant.slug}/{shop.store.slug}/form", data={**form, "outcome": "9"})
    assert thanks.status_code == 200 and 'id="receipt-code"' in thanks.text, thanks.text[:300]
    with tenant_scope(shop.tenant.id):
        response = await Response.get(id=form["id"])
    assert (response.store_id, response.zone_id, response.channel) == (shop.store.id, shop.zone.id, "qr")
    assert response.channel_details == {"code": made["code"]}

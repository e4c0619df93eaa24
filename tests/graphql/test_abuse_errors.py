"""Bad input gets a deliberate answer, never a masked "Unexpected error." with a logged traceback (issue 8, hole 3).

``node(id:)`` with a raw UUID or a global id of a type that is not a Node, cursors taken from another
connection, page sizes out of range, and ``setTenantLogo`` without ``dataUrl`` all used to raise inside
strawberry or the resolver. Each case also checks that nothing was logged at ERROR level.
"""

from __future__ import annotations

import base64
import io
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from PIL import Image

from pejling.graphql.followups.pages import encode_cursor
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.models import Tenant
from tests.support.tenancy import TenantFixture, gql, make_tenant

NODE = "query($id: ID!) { node(id: $id) { id ... on Store { name } } }"
STORES = """query($after: String, $first: Int) {
  stores(first: $first, after: $after) { edges { cursor node { name } } } }"""
FOLLOW_UPS = "query($after: String) { followUps(after: $after) { edges { cursor } } }"
RESPONSES = "query($after: String) { responses(after: $after) { edges { cursor } } }"


def _png() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (31, 95, 139)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


PNG = _png()


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.fixture
def no_errors_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.WARNING)
    yield
    logged = [f"{r.name}: {r.getMessage()[:200]}" for r in caplog.records if r.levelno >= logging.ERROR]
    assert not logged, logged


@pytest.fixture
async def shop() -> TenantFixture:
    return await make_tenant(stores=3)


def invalid(body: dict[str, Any], field: str) -> None:
    """The answer is one deliberate INVALID error on ``field``, not a masked one."""
    errors = body.get("errors") or []
    assert len(errors) == 1, body
    assert errors[0]["extensions"] == {"code": "INVALID", "field": field}, errors
    assert errors[0]["message"] != "Unexpected error."


@pytest.mark.parametrize("value", [
    str(uuid.uuid4()),  # a raw UUID: not base64 of "Type:id"
    b64("UserError:1"),  # a real type, not a Node
    b64("Query:1"),
    b64("NoSuchType:1"),
    b64("Store"),  # no separator
    "!!!",
    "",
])
async def test_node_of_an_id_that_names_nothing_is_null(client: httpx.AsyncClient, shop: TenantFixture,
                                                         no_errors_logged: None, value: str) -> None:
    body = await gql(client, NODE, {"id": value}, shop.headers)
    assert body["data"] == {"node": None} and body["_status"] == 200 and "errors" not in body


async def test_node_still_finds_your_objects(client: httpx.AsyncClient, shop: TenantFixture,
                                             no_errors_logged: None) -> None:
    store = shop.stores[0]
    body = await gql(client, NODE, {"id": encode_id("Store", store.id)}, shop.headers)
    assert body["data"]["node"] == {"id": encode_id("Store", store.id), "name": store.name}
    other = await make_tenant(stores=1)
    foreign = await gql(client, NODE, {"id": encode_id("Store", other.stores[0].id)}, shop.headers)
    assert foreign["data"]["node"] is None


async def test_node_without_a_tenant_is_null(client: httpx.AsyncClient, shop: TenantFixture,
                                             no_errors_logged: None) -> None:
    for value in (encode_id("Store", shop.stores[0].id), encode_id("AlertRule", uuid.uuid4()), str(uuid.uuid4())):
        body = await gql(client, NODE, {"id": value})  # anonymous: no tenant scope to look anything up in
        assert body["data"] == {"node": None} and body["_status"] == 200 and "errors" not in body


async def test_list_cursors_page_and_foreign_cursors_are_invalid(client: httpx.AsyncClient, shop: TenantFixture,
                                                                 no_errors_logged: None) -> None:
    first = await gql(client, STORES, {"first": 1}, shop.headers)
    edges = first["data"]["stores"]["edges"]
    assert [e["node"]["name"] for e in edges] == ["Store 0"]
    second = await gql(client, STORES, {"first": 2, "after": edges[0]["cursor"]}, shop.headers)
    assert [e["node"]["name"] for e in second["data"]["stores"]["edges"]] == ["Store 1", "Store 2"]

    keyset = encode_cursor("FollowUp.created_at", datetime.now(UTC), uuid.uuid4())
    for cursor in (keyset, b64("arrayconnection:x"), b64("arrayconnection:-5"), b64("other:1"), "not base64!",
                   b64("arrayconnection:1") + "A" * 300):
        invalid(await gql(client, STORES, {"after": cursor}, shop.headers), "after")
    invalid(await gql(client, "{ stores(before: \"nope\") { edges { cursor } } }", headers=shop.headers), "before")
    for size in (101, -1):
        invalid(await gql(client, STORES, {"first": size}, shop.headers), "first")
    invalid(await gql(client, "{ members(last: 1000) { edges { cursor } } }", headers=shop.headers), "last")
    invalid(await gql(client, "query($a: String) { apiTokens(after: $a) { edges { cursor } } }", {"a": keyset},
                      shop.headers), "after")


async def test_keyset_cursors_of_another_list_are_invalid(client: httpx.AsyncClient, shop: TenantFixture,
                                                          no_errors_logged: None) -> None:
    stores = await gql(client, STORES, {"first": 1}, shop.headers)
    list_cursor = stores["data"]["stores"]["edges"][0]["cursor"]
    response_cursor = encode_cursor("Response.submitted_at", datetime.now(UTC), uuid.uuid4())
    follow_up_cursor = encode_cursor("FollowUp.created_at", datetime.now(UTC), uuid.uuid4())
    year_one = encode_cursor("FollowUp.created_at", datetime.fromisoformat("0001-01-01T00:00:00+01:00"), uuid.uuid4())
    old_format = base64.urlsafe_b64encode(f"{datetime.now(UTC).isoformat()}|{uuid.uuid4()}".encode()).decode()
    for cursor in (list_cursor, response_cursor, year_one, old_format, "%%%", "A" * 1000):
        invalid(await gql(client, FOLLOW_UPS, {"after": cursor}, shop.headers), "after")
    invalid(await gql(client, RESPONSES, {"after": follow_up_cursor}, shop.headers), "after")
    # A cursor of the list itself is fine (empty pages here: the tenant has no follow-ups or responses).
    assert (await gql(client, FOLLOW_UPS, {"after": follow_up_cursor}, shop.headers))["data"]["followUps"] == {
        "edges": []}
    assert (await gql(client, RESPONSES, {"after": response_cursor}, shop.headers))["data"]["responses"] == {
        "edges": []}


async def test_set_tenant_logo_without_data_url_removes_the_logo(client: httpx.AsyncClient, shop: TenantFixture,
                                                                no_errors_logged: None) -> None:
    selection = "{ tenant { logoUrl } errors { code field message } }"
    body = await gql(client, f"mutation($d: String) {{ setTenantLogo(dataUrl: $d) {selection} }}", {"d": PNG},
                     shop.headers)
    assert body["data"]["setTenantLogo"]["errors"] == [] and body["data"]["setTenantLogo"]["tenant"]["logoUrl"]
    removed = await gql(client, f"mutation {{ setTenantLogo {selection} }}", headers=shop.headers)
    assert removed["data"]["setTenantLogo"] == {"tenant": {"logoUrl": None}, "errors": []}, removed
    tenant = await Tenant.get(id=shop.tenant.id)
    assert tenant.logo is None and tenant.logo_type is None


async def test_the_schema_says_data_url_may_be_left_out(client: httpx.AsyncClient) -> None:
    from pejling.graphql.schema import build_schema

    sdl = build_schema().as_str()
    assert "setTenantLogo(dataUrl: String = null): TenantPayload!" in sdl


@pytest.mark.parametrize(("document", "variables"), [
    ("query($id: ID!) { store(id: $id) { name } }", {"id": {"not": "an id"}}),
    ("query($id: ID!) { store(id: $id) { name } }", {}),
    ("mutation($i: StoreInput!) { createStore(input: $i) { errors { code } } }", {"i": {"name": 5, "bogus": 1}}),
    ("query($n: Int) { stores(first: $n) { edges { cursor } } }", {"n": 2**40}),
])
async def test_variables_that_do_not_fit_their_types_are_answered_not_masked(
    client: httpx.AsyncClient, shop: TenantFixture, no_errors_logged: None, document: str, variables: dict[str, Any]
) -> None:
    """The caller's mistake is the caller's to read: graphql-core's own message, never "Unexpected error."."""
    response = await client.post("/graphql", json={"query": document, "variables": variables}, headers=shop.headers)
    body = response.json()
    assert response.status_code < 500 and body["data"] is None, body
    messages = [e["message"] for e in body["errors"]]
    assert messages and "Unexpected error." not in messages, messages
    assert all("$" in message for message in messages), messages  # each names the variable at fault

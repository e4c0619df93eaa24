"""Stores, zones and members through GraphQL: roles, validation, typed errors."""

from __future__ import annotations

import httpx

from pejling.graphql.relay_ids import encode_id
from pejling.tenants.models import Role, Store
from pejling.tenants.scope import tenant_scope
from tests.support.tenancy import gql, make_tenant, member, token_for

CREATE_STORE = """mutation($input: StoreInput!) { createStore(input: $input) {
  store { id name slug timezone defaultLanguage zones { name } } errors { code field message } } }"""


async def test_owner_creates_lists_and_updates_stores_and_zones(client: httpx.AsyncClient) -> None:
    shop = await make_tenant(stores=0)
    created = await gql(client, CREATE_STORE, {"input": {"name": "Bergen", "slug": "bergen", "timezone": "Europe/Oslo",
                                                         "defaultLanguage": "nb"}}, shop.headers)
    store = created["data"]["createStore"]["store"]
    assert created["data"]["createStore"]["errors"] == [] and store["name"] == "Bergen"
    zone = await gql(client, """mutation($s: ID!) { createZone(input: {storeId: $s, name: "Kasse", kind: "checkout"})
        { zone { id name kind store { name } } errors { code } } }""", {"s": store["id"]}, shop.headers)
    assert zone["data"]["createZone"]["zone"]["store"]["name"] == "Bergen"
    listed = await gql(client, "{ stores { edges { node { name zones { name } } } } }", headers=shop.headers)
    assert listed["data"]["stores"]["edges"] == [{"node": {"name": "Bergen", "zones": [{"name": "Kasse"}]}}]
    renamed = await gql(client, """mutation($id: ID!) { updateStore(input: {id: $id, name: "Bergen sentrum"})
        { store { name slug } errors { code } } }""", {"id": store["id"]}, shop.headers)
    assert renamed["data"]["updateStore"]["store"] == {"name": "Bergen sentrum", "slug": "bergen"}


async def test_invalid_store_input_gets_typed_errors_and_changes_nothing(client: httpx.AsyncClient) -> None:
    shop = await make_tenant(stores=1)
    bad = await gql(client, CREATE_STORE, {"input": {"name": "", "slug": "Not A Slug", "timezone": "Mars/Olympus",
                                                     "defaultLanguage": "fr"}}, shop.headers)
    payload = bad["data"]["createStore"]
    assert payload["store"] is None
    assert {e["field"] for e in payload["errors"]} == {"name", "slug", "timezone", "defaultLanguage"}
    taken = await gql(client, CREATE_STORE, {"input": {"name": "Again", "slug": "store-0"}}, shop.headers)
    assert taken["data"]["createStore"]["errors"][0]["code"] == "conflict"
    with tenant_scope(shop.tenant.id):
        assert await Store.all().count() == 1


async def test_analyst_reads_but_cannot_change_and_read_token_cannot_write(client: httpx.AsyncClient) -> None:
    shop = await make_tenant(stores=1)
    analyst = await member(shop.tenant, Role.ANALYST)
    headers = {"Authorization": f"Bearer {await token_for(shop.tenant, analyst)}"}
    listed = await gql(client, "{ stores { edges { node { id } } } }", headers=headers)
    assert len(listed["data"]["stores"]["edges"]) == 1
    refused = await gql(client, CREATE_STORE, {"input": {"name": "X", "slug": "x"}}, headers)
    assert refused["data"]["createStore"]["errors"][0]["code"] == "forbidden"
    read_only = {"Authorization": f"Bearer {await token_for(shop.tenant, shop.owner, ('read',))}"}
    refused = await gql(client, CREATE_STORE, {"input": {"name": "X", "slug": "x"}}, read_only)
    assert refused["data"]["createStore"]["errors"][0]["code"] == "forbidden"
    members = await gql(client, "{ members { edges { node { email } } } }", headers=headers)
    assert members["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_store_manager_sees_only_their_stores(client: httpx.AsyncClient) -> None:
    shop = await make_tenant(stores=2)
    manager = await member(shop.tenant, Role.STORE_MANAGER, [str(shop.stores[1].id)])
    headers = {"Authorization": f"Bearer {await token_for(shop.tenant, manager)}"}
    listed = await gql(client, "{ stores { edges { node { name } } } }", headers=headers)
    assert [e["node"]["name"] for e in listed["data"]["stores"]["edges"]] == ["Store 1"]
    hidden = await gql(client, "query($id: ID!) { store(id: $id) { name } node(id: $id) { id } }",
                       {"id": encode_id("Store", shop.stores[0].id)}, headers)
    assert hidden["data"] == {"store": None, "node": None}


async def test_members_roles_and_the_last_owner(client: httpx.AsyncClient) -> None:
    shop = await make_tenant(stores=1)
    # People join by accepting an invitation (tests/graphql/test_members_invitations.py); here one already has.
    manager = await member(shop.tenant, Role.STORE_MANAGER, [str(shop.stores[0].id)])
    listed = await gql(client, "{ members { edges { node { id email role stores { name } } } } }",
                       headers=shop.headers)
    new = next(e["node"] for e in listed["data"]["members"]["edges"] if e["node"]["email"] == manager.email)
    assert new["role"] == "STORE_MANAGER" and new["stores"] == [{"name": "Store 0"}]
    no_stores = await gql(client, """mutation($id: ID!) { updateMember(id: $id, role: STORE_MANAGER)
        { errors { code field } } }""", {"id": new["id"]}, shop.headers)
    assert no_stores["data"]["updateMember"]["errors"] == [{"code": "invalid", "field": "storeIds"}]
    members = await gql(client, "{ members { edges { node { id role } } } }", headers=shop.headers)
    owner_id = next(e["node"]["id"] for e in members["data"]["members"]["edges"] if e["node"]["role"] == "OWNER")
    demote = await gql(client, "mutation($id: ID!) { updateMember(id: $id, role: ADMIN) { errors { code } } }",
                       {"id": owner_id}, shop.headers)
    assert demote["data"]["updateMember"]["errors"][0]["code"] == "conflict"
    remove = await gql(client, "mutation($id: ID!) { removeMember(id: $id) { errors { code } } }",
                       {"id": owner_id}, shop.headers)
    assert remove["data"]["removeMember"]["errors"][0]["code"] == "conflict"
    removed = await gql(client, "mutation($id: ID!) { removeMember(id: $id) { deletedId errors { code } } }",
                        {"id": new["id"]}, shop.headers)
    assert removed["data"]["removeMember"] == {"deletedId": new["id"], "errors": []}

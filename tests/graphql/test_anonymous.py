from __future__ import annotations

import httpx

from pejling.graphql.relay_ids import encode_id
from tests.support.tenancy import make_tenant


async def test_anonymous_tenant_query_is_401_with_typed_error(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ tenant { name } }"})
    assert response.status_code == 401
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_tenant_header_gives_an_anonymous_caller_nothing(client: httpx.AsyncClient) -> None:
    """A tenant scope is not an authorisation: without a login or token the header is not even looked up."""
    a = await make_tenant()
    store = encode_id("Store", a.stores[0].id)
    for slug in (a.tenant.slug, "no-such-tenant", "x" * 200):
        response = await client.post("/graphql", json={"query": "{ tenant { name } }"},
                                     headers={"X-Pejling-Tenant": slug})
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        node = await client.post("/graphql", json={"query": "query($id: ID!) { node(id: $id) { id } }",
                                                   "variables": {"id": store}}, headers={"X-Pejling-Tenant": slug})
        assert node.status_code < 500 and node.json()["data"]["node"] is None, node.text
        assert a.stores[0].name not in node.text


async def test_unknown_or_malformed_tenant_header_is_404_for_members(client: httpx.AsyncClient) -> None:
    a = await make_tenant()
    for slug in ("no-such-tenant", "x" * 64, "x" * 5000, "Bad Slug!", "ø".encode()):
        response = await client.post("/graphql", json={"query": "{ tenant { name } }"},
                                     headers={**a.headers, "X-Pejling-Tenant": slug})
        assert response.status_code == 404, slug
        assert response.json()["error"] == "tenant_not_found"
    fine = await client.post("/graphql", json={"query": "{ tenant { slug } }"},
                             headers={**a.headers, "X-Pejling-Tenant": f" {a.tenant.slug} "})
    assert fine.json()["data"]["tenant"]["slug"] == a.tenant.slug


async def test_security_limits_refuse_deep_and_aliased_queries(client: httpx.AsyncClient) -> None:
    aliases = " ".join(f"a{i}: __typename" for i in range(16))
    response = await client.post("/graphql", json={"query": f"{{ {aliases} }}"})
    assert "aliases" in response.json()["errors"][0]["message"]
    deep = "{ stores { edges { node " + "{ zones { store " * 5 + "{ id }" + " } }" * 5 + " } } }"
    response = await client.post("/graphql", json={"query": deep})
    assert "exceeds maximum operation depth" in response.json()["errors"][0]["message"]


async def test_anonymous_introspection_is_refused_outside_dev(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ __schema { types { name } } }"})
    assert response.json().get("data") is None
    assert "introspection" in response.json()["errors"][0]["message"].lower()


async def test_graphiql_is_served_to_browsers(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()

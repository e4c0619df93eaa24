from __future__ import annotations

import httpx


async def test_anonymous_tenant_query_is_401_with_typed_error(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ tenant { name } }"})
    assert response.status_code == 401
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_unknown_tenant_header_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ tenant { name } }"},
                                 headers={"X-Pejling-Tenant": "no-such-tenant"})
    assert response.status_code == 404
    assert response.json()["error"] == "tenant_not_found"


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

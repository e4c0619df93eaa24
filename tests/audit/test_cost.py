"""Recording costs one statement per recorded operation, and nothing for an operation that is not recorded."""

from __future__ import annotations

from typing import Any

import httpx

from pejling.graphql.relay_ids import encode_id
from tests.audit.entries import entries_of, shopper_response
from tests.support.query_count import QueryLog, counting_queries
from tests.support.tenancy import PASSWORD, TenantFixture, make_tenant


async def run(client: httpx.AsyncClient, a: TenantFixture | None, query: str, **variables: Any) -> QueryLog:
    async with counting_queries() as sql:
        reply = await client.post("/graphql", json={"query": query, "variables": variables},
                                  headers=a.headers if a else None)
    assert reply.status_code == 200 and "errors" not in reply.json(), reply.json()
    return sql


async def test_a_read_of_shopper_data_costs_one_insert_more_than_the_same_read_without_it(
        client: httpx.AsyncClient) -> None:
    a = await make_tenant()
    await shopper_response(a)
    unread = "{ responses(first: 5) { pageInfo { hasNextPage } } }"
    read = "{ responses(first: 5) { edges { node { comment contactEmail } } } }"  # no loader beyond the page
    await run(client, a, read)  # warm up: the tenant's first request makes its survey, the token's last use…
    await run(client, a, unread)
    without = await run(client, a, unread)
    with_entry = await run(client, a, read)
    assert without.matching("audit_entry") == []
    assert len(with_entry.matching("audit_entry")) == 1 and with_entry.matching("audit_entry")[0].startswith("INSERT")
    assert len(with_entry) == len(without) + 1, (without.statements, with_entry.statements)


async def test_a_mutation_costs_one_insert_and_reads_nothing_of_the_log(client: httpx.AsyncClient) -> None:
    a = await make_tenant()
    mutation = "mutation($input: StoreChanges!) { updateStore(input: $input) { store { name } } }"
    store = encode_id("Store", a.stores[0].id)
    await run(client, a, mutation, input={"id": store, "name": "Warm"})
    sql = await run(client, a, mutation, input={"id": store, "name": "Counted"})
    audit = sql.matching("audit_entry")
    assert len(audit) == 1 and audit[0].startswith("INSERT"), sql.statements
    assert len(await entries_of(a.tenant)) == 2


async def test_a_login_outside_a_tenant_costs_one_select_of_memberships_and_one_insert(
        client: httpx.AsyncClient) -> None:
    a = await make_tenant()
    login = "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { " \
            "errors { code } } }"
    sql = await run(client, None, login, email=a.owner.email, password=PASSWORD)
    client.cookies.clear()
    assert len(sql.matching("audit_entry")) == 1
    assert len(await entries_of(a.tenant)) == 1

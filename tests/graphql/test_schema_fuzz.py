"""The GraphQL endpoint fuzzed from its own schema (hypothesis-graphql): valid documents with arbitrary arguments.

Whatever the document, the server answers without a 5xx and without a masked unexpected error, for a member
of a tenant and for an anonymous caller. Seeded and bounded (``derandomize``), so a run is repeatable and
takes seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, queries

from graphql import StringValueNode
from pejling.graphql.schema import build_schema
from tests.graphql.caller_walk import UNEXPECTED, fresh_client
from tests.support.tenancy import TenantFixture, make_tenant

SCHEMA = build_schema()._schema
EXAMPLES = 60
FUZZ = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])


def _string(value: str) -> StringValueNode:
    return StringValueNode(value=value)


SCALARS = {
    "DateTime": st.datetimes(timezones=st.just(UTC), min_value=datetime(1970, 1, 2)).map(
        lambda d: _string(d.isoformat())) | st.text(max_size=30).map(_string),
    "Date": st.dates().map(lambda d: _string(d.isoformat())) | st.text(max_size=12).map(_string),
    "JSON": st.text(max_size=20).map(_string),
}


@pytest.fixture
async def member_tenant() -> TenantFixture:
    return await make_tenant(stores=1)


async def _check(client: httpx.AsyncClient, document: str, headers: dict[str, str]) -> None:
    response = await client.post("/graphql", json={"query": document}, headers=headers)
    assert response.status_code < 500, (document, response.text)
    assert UNEXPECTED not in response.text, (document, response.text)


async def test_queries_from_the_schema_never_fail_unexpectedly(app: Any, member_tenant: TenantFixture) -> None:
    documents = _examples(queries(SCHEMA, custom_scalars=SCALARS))
    async with fresh_client(app) as client:
        for document in documents:
            await _check(client, document, member_tenant.headers)
            await _check(client, document, {})


async def test_mutations_from_the_schema_never_fail_unexpectedly(app: Any, member_tenant: TenantFixture) -> None:
    documents = _examples(mutations(SCHEMA, custom_scalars=SCALARS))
    async with fresh_client(app) as client:
        for document in documents:
            await _check(client, document, member_tenant.headers)
            await _check(client, document, {})


def _examples(strategy: st.SearchStrategy[Any]) -> list[str]:
    """Draw the documents up front (hypothesis drives a synchronous test; the requests need the event loop)."""
    drawn: list[str] = []

    @FUZZ
    @given(strategy)
    def draw(document: Any) -> None:
        drawn.append(str(document))

    draw()
    assert len(drawn) >= EXAMPLES // 2
    return drawn

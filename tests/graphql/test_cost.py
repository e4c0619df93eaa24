"""The cost of an operation (object field 2, scalar 1, times its depth): reported in every answer, refused over
the limit (graphql/limits.py)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from graphql import parse
from pejling.graphql.limits import MAX_COST, measure
from tests.support.tenancy import make_tenant


@pytest.mark.parametrize(("document", "cost"), [
    ("{ a }", 1),
    ("{ a { b c } }", 2 + 2 * 2),
    ("{ a { b { c } } }", 2 + 2 * 2 + 1 * 3),
    ("query { ...F } fragment F on Query { a { b } }", 2 + 1 * 2),
    ("{ x: a { ...G } y: a { ...G } } fragment G on T { b c { d } }", 2 * (2 + 1 * 2 + 2 * 2 + 1 * 3)),
    ("{ a { ... on T { b } } }", 2 + 1 * 2),
    ("{ __typename __schema { types { name } } }", 0),
])
def test_the_cost_of_a_document(document: str, cost: int) -> None:
    assert measure(parse(document)).cost == cost


async def _post(client: httpx.AsyncClient, headers: dict[str, str], query: str, **extra: Any) -> dict[str, Any]:
    answer = await client.post("/graphql", json={"query": query, **extra}, headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_every_answer_reports_what_its_operation_cost(client: httpx.AsyncClient) -> None:
    shop = await make_tenant(stores=1)
    body = await _post(client, shop.headers, "{ stores { edges { node { id name zones { name } } } } }")
    assert "errors" not in body, body
    # stores 2, edges 2×2, node 2×3, id and name 1×4 each, zones 2×4, name 1×5
    assert body["extensions"]["cost"] == {"requested": 2 + 4 + 6 + 4 + 4 + 8 + 5, "maximum": MAX_COST}
    # Of several operations in one document, the one run is reported.
    two = "query Cheap { __typename } query Dear { stores { edges { node { name } } } }"
    cheap = await _post(client, shop.headers, two, operationName="Cheap")
    dear = await _post(client, shop.headers, two, operationName="Dear")
    assert cheap["extensions"]["cost"]["requested"] == 0
    assert dear["extensions"]["cost"]["requested"] == 2 + 4 + 6 + 4


async def test_an_operation_over_the_limit_is_refused_before_it_runs(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pejling.graphql import limits

    monkeypatch.setattr(limits, "MAX_COST", 20)
    shop = await make_tenant(stores=1)
    # (a text of its own: validation results are cached per document text)
    body = await _post(client, shop.headers, "{ stores { edges { node { id name zones { name } } } } } # over")
    assert "data" not in body or body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX" and error["extensions"]["limit"] == "cost"
    assert "costs 33, more than 20" in error["message"]
    cheap = await _post(client, shop.headers, "{ stores { edges { node { name } } } }")
    assert "errors" not in cheap and cheap["extensions"]["cost"] == {"requested": 16, "maximum": 20}

"""The responses connection: filters combine, pages never skip or repeat rows (equal timestamps too)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from pejling.graphql.relay_ids import encode_id

from .conftest import Chain, gql
from .helpers import stored_response

RESPONSES = """query($filter: ResponseFilterInput, $first: Int, $after: String) {
  responses(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id outcome comment channel qualityFlags store { slug } zone { name }
                          answers { statementId value } } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}"""


async def all_pages(api: httpx.AsyncClient, person: Any, first: int, filter: dict[str, Any] | None = None
                    ) -> list[str]:
    ids: list[str] = []
    after = None
    for _ in range(100):
        body = await gql(api, person, RESPONSES, filter=filter, first=first, after=after)
        assert "errors" not in body, body
        page = body["data"]["responses"]
        ids += [edge["node"]["id"] for edge in page["edges"]]
        assert len(page["edges"]) <= first
        if not page["pageInfo"]["hasNextPage"]:
            return ids
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("paging did not end")


async def test_pages_cover_every_response_once_even_with_equal_timestamps(api: httpx.AsyncClient,
                                                                          chain: Chain) -> None:
    same = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    rows = [await stored_response(chain, submitted_at=same) for _ in range(7)]
    rows += [await stored_response(chain, submitted_at=same - timedelta(minutes=i)) for i in range(1, 5)]
    rows += [await stored_response(chain, submitted_at=same + timedelta(seconds=1)) for _ in range(2)]
    expected = [encode_id("Response", r.id) for r in
                sorted(rows, key=lambda r: (r.submitted_at, str(r.id)), reverse=True)]
    for size in (1, 3, 4, 13, 100):
        assert await all_pages(api, chain.owner, size) == expected, size


async def test_filters_combine(api: httpx.AsyncClient, chain: Chain) -> None:
    base = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
    low = await stored_response(chain, submitted_at=base, outcome=2, comment="Slow", zone=chain.zone)
    high = await stored_response(chain, submitted_at=base + timedelta(hours=1), outcome=10, channel="nfc")
    flagged = await stored_response(chain, submitted_at=base + timedelta(hours=2), outcome=5, flags=["fast_taps"])
    other = await stored_response(chain, submitted_at=base + timedelta(days=3), outcome=3, comment="Cold",
                                  store=chain.other_store)
    none = await stored_response(chain, submitted_at=base + timedelta(days=4), outcome=None)

    def ids(*responses: Any) -> list[str]:
        return [encode_id("Response", r.id) for r in responses]

    async def matching(**filter: Any) -> list[str]:
        return await all_pages(api, chain.owner, 2, filter)

    assert await matching() == ids(none, other, flagged, high, low)
    assert await matching(storeIds=[encode_id("Store", chain.store.id)]) == ids(none, flagged, high, low)
    assert await matching(zoneIds=[encode_id("Zone", chain.zone.id)]) == ids(low)
    assert await matching(channels=["nfc"]) == ids(high)
    assert await matching(outcomeMin=3, outcomeMax=9) == ids(other, flagged)
    assert await matching(flagged=True) == ids(flagged)
    assert await matching(flagged=False, hasComment=False) == ids(none, high)
    assert await matching(hasComment=True) == ids(other, low)
    assert await matching(since=(base + timedelta(hours=1)).isoformat(),
                          until=(base + timedelta(days=3)).isoformat()) == ids(flagged, high)
    body = await gql(api, chain.owner, RESPONSES, filter={"zoneIds": [encode_id("Zone", chain.zone.id)]})
    [node] = [e["node"] for e in body["data"]["responses"]["edges"]]
    assert node["store"] == {"slug": "main"} and node["zone"] == {"name": "Checkout"}
    assert node["answers"] == [{"statementId": chain.statement_ids[0], "value": 4}]


async def test_a_store_manager_sees_only_their_stores_responses(api: httpx.AsyncClient, chain: Chain) -> None:
    base = datetime(2026, 8, 1, 9, 0, tzinfo=UTC)
    mine = await stored_response(chain, submitted_at=base)
    theirs = await stored_response(chain, submitted_at=base, store=chain.other_store)
    assert await all_pages(api, chain.manager, 10) == [encode_id("Response", mine.id)]
    only_theirs = {"storeIds": [encode_id("Store", chain.other_store.id)]}
    assert await all_pages(api, chain.manager, 10, only_theirs) == []
    query = "query($id: ID!) { node(id: $id) { id } }"
    assert (await gql(api, chain.manager, query, id=encode_id("Response", theirs.id)))["data"]["node"] is None
    assert (await gql(api, chain.owner, query, id=encode_id("Response", theirs.id)))["data"]["node"] is not None


async def test_bad_paging_and_filters_are_clear_errors(api: httpx.AsyncClient, chain: Chain) -> None:
    for variables, field in (
        ({"first": 101}, "first"),
        ({"first": 0}, "first"),
        ({"after": "not-a-cursor"}, "after"),
        ({"filter": {"outcomeMin": 8, "outcomeMax": 2}}, "outcomeMin"),
        ({"filter": {"channels": ["pigeon"]}}, "channels"),
        ({"filter": {"storeIds": ["garbage"]}}, "storeIds"),
    ):
        body = await gql(api, chain.owner, RESPONSES, **variables)
        [error] = body["errors"]
        assert error["extensions"]["code"] == "INVALID", (variables, error)
        assert error["extensions"]["field"] == field
    anonymous = await gql(api, None, RESPONSES)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

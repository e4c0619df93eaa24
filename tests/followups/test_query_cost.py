"""How many SQL queries a page of follow-ups costs: the same for 2 items as for 8 (loaders batch per request)."""

from __future__ import annotations

import httpx

from pejling.core.followups.models import FollowUp
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.scope import tenant_scope
from tests.support.query_count import counting_queries

from .conftest import Chain, gql
from .helpers import CREATE_RULE, FOLLOW_UPS


async def cost_of_page(api: httpx.AsyncClient, chain: Chain) -> int:
    async with counting_queries() as sql:
        body = await gql(api, chain.owner, FOLLOW_UPS, first=50)
    assert "errors" not in body, body
    return len(sql)


async def test_a_page_of_follow_ups_costs_the_same_whatever_its_length(api: httpx.AsyncClient, chain: Chain) -> None:
    await gql(api, chain.owner, CREATE_RULE, input={"name": "Low", "kind": "OUTCOME_AT_MOST", "threshold": 4})
    note = 'mutation($id: ID!) { addFollowUpNote(id: $id, text: "Seen") { errors { code } } }'

    async def add(count: int) -> None:
        for _ in range(count):
            await chain.submit(outcome=1, comment="Slow")
        with tenant_scope(chain.tenant.id):
            ids = [f.id for f in await FollowUp.all()]
        for follow_up_id in ids:
            await gql(api, chain.owner, note, id=encode_id("FollowUp", follow_up_id))

    await add(2)
    small = await cost_of_page(api, chain)
    await add(6)
    large = await cost_of_page(api, chain)
    assert 0 < small == large, (small, large)
    assert large <= 15

from __future__ import annotations

import httpx

from tests.support.tenancy import gql, make_tenant


async def test_types_from_plugins_are_in_the_served_schema(client: httpx.AsyncClient) -> None:
    shop = await make_tenant(stores=0)
    result = await gql(client, '{ __type(name: "ExampleSmileSummary") { name fields { name } } }', headers=shop.headers)
    assert result["data"]["__type"]["name"] == "ExampleSmileSummary"

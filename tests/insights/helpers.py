"""GraphQL helpers of the insights tests."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx

from pejling.core.auth.api_tokens import create_api_token
from pejling.tenants.scope import tenant_scope


async def token_for(tenant_id: UUID, user_id: UUID, scopes: tuple[str, ...] = ("read", "write")) -> str:
    with tenant_scope(tenant_id):
        _, secret = await create_api_token(name="insights test", scopes=scopes, created_by=user_id)
    return secret


async def gql(client: httpx.AsyncClient, token: str, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables},
                                 headers={"Authorization": f"Bearer {token}"})
    body = response.json()
    return body  # type: ignore[no-any-return]


INSIGHTS = """
query($scope: InsightScopeInput!, $period: PeriodInput!, $compare: InsightCompareWith) {
  insights(scope: $scope, period: $period, compareWith: $compare) {
    n nFlagged rollupVersion notes language
    profile { n sufficient items { goal fulfilment { value low high n sufficient } conviction { value low high }
              shrunkFulfilment shrinkage } }
    drivers { method basis r2 r2Low r2High n nBoot sufficient drivers { goal importance low high share } }
    optimise { rank goal quadrant importance performance target levers targetBasis uplift { value low high n note } }
    map { goal importance performance quadrant }
    nps { value low high n sufficient note }
    outcomeMean { value low high n }
    models { modelId modelVersion key title sufficient note figures }
    trends { weekly { start n nps } daily { start n } }
    stores { key name n shrinkage nps { value sufficient } }
    zones { key name n }
    channels { key n }
    storeChanges { description date outcome { effect low high sufficient n } }
    comparison { against n differences { name difference low high sufficient } }
  }
}
"""

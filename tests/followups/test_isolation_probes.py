"""The closed-loop cross-tenant probes run against the same walk the GraphQL isolation test uses."""

from __future__ import annotations

import httpx

from pejling.graphql.schema import build_schema
from tests.support.tenancy import Walk, make_tenant

from .isolation_probes import FOLLOWUP_PROBES


def test_every_followups_root_field_has_a_probe() -> None:
    schema = build_schema()._schema
    fields = set(schema.query_type.fields) | set(schema.mutation_type.fields)
    assert set(FOLLOWUP_PROBES) <= fields


async def test_second_tenant_cannot_reach_the_first_tenants_closed_loop(client: httpx.AsyncClient) -> None:
    walk = Walk(client, await make_tenant(stores=1), await make_tenant(stores=1), {})
    for probe in FOLLOWUP_PROBES.values():
        await probe(walk)

"""The invitation and sign-up cross-tenant probes run on their own, until they join the walk of every root field."""

from __future__ import annotations

import httpx

from pejling.graphql.schema import build_schema
from tests.graphql.member_isolation_probes import MEMBER_PROBES
from tests.support.tenancy import Walk, make_tenant


def test_the_member_probes_name_root_fields() -> None:
    schema = build_schema()._schema
    assert set(MEMBER_PROBES) <= set(schema.query_type.fields) | set(schema.mutation_type.fields)


async def test_second_tenant_cannot_reach_the_first_tenants_invitations(client: httpx.AsyncClient) -> None:
    walk = Walk(client, await make_tenant(stores=1), await make_tenant(stores=1), {})
    for probe in MEMBER_PROBES.values():
        await probe(walk)

"""The shoppers' rate limit as a setting of the tenant and of each store (store wins), through GraphQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pejling.core.surveys import rate_limit
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.models import Role, Store, Tenant
from pejling.tenants.scope import tenant_scope
from tests.support.tenancy import gql, member, token_for

from .conftest import Shop

UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148"
SET = """mutation($count: Int, $store: ID) { setSubmissionLimit(count: $count, storeId: $store) {
  limit { count setting source windowSeconds store { name } } errors { code field message } } }"""
READ = "query($store: ID) { submissionLimit(storeId: $store) { count setting source } }"


@pytest.fixture(autouse=True)
def fresh_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rate_limit, "_limiters", {})


async def owner_headers(shop: Shop, role: Role = Role.OWNER) -> dict[str, str]:
    return {"Authorization": f"Bearer {await token_for(shop.tenant, await member(shop.tenant, role))}"}


async def set_limit(client: httpx.AsyncClient, headers: dict[str, str], count: int | None,
                    store: Store | None = None) -> dict[str, Any]:
    variables = {"count": count, "store": encode_id("Store", store.id) if store else None}
    body = await gql(client, SET, variables, headers)
    result: dict[str, Any] = body["data"]["setSubmissionLimit"]
    return result


async def submit_until_refused(client: httpx.AsyncClient, shop: Shop, store: Store, most: int = 12) -> int:
    """How many fresh submissions to ``store`` are stored before the first 429."""
    for n in range(most):
        payload = shop.payload(zone_id=None if store.id != shop.store.id else str(shop.zone.id))
        reply = await client.post(f"/s/{shop.tenant.slug}/{store.slug}/responses", json=payload,
                                  headers={"user-agent": UA})
        if reply.status_code == 429:
            return n
        assert reply.status_code == 201, reply.text
    return most


async def test_the_store_setting_wins_over_the_tenants_which_wins_over_the_default(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    headers = await owner_headers(shop)
    default = (await gql(client, READ, {"store": encode_id("Store", shop.store.id)}, headers))["data"]
    assert default["submissionLimit"] == {"count": rate_limit.SUBMISSION_LIMIT.count, "setting": None,
                                          "source": "default"}
    tenant_level = await set_limit(client, headers, 2)
    assert tenant_level == {"errors": [], "limit": {"count": 2, "setting": 2, "source": "tenant",
                                                    "windowSeconds": 600, "store": None}}
    store_level = await set_limit(client, headers, 4, shop.store)
    assert store_level["limit"] == {"count": 4, "setting": 4, "source": "store", "windowSeconds": 600,
                                    "store": {"name": shop.store.name}}
    other = (await gql(client, READ, {"store": encode_id("Store", shop.other_store.id)}, headers))["data"]
    assert other["submissionLimit"] == {"count": 2, "setting": None, "source": "tenant"}
    # The ingest applies them at once: four at the store with its own limit, two at the other store.
    assert await submit_until_refused(client, shop, shop.store) == 4
    assert await submit_until_refused(client, shop, shop.other_store) == 2
    cleared = await set_limit(client, headers, None, shop.store)
    assert cleared["limit"]["source"] == "tenant" and cleared["limit"]["count"] == 2
    with tenant_scope(shop.tenant.id):
        assert (await Store.get(id=shop.store.id)).submission_limit is None
    assert (await Tenant.get(id=shop.tenant.id)).submission_limit == 2


@pytest.mark.parametrize("count", [0, -1, rate_limit.SETTING_MAX + 1])
async def test_a_limit_out_of_bounds_is_a_typed_error_and_changes_nothing(
    client: httpx.AsyncClient, shop: Shop, count: int
) -> None:
    headers = await owner_headers(shop)
    for store in (None, shop.store):
        result = await set_limit(client, headers, count, store)
        assert result["limit"] is None and [(e["code"], e["field"]) for e in result["errors"]] == [("invalid", "count")]
        assert str(rate_limit.SETTING_MAX) in result["errors"][0]["message"]
    assert (await Tenant.get(id=shop.tenant.id)).submission_limit is None
    with tenant_scope(shop.tenant.id):
        assert (await Store.get(id=shop.store.id)).submission_limit is None


async def test_only_owners_and_admins_read_or_set_the_limit(client: httpx.AsyncClient, shop: Shop) -> None:
    admin = await owner_headers(shop, Role.ADMIN)
    assert (await set_limit(client, admin, 30))["errors"] == []
    analyst = await owner_headers(shop, Role.ANALYST)
    refused = await set_limit(client, analyst, 1000)
    assert refused["limit"] is None and refused["errors"][0]["code"] == "forbidden"
    read = await gql(client, READ, {}, analyst)
    assert read["data"] is None or read["data"]["submissionLimit"] is None
    assert read["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await set_limit(client, {}, 1000)
    assert anonymous["errors"][0]["code"] == "unauthenticated"
    assert (await Tenant.get(id=shop.tenant.id)).submission_limit == 30


def test_the_limit_in_force_is_the_stores_else_the_tenants_else_the_default() -> None:
    assert rate_limit.submission_limit(5, 7) == rate_limit.Limit(count=7, window_seconds=600)
    assert rate_limit.submission_limit(5, None).count == 5
    assert rate_limit.submission_limit(None, None) == rate_limit.SUBMISSION_LIMIT

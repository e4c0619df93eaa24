"""``importResponses`` through GraphQL: who may import, the cap, per-response results and the per-token limit."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from pejling.core.surveys import rate_limit
from pejling.core.surveys.import_routes import PATH
from pejling.core.surveys.models import Response
from pejling.core.surveys.response_import import MAX_BATCH
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.models import Role
from pejling.tenants.scope import tenant_scope
from tests.support.tenancy import gql, member, token_for
from tests.surveys.conftest import Shop, make_shop

IMPORT = """mutation($input: ImportResponsesInput!) { importResponses(input: $input) {
  stored duplicates invalid results { index id status error { code field message } }
  errors { code field message } } }"""


@pytest.fixture
async def shop(database: Any) -> Shop:
    return await make_shop()


@pytest.fixture(autouse=True)
def fresh_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rate_limit, "_limiters", {})


def responses(shop: Shop, n: int) -> list[dict[str, Any]]:
    submitted = datetime.now(UTC) - timedelta(days=60)
    ids = [*shop.warmup_ids, *shop.statement_ids]
    return [{"id": str(uuid.uuid4()), "submittedAt": (submitted + timedelta(hours=i)).isoformat(),
             "answers": [{"statementId": sid, "value": 1 + (i + k) % 5} for k, sid in enumerate(ids)],
             "outcome": i % 11, "language": "sv"} for i in range(n)]


def variables(shop: Shop, items: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"input": {"storeId": encode_id("Store", shop.store.id), "zoneId": encode_id("Zone", shop.zone.id),
                      "responses": items, **extra}}


async def call(client: httpx.AsyncClient, token: str | None, shop: Shop, items: list[dict[str, Any]],
               **extra: Any) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    body = await gql(client, IMPORT, variables(shop, items, **extra), headers)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["importResponses"]
    return payload


async def stored(shop: Shop) -> int:
    with tenant_scope(shop.tenant.id):
        return await Response.filter(via="import").count()


async def test_an_admin_token_imports_and_a_resend_stores_nothing_twice(client: httpx.AsyncClient, shop: Shop) -> None:
    token = await token_for(shop.tenant, await member(shop.tenant, Role.ADMIN))
    items = responses(shop, 3)
    first = await call(client, token, shop, items)
    assert (first["stored"], first["duplicates"], first["invalid"], first["errors"]) == (3, 0, 0, [])
    assert [(r["index"], r["id"], r["status"], r["error"]) for r in first["results"]] == [
        (i, item["id"], "STORED", None) for i, item in enumerate(items)]
    conflicting = {**items[1], "outcome": 10 if items[1]["outcome"] != 10 else 0}
    bad = {**responses(shop, 1)[0], "answers": [{"statementId": shop.statement_ids[0], "value": 9}]}
    again = await call(client, token, shop, [*items, conflicting, bad])
    assert (again["stored"], again["duplicates"], again["invalid"]) == (0, 3, 2)
    assert again["results"][3]["error"]["code"] == "id_conflict"
    assert again["results"][4]["error"]["code"] == "value_out_of_range"
    assert again["results"][4]["error"]["field"] == "answers[0].value"
    assert await stored(shop) == 3


def ndjson(items: list[dict[str, Any]]) -> bytes:
    """The GraphQL items as NDJSON lines in the JSON ingest's shape."""
    lines = [{"id": i["id"], "submitted_at": i["submittedAt"], "outcome": i["outcome"], "language": i["language"],
              "answers": [{"statement_id": a["statementId"], "value": a["value"]} for a in i["answers"]]}
             for i in items]
    return "\n".join(json.dumps(line) for line in lines).encode()


async def post_ndjson(client: httpx.AsyncClient, token: str | None, shop: Shop, body: bytes) -> httpx.Response:
    headers = {"Content-Type": "application/x-ndjson", "X-Pejling-Tenant": shop.tenant.slug}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    params = {"store": encode_id("Store", shop.store.id), "zone": encode_id("Zone", shop.zone.id)}
    return await client.post(PATH, content=body, params=params, headers=headers)


async def test_a_batch_over_the_cap_is_refused_whole_with_nothing_stored(client: httpx.AsyncClient, shop: Shop) -> None:
    token = await token_for(shop.tenant, await member(shop.tenant, Role.OWNER))
    one = responses(shop, 1)[0]
    items = [{**one, "id": str(uuid.uuid4())} for _ in range(MAX_BATCH + 1)]
    reply = await post_ndjson(client, token, shop, ndjson(items))
    assert reply.status_code == 413, reply.text
    assert reply.json()["error"] == "too_many" and str(MAX_BATCH) in reply.json()["message"]
    # Through GraphQL such a batch does not even fit the API's body limit: refused whole as well.
    too_big = await client.post("/graphql", json={"query": IMPORT, "variables": variables(shop, items)},
                                headers={"Authorization": f"Bearer {token}"})
    assert too_big.status_code == 413
    assert await stored(shop) == 0
    # The full batch goes through the endpoint, and again as duplicates only.
    full = await post_ndjson(client, token, shop, ndjson(items[:MAX_BATCH]))
    assert full.status_code == 200, full.text
    assert (full.json()["stored"], full.json()["invalid"]) == (MAX_BATCH, 0)
    again = (await post_ndjson(client, token, shop, ndjson(items[:MAX_BATCH]))).json()
    assert (again["stored"], again["duplicates"]) == (0, MAX_BATCH)
    assert await stored(shop) == MAX_BATCH


async def test_the_endpoint_refuses_strangers_viewers_and_bad_lines(client: httpx.AsyncClient, shop: Shop) -> None:
    body = ndjson(responses(shop, 2))
    assert (await post_ndjson(client, None, shop, body)).status_code == 401
    analyst = await token_for(shop.tenant, await member(shop.tenant, Role.ANALYST))
    assert (await post_ndjson(client, analyst, shop, body)).status_code == 403
    other = await make_shop()
    stranger = await token_for(other.tenant, await member(other.tenant, Role.OWNER))
    refused = await post_ndjson(client, stranger, shop, body)  # another tenant's header: not theirs
    assert refused.status_code in (403, 404), refused.text
    owner = await token_for(shop.tenant, await member(shop.tenant, Role.OWNER))
    broken = await post_ndjson(client, owner, shop, body + b"\n{not json")
    assert broken.status_code == 400 and broken.json()["field"] == "line 3"
    assert await stored(shop) == 0
    with_results = (await post_ndjson(client, owner, shop, body)).json()
    assert [r["status"] for r in with_results["results"]] == ["stored", "stored"]


async def test_unauthenticated_viewers_and_read_only_tokens_import_nothing(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    items = responses(shop, 1)
    anonymous = await gql(client, IMPORT, variables(shop, items))
    assert anonymous["data"]["importResponses"]["errors"][0]["code"] == "unauthenticated"
    for role in (Role.ANALYST, Role.STORE_MANAGER):
        token = await token_for(shop.tenant, await member(shop.tenant, role, [str(shop.store.id)]))
        assert (await call(client, token, shop, items))["errors"][0]["code"] == "forbidden", role
    owner = await member(shop.tenant, Role.OWNER)
    read_only = await token_for(shop.tenant, owner, scopes=("read",))
    assert (await call(client, read_only, shop, items))["errors"][0]["code"] == "forbidden"
    assert await stored(shop) == 0


async def test_another_tenants_store_zone_or_survey_version_is_not_found(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    other = await make_shop()
    token = await token_for(other.tenant, await member(other.tenant, Role.OWNER))
    items = responses(shop, 1)
    result = await call(client, token, shop, items)  # shop's store with other's token
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("not_found", "storeId")]
    mixed = variables(other, items)
    mixed["input"]["zoneId"] = encode_id("Zone", shop.zone.id)
    body = await gql(client, IMPORT, mixed, {"Authorization": f"Bearer {token}"})
    assert body["data"]["importResponses"]["errors"][0]["field"] == "zoneId"
    version = await call(client, token, other, items, surveyVersionId=encode_id("SurveyVersion", shop.version_id))
    assert [(e["code"], e["field"]) for e in version["errors"]] == [("not_found", "surveyVersionId")]
    assert await stored(shop) == 0 and await stored(other) == 0


async def test_imports_count_against_the_callers_limit_not_the_shoppers(
    client: httpx.AsyncClient, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rate_limit, "IMPORT_LIMIT", rate_limit.Limit(count=2, window_seconds=600))
    monkeypatch.setattr(rate_limit, "SUBMISSION_LIMIT", rate_limit.Limit(count=1, window_seconds=600))
    token = await token_for(shop.tenant, await member(shop.tenant, Role.ADMIN))
    assert (await call(client, token, shop, responses(shop, 5)))["stored"] == 5  # more than a shopper's limit
    assert (await call(client, token, shop, responses(shop, 1)))["stored"] == 1
    throttled = await call(client, token, shop, responses(shop, 1))
    assert throttled["errors"][0]["code"] == "throttled" and throttled["stored"] == 0
    other_token = await token_for(shop.tenant, await member(shop.tenant, Role.ADMIN))
    assert (await call(client, other_token, shop, responses(shop, 1)))["stored"] == 1
    assert await stored(shop) == 7

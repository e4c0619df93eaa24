"""The portal-facing insights query on simulated shoppers whose true model is known."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import numpy as np
import pytest
from helpers import INSIGHTS, gql, token_for
from simulate import StoreModel, World, add_responses, default_model, make_world, recompute

from pejling.core.insights.engine import clear_cache
from pejling.core.surveys.bank import GOALS
from pejling.graphql.relay_ids import encode_id

START = date(2026, 2, 2)
PERIOD = {"from": START.isoformat(), "to": (START + timedelta(days=27)).isoformat()}


def ease_first_model() -> StoreModel:
    means = {g: 3.9 for g in GOALS} | {"ease": 2.4, "discovery": 3.6}
    weights = {g: 0.25 for g in GOALS} | {"ease": 1.2}
    return StoreModel(means, weights)


@pytest.fixture(scope="module")
async def world(database: Any) -> World:
    rng = np.random.default_rng(7)
    w = await make_world(n_stores=4, zones_per_store=2)
    await add_responses(w, w.stores[0], ease_first_model(), 700, rng=rng, start=START, channel=("qr", "nfc"))
    for store in w.stores[1:]:
        await add_responses(w, store, default_model(), 300, rng=rng, start=START)
    await recompute(w)
    return w


async def test_store_insight_names_the_important_and_weak_goal_first(world: World, client: httpx.AsyncClient) -> None:
    token = await token_for(world.tenant.id, world.owner_id)
    scope = {"kind": "STORE", "ids": [encode_id("Store", world.stores[0].id)]}
    body = await gql(client, token, INSIGHTS, scope=scope, period=PERIOD)
    assert "errors" not in body, body
    ins = body["data"]["insights"]
    assert ins["n"] == 700
    first = ins["optimise"][0]
    assert first["goal"] == "ease" and first["rank"] == 1 and first["quadrant"] == "priority"
    assert first["levers"] and all(isinstance(x, str) and x for x in first["levers"])
    uplift = first["uplift"]
    assert uplift["value"] > 0 and uplift["low"] <= uplift["value"] <= uplift["high"]
    assert first["target"] > first["performance"]
    drivers = ins["drivers"]
    assert drivers["basis"] == "scope" and drivers["sufficient"]
    assert drivers["drivers"][0]["goal"] == "ease"
    assert abs(sum(d["importance"] for d in drivers["drivers"]) - drivers["r2"]) < 1e-9
    assert all(d["low"] <= d["importance"] <= d["high"] for d in drivers["drivers"])
    ease = next(i for i in ins["profile"]["items"] if i["goal"] == "ease")
    assert ease["fulfilment"]["low"] < ease["fulfilment"]["value"] < ease["fulfilment"]["high"]
    assert ease["conviction"]["value"] is not None
    nps = ins["nps"]
    assert nps["sufficient"] and nps["low"] < nps["high"]
    assert {m["modelId"] for m in ins["models"]} >= {"nps", "implicit-goals"}
    assert {c["key"] for c in ins["channels"]} == {"qr", "nfc"}
    assert len(ins["zones"]) == 2 and sum(z["n"] for z in ins["zones"]) == 700
    assert sum(p["n"] for p in ins["trends"]["weekly"]) == 700
    assert len(ins["stores"]) == 1


async def test_danish_levers_and_comparison_with_other_stores(world: World, client: httpx.AsyncClient) -> None:
    token = await token_for(world.tenant.id, world.owner_id)
    scope = {"kind": "STORE", "ids": [encode_id("Store", world.stores[0].id)]}
    body = await client.post("/graphql", headers={"Authorization": f"Bearer {token}"}, json={
        "query": "query($s: InsightScopeInput!, $p: PeriodInput!) { insights(scope: $s, period: $p, "
                 "compareWith: STORES, language: \"da\") { optimise { goal levers } comparison { against n "
                 "differences { name difference low high sufficient } } } }",
        "variables": {"s": scope, "p": PERIOD}})
    ins = body.json()["data"]["insights"]
    assert ins["optimise"][0]["levers"][0].startswith("Skilt afdelinger")
    comparison = ins["comparison"]
    assert comparison["against"] == "stores" and comparison["n"] == 900
    ease = next(d for d in comparison["differences"] if d["name"] == "ease")
    assert ease["sufficient"] and ease["high"] < 0  # the store is clearly weaker on ease than the others


async def test_too_few_responses_and_shrinkage_for_a_small_store(world: World, client: httpx.AsyncClient) -> None:
    rng = np.random.default_rng(11)
    small = world.stores[3]
    token = await token_for(world.tenant.id, world.owner_id)
    # A one-day period of a small store: below the minimum n, figures are withheld, and goals are shrunk.
    day = {"from": START.isoformat(), "to": START.isoformat()}
    scope = {"kind": "STORE", "ids": [encode_id("Store", small.id)]}
    body = await gql(client, token, INSIGHTS, scope=scope, period=day)
    ins = body["data"]["insights"]
    assert 0 < ins["n"] < 30
    assert ins["nps"]["sufficient"] is False and ins["nps"]["value"] is None
    assert "too few responses" in ins["nps"]["note"]
    assert any(item["shrinkage"] > 0.05 for item in ins["profile"]["items"])
    assert any("shrunk toward the chain mean" in note for note in ins["notes"])
    assert ins["drivers"]["basis"] == "chain"
    _ = rng


async def test_chain_scope_and_cache_invalidation(world: World, client: httpx.AsyncClient) -> None:
    clear_cache()
    token = await token_for(world.tenant.id, world.owner_id)
    first = (await gql(client, token, INSIGHTS, scope={"kind": "CHAIN"}, period=PERIOD))["data"]["insights"]
    again = (await gql(client, token, INSIGHTS, scope={"kind": "CHAIN"}, period=PERIOD))["data"]["insights"]
    assert first == again and first["n"] == 1600 and len(first["stores"]) == 4
    rng = np.random.default_rng(3)
    await add_responses(world, world.stores[1], default_model(), 5, rng=rng, start=START, incremental=True)
    after = (await gql(client, token, INSIGHTS, scope={"kind": "CHAIN"}, period=PERIOD))["data"]["insights"]
    assert after["n"] == 1605 and after["rollupVersion"] > first["rollupVersion"]


async def test_another_tenants_store_is_not_found(world: World, client: httpx.AsyncClient) -> None:
    other = await make_world(n_stores=1)
    token = await token_for(other.tenant.id, other.owner_id)
    body = await gql(client, token, INSIGHTS, scope={"kind": "STORE", "ids": [encode_id("Store", world.stores[0].id)]},
                     period=PERIOD)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    zone_id = encode_id("Zone", world.zones[world.stores[0].id][0].id)
    body = await gql(client, token, INSIGHTS, scope={"kind": "ZONE", "ids": [zone_id]},
                     period=PERIOD)
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    bad = await gql(client, token, INSIGHTS, scope={"kind": "CHAIN"}, period={"from": "2026-03-01", "to": "2026-02-01"})
    assert bad["errors"][0]["extensions"]["code"] == "INVALID"


async def test_previous_period_comparison(world: World, client: httpx.AsyncClient) -> None:
    token = await token_for(world.tenant.id, world.owner_id)
    later = {"from": (START + timedelta(days=28)).isoformat(), "to": (START + timedelta(days=55)).isoformat()}
    body = await gql(client, token, INSIGHTS, scope={"kind": "CHAIN"}, period=later, compare="PREVIOUS_PERIOD")
    comparison = body["data"]["insights"]["comparison"]
    assert comparison["against"] == "previousPeriod" and comparison["n"] >= 1600
    nps = next(d for d in comparison["differences"] if d["name"] == "nps")
    assert nps["sufficient"] is False  # nothing in the later period: no difference is claimed
    body = await gql(client, token, INSIGHTS, scope={"kind": "CHAIN"}, period=PERIOD, compare="PREVIOUS_PERIOD")
    comparison = body["data"]["insights"]["comparison"]
    assert comparison["n"] == 0 and all(not d["sufficient"] for d in comparison["differences"])


async def test_store_manager_sees_only_their_stores(world: World, client: httpx.AsyncClient) -> None:
    from pejling.core.auth.passwords import hash_password
    from pejling.tenants.models import Membership, Role, User
    from pejling.tenants.scope import all_tenants, tenant_scope

    with all_tenants():
        user = await User.create(email=f"mgr-{world.tenant.slug}@example.com", password_hash=hash_password("x" * 16))
    own = world.stores[1]
    with tenant_scope(world.tenant.id):
        await Membership.create(user=user, role=Role.STORE_MANAGER, store_ids=[str(own.id)])
    token = await token_for(world.tenant.id, user.id)
    scope = {"kind": "STORE", "ids": [encode_id("Store", world.stores[0].id)]}
    other = await gql(client, token, INSIGHTS, scope=scope, period=PERIOD)
    assert other["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    chain = await gql(client, token, INSIGHTS, scope={"kind": "CHAIN"}, period=PERIOD, compare="STORES")
    ins = chain["data"]["insights"]
    assert [s["key"] for s in ins["stores"]] == [encode_id("Store", own.id)]
    assert ins["comparison"]["n"] > 0  # the other stores only as an anonymous aggregate


async def test_a_reused_answer_still_answers_what_a_later_query_selects(world: World,
                                                                       client: httpx.AsyncClient) -> None:
    """The engine's answer and its GraphQL conversion are reused between data changes
    (``graphql/insights/converted_answers.py``); a later query selecting other sections still gets them whole."""
    clear_cache()
    token = await token_for(world.tenant.id, world.owner_id)
    scope = {"kind": "STORE", "ids": [encode_id("Store", world.stores[2].id)]}
    query = "query($s: InsightScopeInput!, $p: PeriodInput!) { insights(scope: $s, period: $p) { n %s } }"
    headers = {"Authorization": f"Bearer {token}"}

    async def ask(selection: str) -> dict[str, Any]:
        body = (await client.post("/graphql", headers=headers, json={
            "query": query % selection, "variables": {"s": scope, "p": PERIOD}})).json()
        assert "errors" not in body, body
        return body["data"]["insights"]

    first = await ask("nps { value }")
    later = await ask("trends { weekly { n } } zones { n } profile { items { goal } }")
    assert sum(point["n"] for point in later["trends"]["weekly"]) == first["n"] == later["n"]
    assert sum(zone["n"] for zone in later["zones"]) == later["n"]
    assert {item["goal"] for item in later["profile"]["items"]} == set(GOALS)
    assert await ask("nps { value }") == first

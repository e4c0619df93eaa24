"""Scoring models as plugins (a third-party one reaches the API), re-scoring on a new version, store-change DiD."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import numpy as np
import pytest
from helpers import INSIGHTS, gql, token_for
from pejling_smiley_model import Smiley
from simulate import StoreModel, add_responses, default_model, make_world, recompute

from pejling.core.insights.models import Score, StoreChange
from pejling.core.insights.scores import RESCORE_JOB, enqueue_rescores, store_scores
from pejling.core.insights.statistics.store_drift import AR1_METHOD
from pejling.core.jobs.worker import Worker
from pejling.core.plugin_manager import load_plugins
from pejling.core.settings import Settings
from pejling.core.surveys.bank import GOALS
from pejling.core.surveys.models import Answer
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.scope import tenant_scope

START = date(2026, 2, 2)
STORE_CHANGE_DETAIL = """
query($scope: InsightScopeInput!, $period: PeriodInput!) {
  insights(scope: $scope, period: $period) {
    storeChanges { outcome { effect se treatedChange controlChange method storeDays controlStores persistence df } }
  }
}
"""


async def test_third_party_model_appears_in_the_api_once_enabled(
    database: Settings, client: httpx.AsyncClient
) -> None:
    world = await make_world(n_stores=2)
    rng = np.random.default_rng(5)
    await add_responses(world, world.stores[0], default_model(), 120, rng=rng, start=START)
    await recompute(world)
    plugins = await load_plugins(database)  # the app has not read this new tenant's enabled set yet
    assert "smiley" in plugins.loaded and not plugins.loaded["smiley"].builtin
    token = await token_for(world.tenant.id, world.owner_id)
    period = {"from": START.isoformat(), "to": (START + timedelta(days=30)).isoformat()}
    scope = {"kind": "STORE", "ids": [encode_id("Store", world.stores[0].id)]}
    assert "smiley" not in await plugins.enabled_plugins(world.tenant.id)  # third-party: off until enabled
    await plugins.enable_plugin(world.tenant.id, "smiley", {})
    after = (await gql(client, token, INSIGHTS, scope=scope, period=period))["data"]["insights"]
    smiley = next(m for m in after["models"] if m["modelId"] == "smiley")
    assert smiley["sufficient"] and smiley["modelVersion"] == "1.0"
    assert smiley["figures"]["n"] == 120 and 1 <= smiley["figures"]["value"] <= 5
    assert smiley["figures"]["low"] < smiley["figures"]["value"] < smiley["figures"]["high"]


class SmileyV2(Smiley):
    version = "2.0"


async def test_rescore_job_rescores_when_a_model_version_changes(database: Settings) -> None:
    world = await make_world(n_stores=1)
    rng = np.random.default_rng(9)
    responses = await add_responses(world, world.stores[0], default_model(), 12, rng=rng, start=START)
    v1 = await load_plugins(database, builtin_plugins=(), entry_points=False,
                            extra_plugins=[("smileyplugin", _module_with(Smiley()))])
    await v1.enable_plugin(world.tenant.id, "smileyplugin", {})
    with tenant_scope(world.tenant.id):
        for r in responses:
            await store_scores(v1, r, await Answer.filter(response_id=r.id))
        assert await Score.filter(model_id="smiley", model_version="1.0").count() == 12
    v2 = await load_plugins(database, builtin_plugins=(), entry_points=False,
                            extra_plugins=[("smileyplugin", _module_with(SmileyV2()))])
    jobs = await enqueue_rescores(v2)
    assert [str(j.tenant_id) for j in jobs if j.kind == RESCORE_JOB] == [str(world.tenant.id)]
    assert len(await enqueue_rescores(v2)) == 1  # idempotent: the same job again
    worker = Worker(database, kinds=[RESCORE_JOB], concurrency=1, plugins=v2)
    assert await worker.run_once() == 1
    with tenant_scope(world.tenant.id):
        assert await Score.filter(model_id="smiley", model_version="2.0").count() == 12
        assert await Score.filter(model_id="smiley", model_version="1.0").count() == 0
    assert await enqueue_rescores(v2) == []


def _module_with(model: Any) -> Any:
    from pejling.core.hookspecs import hookimpl

    class Plugin:
        @hookimpl
        def register_scoring_models(self) -> list[Any]:
            return [model]

    return Plugin()


async def test_store_change_difference_in_differences_recovers_an_injected_effect(
    database: Settings, client: httpx.AsyncClient
) -> None:
    world = await make_world(n_stores=4)
    rng = np.random.default_rng(21)
    change_day = START + timedelta(days=28)
    treated = world.stores[0]
    # Outcomes around 6.5: a shift of -2 is far from the ends of the 0-10 scale, so clipping does not shrink it.
    model = StoreModel({g: 3.0 for g in GOALS}, {g: 0.4 for g in GOALS})
    for store in world.stores:
        await add_responses(world, store, model, 300, rng=rng, start=START, days=28)
        shift = -2.0 if store.id == treated.id else 0.0
        await add_responses(world, store, model, 300, rng=rng, start=change_day, days=28, outcome_shift=shift)
    await recompute(world)
    token = await token_for(world.tenant.id, world.owner_id)
    logged = await client.post("/graphql", headers={"Authorization": f"Bearer {token}"}, json={
        "query": "mutation($i: LogStoreChangeInput!) { logStoreChange(input: $i) { storeChange { id description date "
                 "store { name } } errors { code field message } } }",
        "variables": {"i": {"storeId": encode_id("Store", treated.id), "date": change_day.isoformat(),
                            "description": "  New signage at checkout  "}}})
    payload = logged.json()["data"]["logStoreChange"]
    assert payload["errors"] == [] and payload["storeChange"]["description"] == "New signage at checkout"
    refused = await client.post("/graphql", headers={"Authorization": f"Bearer {token}"}, json={
        "query": "mutation($i: LogStoreChangeInput!) { logStoreChange(input: $i) { storeChange { id } "
                 "errors { code field } } }",
        "variables": {"i": {"storeId": encode_id("Store", treated.id), "date": change_day.isoformat(),
                            "description": "   "}}})
    assert refused.json()["data"]["logStoreChange"]["errors"][0]["field"] == "description"
    with tenant_scope(world.tenant.id):
        assert await StoreChange.all().count() == 1
    period = {"from": START.isoformat(), "to": (change_day + timedelta(days=27)).isoformat()}
    body = await gql(client, token, INSIGHTS, scope={"kind": "STORE", "ids": [encode_id("Store", treated.id)]},
                     period=period)
    effect = body["data"]["insights"]["storeChanges"][0]["outcome"]
    assert effect["sufficient"] and effect["n"][0] > 200
    assert effect["low"] < -2.0 < effect["high"] and effect["high"] < 0
    assert abs(effect["effect"] + 2.0) < 0.4
    detail = await gql(client, token, STORE_CHANGE_DETAIL, period=period,
                       scope={"kind": "STORE", "ids": [encode_id("Store", treated.id)]})
    outcome = detail["data"]["insights"]["storeChanges"][0]["outcome"]
    assert outcome["method"] == AR1_METHOD and outcome["controlStores"] == 3
    assert outcome["storeDays"][0] >= 25 and outcome["storeDays"][1] >= 25 and outcome["storeDays"][2] >= 75
    assert 0.0 <= outcome["persistence"] <= 1.0 and outcome["df"] >= 1.0 and outcome["se"] > 0
    assert outcome["treatedChange"] - outcome["controlChange"] == pytest.approx(outcome["effect"])
    listed = await client.post("/graphql", headers={"Authorization": f"Bearer {token}"}, json={
        "query": "{ storeChanges { description date store { name } } }"})
    assert listed.json()["data"]["storeChanges"][0]["store"]["name"] == treated.name


async def test_a_logged_change_is_in_the_next_insights_answer(database: Settings, client: httpx.AsyncClient) -> None:
    """The insights are cached by rollup version: logging a change raises it, so the change is not missed until the
    next response arrives (the portal's change log reads its before/after right after logging it)."""
    world = await make_world(n_stores=2)
    rng = np.random.default_rng(5)
    for store in world.stores:
        await add_responses(world, store, default_model(), 40, rng=rng, start=START, days=14)
    await recompute(world)
    token = await token_for(world.tenant.id, world.owner_id)
    scope = {"kind": "STORE", "ids": [encode_id("Store", world.stores[0].id)]}
    period = {"from": START.isoformat(), "to": (START + timedelta(days=13)).isoformat()}
    before = await gql(client, token, INSIGHTS, scope=scope, period=period)
    assert before["data"]["insights"]["storeChanges"] == []
    logged = await client.post("/graphql", headers={"Authorization": f"Bearer {token}"}, json={
        "query": "mutation($i: LogStoreChangeInput!) { logStoreChange(input: $i) { errors { code } } }",
        "variables": {"i": {"storeId": scope["ids"][0], "date": (START + timedelta(days=7)).isoformat(),
                            "description": "Extra till"}}})
    assert logged.json()["data"]["logStoreChange"]["errors"] == []
    after = await gql(client, token, INSIGHTS, scope=scope, period=period)
    (effect,) = after["data"]["insights"]["storeChanges"]
    assert effect["description"] == "Extra till"

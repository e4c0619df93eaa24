"""A goal or a scoring model's question the survey never asked is "not asked" (issue 10, point 8).

Planted: four stores with known goal means; store 0's survey never asks discovery (its discovery answers are removed
before the rollups are rebuilt). That goal is "not asked" for store 0: no shrunk value toward the chain mean, no B,
outside "where to optimise", the map and the shrinkage note. CSAT and CES say "not asked" until the survey asks their
questions. Shrinkage notes name the true reason: constructed chains where stores are alike at n = 400 each, and
where one store has few responses.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import numpy as np
import pytest
from helpers import INSIGHTS, gql, token_for
from simulate import StoreModel, World, add_responses, default_model, make_world, recompute

from pejling.core.insights.chain import ALIKE, FEW, Chain, _shrink_goal
from pejling.core.insights.engine import clear_cache
from pejling.core.surveys.bank import GOALS
from pejling.core.surveys.model_items import askable_items
from pejling.core.surveys.models import Answer
from pejling.core.surveys.survey import active_survey, choose_statements
from pejling.graphql.relay_ids import encode_id
from pejling.plugins.scoring.ces import CustomerEffort
from pejling.plugins.scoring.csat import CustomerSatisfaction
from pejling.tenants.scope import tenant_scope

START = date(2026, 3, 2)
PERIOD = {"from": START.isoformat(), "to": (START + timedelta(days=27)).isoformat()}
NOT_ASKED_GOAL = "discovery"
QUERY = INSIGHTS.replace("fulfilment { value low high n sufficient }",
                         "fulfilment { value low high n sufficient note }")


@pytest.fixture(scope="module")
async def world(database: Any) -> World:
    rng = np.random.default_rng(20261201)
    w = await make_world(n_stores=4)
    low = StoreModel({g: 3.6 for g in GOALS} | {"ease": 2.6}, {g: 0.3 for g in GOALS} | {"ease": 1.0})
    await add_responses(w, w.stores[0], low, 400, rng=rng, start=START)
    for store in w.stores[1:]:
        await add_responses(w, store, default_model(), 300, rng=rng, start=START)
    with tenant_scope(w.tenant.id):
        await Answer.filter(store_id=w.stores[0].id, goal=NOT_ASKED_GOAL).delete()
    await recompute(w)
    clear_cache()
    return w


async def _insights(client: httpx.AsyncClient, world: World, store: int) -> dict[str, Any]:
    token = await token_for(world.tenant.id, world.owner_id)
    scope = {"kind": "STORE", "ids": [encode_id("Store", world.stores[store].id)]}
    body = await gql(client, token, QUERY, scope=scope, period=PERIOD)
    assert "errors" not in body, body
    return body["data"]["insights"]


async def test_a_goal_the_store_never_asked_is_not_asked(world: World, client: httpx.AsyncClient) -> None:
    ins = await _insights(client, world, 0)
    items = {item["goal"]: item for item in ins["profile"]["items"]}
    missing = items[NOT_ASKED_GOAL]
    assert missing["fulfilment"]["n"] == 0 and missing["fulfilment"]["value"] is None
    assert missing["fulfilment"]["note"] == "not asked"
    assert missing["shrunkFulfilment"] is None and missing["shrinkage"] == 0.0  # not the chain mean with B = 1
    assert all(items[g]["shrunkFulfilment"] is not None for g in GOALS if g != NOT_ASKED_GOAL)
    assert NOT_ASKED_GOAL not in {o["goal"] for o in ins["optimise"]}
    assert NOT_ASKED_GOAL not in {m["goal"] for m in ins["map"]}
    assert ins["optimise"] and ins["optimise"][0]["goal"] == "ease"  # the planted weak, important goal
    assert not any(NOT_ASKED_GOAL in note for note in ins["notes"])
    # The other stores asked it: there it is a figure like any other.
    other = {item["goal"]: item for item in (await _insights(client, world, 1))["profile"]["items"]}
    assert other[NOT_ASKED_GOAL]["fulfilment"]["value"] is not None


async def test_csat_and_ces_say_not_asked_until_the_survey_asks_them(world: World, client: httpx.AsyncClient) -> None:
    models = {m["modelId"]: m for m in (await _insights(client, world, 1))["models"]}
    for model_id in ("csat", "ces"):
        assert models[model_id]["sufficient"] is False and models[model_id]["note"] == "not asked"
    assert models["nps"]["sufficient"] is True
    with tenant_scope(world.tenant.id):
        current = (await active_survey()).version
        askable = askable_items([CustomerSatisfaction(), CustomerEffort()])
        await choose_statements(list(current.statement_ids), None, ["csat-satisfied"], askable=askable)
    clear_cache()
    try:
        models = {m["modelId"]: m for m in (await _insights(client, world, 1))["models"]}
        # CSAT is asked now but not answered yet in the period; CES is still not asked.
        assert models["csat"]["sufficient"] is False and models["csat"]["note"].startswith("too few responses")
        assert models["ces"]["sufficient"] is False and models["ces"]["note"] == "not asked"
    finally:
        with tenant_scope(world.tenant.id):
            await choose_statements(list(current.statement_ids), None, [], askable=askable)
        clear_cache()


def _store_rows(ns: list[int], means: list[float], sd: float) -> list[dict[str, float]]:
    """Summed chain-view rows of one goal per store with these counts, means and within-store spread."""
    return [{"security_n": n, "security_s": n * m, "security_ss": n * m * m + max(n - 1, 0) * sd * sd}
            for n, m in zip(ns, means, strict=True)]


def test_alike_stores_at_n_400_are_shrunk_because_they_are_alike() -> None:
    rng = np.random.default_rng(5)
    ids = [uuid.uuid4() for _ in range(8)]
    # The stores' true means are equal: their observed means differ by sampling noise only (sd 1 / √400).
    means = list(3.5 + rng.normal(0.0, 1.0 / np.sqrt(400), len(ids)))
    shrunk, _, reasons = _shrink_goal("security", _store_rows([400] * len(ids), means, 1.0), ids)
    assert max(s.weight for s in shrunk.values()) > 0.5
    assert set(reasons.values()) == {ALIKE}
    chain = Chain({}, {"security": shrunk}, {}, {"security": reasons})
    note = chain.shrinkage_note(ids[0], {"security": shrunk[ids[0]].weight}, 0.05)
    assert note is not None and "differ little" in note and "few responses" not in note


def test_a_store_with_few_responses_is_shrunk_because_of_few_responses() -> None:
    ids = [uuid.uuid4() for _ in range(6)]
    means = [3.0, 3.4, 3.8, 4.2, 3.2, 4.6]  # stores differ clearly
    shrunk, _, reasons = _shrink_goal("security", _store_rows([400] * 5 + [6], means, 1.0), ids)
    assert shrunk[ids[5]].weight > 0.05
    assert reasons[ids[5]] == FEW and reasons[ids[0]] == ALIKE
    chain = Chain({}, {"security": shrunk}, {}, {"security": reasons})
    note = chain.shrinkage_note(ids[5], {"security": shrunk[ids[5]].weight}, 0.05)
    assert note is not None and "few responses" in note and "differ little" not in note
    assert chain.shrinkage_note(ids[0], {"security": shrunk[ids[0]].weight}, 0.05) is None  # well measured, distinct


def test_a_store_without_answers_to_a_goal_gets_no_shrunk_value() -> None:
    ids = [uuid.uuid4() for _ in range(3)]
    shrunk, target, reasons = _shrink_goal("security", _store_rows([100, 100, 0], [3.0, 4.0, 0.0], 1.0), ids)
    assert shrunk[ids[2]].value is None and shrunk[ids[2]].weight == 0.0
    assert ids[2] not in reasons and target is not None

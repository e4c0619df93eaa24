"""The strength moderation end to end: stored responses, recomputed rollups, the engine and the ``insights`` query.

One store's shoppers drive the outcome more with the goals they answered fast (planted moderation, reaction times
stored with the answers); another store's reaction times are pure noise (``simulate.draw``). Then rollup rows as
they were before migration 0003 (``m_n = 0``) withhold the figure until the migration's recomputation has run.
"""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import httpx
import numpy as np
import pytest
from helpers import gql, token_for
from simulate import RECEIPTS, STATEMENTS, WARMUP, World, add_responses, default_model, make_world, recompute
from tortoise import connections

from pejling.core.database import prepare_sql
from pejling.core.insights.engine import clear_cache
from pejling.core.insights.strength_moderation import FAST_PREDICTS_BETTER, NO_EVIDENCE, NOT_RECOMPUTED
from pejling.core.surveys.bank import GOALS
from pejling.core.surveys.models import Answer, Response
from pejling.core.surveys.survey import active_survey
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.models import Store
from pejling.tenants.scope import all_tenants, tenant_scope

START = date(2026, 3, 2)
PERIOD = {"from": START.isoformat(), "to": (START + timedelta(days=27)).isoformat()}
QUERY = """
query($scope: InsightScopeInput!, $period: PeriodInput!) {
  insights(scope: $scope, period: $period) {
    drivers { basis n strengthModeration { gain low high pValue r2Plain r2Moderated n sufficient verdict note } }
  }
}
"""
KAPPA = 0.8
"""The planted moderation: a goal's slope is 0.4·(1 + κ·u), u the accessibility that makes its tap fast."""


async def _add_planted(world: World, store: Store, count: int, rng: np.random.Generator) -> None:
    """Store ``count`` shoppers whose fast answers drive the outcome more than their slow ones."""
    with tenant_scope(world.tenant.id):
        version = (await active_survey()).version  # type: ignore[union-attr]
        responses: list[Response] = []
        answers: list[Answer] = []
        for _ in range(count):
            moment = datetime.combine(START, datetime.min.time(), UTC) + timedelta(
                days=int(rng.integers(0, 28)), hours=int(rng.integers(8, 18)))
            speed = np.log(1200.0) + rng.normal(0.0, 0.3)
            response_id = uuid4()
            taps = [(WARMUP, "warmup", 5, int(np.exp(speed - 0.1 + rng.normal(0.0, 0.2))), True)]
            latent = 0.0
            for g in GOALS:
                value = int(np.clip(round(rng.normal(3.5, 1.0)), 1, 5))
                u = rng.normal()
                taps.append((STATEMENTS[g], g, value, int(max(np.exp(speed + 0.2 - 0.3 * u + rng.normal(0, 0.15)),
                                                               320)), False))
                latent += 0.4 * (1.0 + KAPPA * u) * (value - 3.0)
            outcome = int(np.clip(round(6.5 + latent + rng.normal(0.0, 0.8)), 0, 10))
            responses.append(Response(
                id=response_id, tenant_id=world.tenant.id, store_id=store.id, zone_id=None,
                survey_version_id=version.id, channel="qr", via="json", language="en",
                started_at=moment - timedelta(seconds=40), submitted_at=moment, duration_ms=40000, outcome=outcome,
                quality_flags=[], receipt_code=f"S{next(RECEIPTS):07X}",
            ))
            answers.extend(
                Answer(id=uuid4(), tenant_id=world.tenant.id, response_id=response_id, store_id=store.id,
                       submitted_at=moment, statement_id=statement, goal=goal, polarity=1, value=value, position=k,
                       reaction_ms=ms, warmup=warmup)
                for k, (statement, goal, value, ms, warmup) in enumerate(taps)
            )
        await Response.bulk_create(responses, batch_size=500)
        await Answer.bulk_create(answers, batch_size=2000)


@pytest.fixture(scope="module")
async def world(database: Any) -> World:
    rng = np.random.default_rng(20261202)
    w = await make_world(n_stores=2, zones_per_store=1)
    await _add_planted(w, w.stores[0], 900, rng)
    await add_responses(w, w.stores[1], default_model(), 500, rng=rng, start=START)
    await recompute(w)
    return w


async def _moderation(client: httpx.AsyncClient, world: World, store: Store) -> dict[str, Any]:
    token = await token_for(world.tenant.id, world.owner_id)
    scope = {"kind": "STORE", "ids": [encode_id("Store", store.id)]}
    body = await gql(client, token, QUERY, scope=scope, period=PERIOD)
    assert "errors" not in body, body
    drivers = body["data"]["insights"]["drivers"]
    assert drivers["basis"] == "scope"
    return drivers["strengthModeration"]  # type: ignore[no-any-return]


async def test_fast_answers_that_drive_the_outcome_are_found(world: World, client: httpx.AsyncClient) -> None:
    moderation = await _moderation(client, world, world.stores[0])
    assert moderation["sufficient"] and moderation["n"] == 900
    assert 0.0 < moderation["low"] <= moderation["gain"] <= moderation["high"]
    assert moderation["gain"] == pytest.approx(moderation["r2Moderated"] - moderation["r2Plain"], abs=1e-12)
    assert moderation["pValue"] < 0.025
    assert moderation["verdict"].startswith(FAST_PREDICTS_BETTER)


async def test_pure_noise_reaction_times_give_no_evidence(world: World, client: httpx.AsyncClient) -> None:
    moderation = await _moderation(client, world, world.stores[1])
    assert moderation["sufficient"] and moderation["n"] == 500
    assert moderation["low"] == 0.0 and moderation["high"] >= 0.0
    assert moderation["verdict"] == NO_EVIDENCE


async def test_rows_from_before_the_migration_are_withheld_until_recomputed(
    world: World, client: httpx.AsyncClient
) -> None:
    db = connections.get("default")
    # Rows as migration 0003 leaves them before its recomputation: the new sums at their default 0.
    text, values = prepare_sql(db, "UPDATE insights_daily SET m_n = 0, m_s0 = 0 WHERE tenant_id = ?",
                               [world.tenant.id])
    with tenant_scope(world.tenant.id):  # raw SQL: row-level security shows no rows outside the tenant's scope
        await db.execute_query(text, values)
    clear_cache()
    stale = await _moderation(client, world, world.stores[0])
    assert not stale["sufficient"] and stale["gain"] is None and stale["low"] is None and stale["verdict"] is None
    assert stale["note"].startswith(NOT_RECOMPUTED)

    migration = importlib.import_module("pejling.core.insights.migrations.0003_strength_moderation")
    with all_tenants():  # as `pejling migrate` runs it
        await migration.recompute_stale_rollups(None, SimpleNamespace(client=db))
    clear_cache()
    again = await _moderation(client, world, world.stores[0])
    assert again["sufficient"] and again["low"] > 0.0

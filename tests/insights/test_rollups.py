"""Rollups kept up to date as responses arrive equal a full recomputation from the raw responses."""

from __future__ import annotations

import math
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import numpy as np
import pytest
from simulate import make_world, suite_plugins

from pejling.core.insights import sql
from pejling.core.insights.columns import HISTOGRAM_COLUMNS, STORE_COLUMNS, SUM_COLUMNS
from pejling.core.insights.models import Score
from pejling.core.insights.rollups import recompute_rollups, record_response, rollup_version
from pejling.core.surveys.bank import GOALS, current_bank
from pejling.core.surveys.models import Answer, Response
from pejling.core.surveys.survey import active_survey
from pejling.tenants.scope import tenant_scope

Rows = dict[tuple[str, ...], list[float]]
Snapshot = tuple[Rows, dict[tuple[str, ...], list[int]], Rows]


async def _snapshot(tenant_id: Any) -> Snapshot:
    daily = {}
    for r in await sql.fetch("SELECT * FROM insights_daily WHERE tenant_id = ?", [tenant_id]):
        key = (str(r["store_id"]), str(r["zone_id"]), r["channel"], str(r["day"])[:10], str(r["mask"]))
        daily[key] = [sql.number(r[c]) for c in SUM_COLUMNS]
    statements = {}
    for r in await sql.fetch("SELECT * FROM insights_statement_daily WHERE tenant_id = ?", [tenant_id]):
        key = (str(r["store_id"]), str(r["zone_id"]), r["channel"], str(r["day"])[:10], r["statement_id"])
        statements[key] = [int(r[c]) for c in HISTOGRAM_COLUMNS]
    stores = {}
    for r in await sql.fetch("SELECT * FROM insights_store_daily WHERE tenant_id = ?", [tenant_id]):
        stores[(str(r["store_id"]), str(r["day"])[:10])] = [sql.number(r[c]) for c in STORE_COLUMNS]
    return daily, statements, stores


@pytest.mark.parametrize("seed", [1, 2])
async def test_incremental_rollups_equal_full_recomputation(database: Any, seed: int) -> None:
    rng = np.random.default_rng(seed)
    world = await make_world(n_stores=3, zones_per_store=2)
    bank = current_bank()
    scored = [s for s in bank.scored if s.builtin]
    warmups = list(bank.warmups)
    with tenant_scope(world.tenant.id):
        version = (await active_survey()).version  # type: ignore[union-attr]
        assert await rollup_version(world.tenant.id) == 0
        for _ in range(120):
            store = world.stores[int(rng.integers(0, len(world.stores)))]
            zones = world.zones[store.id]
            zone = None if rng.random() < 0.3 else zones[int(rng.integers(0, len(zones)))]
            # Late evening in UTC: the store's local day (Copenhagen) is sometimes the next one.
            moment = datetime(2026, 3, 1, tzinfo=UTC) + timedelta(days=int(rng.integers(0, 10)),
                                                                   hours=int(rng.integers(0, 24)))
            no_js = rng.random() < 0.15
            chosen = [scored[i] for i in rng.choice(len(scored), size=int(rng.integers(1, 8)), replace=False)]
            taps = [warmups[0], *chosen] if rng.random() < 0.8 else chosen
            response = await Response.create(
                id=uuid4(), store=store, zone=zone, survey_version=version,
                channel=["qr", "nfc", "kiosk"][int(rng.integers(0, 3))], via="json", language="en",
                started_at=moment - timedelta(seconds=30), submitted_at=moment, duration_ms=30000,
                outcome=None if rng.random() < 0.1 else int(rng.integers(0, 11)),
                quality_flags=["straight_line"] if rng.random() < 0.1 else [],
                receipt_code=secrets.token_hex(4).upper()[:7],
            )
            rows = []
            for position, statement in enumerate(taps):
                rt = None if no_js else int(rng.choice([150, 250, *rng.integers(400, 9000, size=6)]))
                rows.append(await Answer.create(
                    response=response, store_id=store.id, submitted_at=moment, statement_id=statement.id,
                    goal=statement.goal, polarity=statement.polarity,
                    value=int(rng.integers(1, 6)), position=position, reaction_ms=rt, warmup=statement.warmup,
                ))
            await record_response(response, rows, plugins=await suite_plugins())
        # Every enabled scoring model scored each response as it was recorded, stored with its version.
        with_outcome = await Response.filter(outcome__isnull=False).count()
        assert await Score.filter(model_id="nps", model_version="1.0").count() == with_outcome
        assert await Score.filter(model_id="implicit-goals").count() == 120
        incremental = await _snapshot(world.tenant.id)
        version_before = await rollup_version(world.tenant.id)
        assert version_before == 120
        assert await recompute_rollups() == 120
        recomputed = await _snapshot(world.tenant.id)
        assert await rollup_version(world.tenant.id) == version_before + 1

    daily_a, statements_a, stores_a = incremental
    daily_b, statements_b, stores_b = recomputed
    assert statements_a == statements_b
    assert stores_a.keys() == stores_b.keys()
    for key, values in stores_a.items():
        assert all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) for a, b in zip(values, stores_b[key], strict=True))
    # The chain view is the fine rollup summed over zones, channels and masks.
    for key, values in stores_a.items():
        fine = [v for k, v in daily_a.items() if (k[0], k[3]) == key]
        for i, column in enumerate(STORE_COLUMNS):
            assert math.isclose(values[i], sum(f[SUM_COLUMNS.index(column)] for f in fine), abs_tol=1e-9)
    assert daily_a.keys() == daily_b.keys()
    for key, values in daily_a.items():
        for column, a, b in zip(SUM_COLUMNS, values, daily_b[key], strict=True):
            assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), (key, column, a, b)
    counted = sum(v[SUM_COLUMNS.index("n")] + v[SUM_COLUMNS.index("n_flagged")] for v in daily_a.values())
    assert counted == 120
    goal_ns = sum(v[SUM_COLUMNS.index(f"{g}_n")] for v in daily_a.values() for g in GOALS)
    assert goal_ns > 0

"""Benchmark: the store insights query over a tenant with 1 000 000 responses (PostgreSQL; not a timed test).

    PEJLING_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python -m tests.bench.insights_bench

Creates a fresh database, a tenant with 20 stores x 3 zones, and ``BENCH_RESPONSES`` (default 1 000 000) responses
with 8 answers each over 365 days, generated in bulk SQL (``generate_series``). The rollups are then built by the
real full recomputation (timed too). Measured, ``BENCH_REPEAT`` times each: the engine cold (cache cleared: every
rollup query, the key drivers with their bootstrap, the linear model), warm (cache hit), and the GraphQL query over
HTTP cold. Reports medians and their ratio to the 50 ms target.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import statistics
import time
from datetime import date, timedelta
from urllib.parse import urlsplit, urlunsplit

TARGET_MS = 50.0
RESPONSES = int(os.environ.get("BENCH_RESPONSES", "1000000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "25"))
STORES = 20
DAYS = 365


def _db_url(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def _admin(url: str, sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


GENERATE_RESPONSES = """
INSERT INTO survey_response (id, tenant_id, store_id, zone_id, survey_version_id, channel, via, language, device_class,
  started_at, submitted_at, received_at, duration_ms, outcome, comment, consent_contact, quality_flags, receipt_code,
  client_key)
SELECT gen_random_uuid(), $1::uuid, ($5::uuid[])[1 + s], ($6::uuid[])[1 + 3 * s + z], $2::uuid,
  (ARRAY['qr','nfc','kiosk'])[1 + floor(random() * 3)::int], 'json', 'da', 'phone', t - interval '40 seconds', t, t,
  40000, NULL, '', false, '[]'::jsonb, lpad(to_hex(i), 8, '0'), ''
FROM (SELECT i, floor(random() * cardinality($5::uuid[]))::int AS s, floor(random() * 3)::int AS z,
             now() - random() * $4::int * interval '1 day' AS t
      FROM generate_series(1, $3::int) AS i) AS g
"""

GENERATE_ANSWERS = """
INSERT INTO survey_answer (id, tenant_id, response_id, store_id, submitted_at, statement_id, goal, polarity, value,
  position, reaction_ms, warmup)
SELECT gen_random_uuid(), r.tenant_id, r.id, r.store_id, r.submitted_at, s.sid, s.goal, 1,
  CASE WHEN s.warmup THEN 5 ELSE 1 + floor(random() * 5)::int END, s.pos, 400 + floor(random() * 2500)::int, s.warmup
FROM survey_response r
CROSS JOIN (VALUES ('warmup.visited-today', 'warmup', 0, true), ('security.prices-clear', 'security', 1, false),
  ('ease.found-without-asking', 'ease', 2, false), ('autonomy.own-pace', 'autonomy', 3, false),
  ('recognition.felt-welcome', 'recognition', 4, false), ('enjoyment.liked-being-there', 'enjoyment', 5, false),
  ('discovery.something-new', 'discovery', 6, false), ('value.worth-the-money', 'value', 7, false))
  AS s(sid, goal, pos, warmup)
WHERE r.tenant_id = $1::uuid
"""

# The outcome follows the answers (ease weighs most), so the driver model has something to find.
SET_OUTCOME = """
UPDATE survey_response r SET outcome = LEAST(10, GREATEST(0, round(3 + 0.9 * a.ease + 0.3 * a.other
  + (random() - 0.5) * 3)))::int
FROM (SELECT response_id, avg(value) FILTER (WHERE goal = 'ease') AS ease,
        avg(value) FILTER (WHERE goal NOT IN ('ease', 'warmup')) AS other
      FROM survey_answer WHERE tenant_id = $1::uuid GROUP BY response_id) a
WHERE r.id = a.response_id
"""


async def run(url: str) -> dict[str, float]:
    import httpx
    from asgi_lifespan import LifespanManager
    from tortoise import Tortoise, connections

    from pejling.core.app import create_app
    from pejling.core.auth.api_tokens import create_api_token
    from pejling.core.database import migrate, tortoise_config
    from pejling.core.insights import engine
    from pejling.core.insights.rollups import recompute_rollups
    from pejling.core.settings import Settings
    from pejling.core.surveys.survey import active_survey
    from pejling.graphql.relay_ids import encode_id
    from pejling.tenants.models import Store, Zone
    from pejling.tenants.scope import tenant_scope
    from pejling.tenants.signup import create_tenant_with_owner

    name = f"pejling_bench_{secrets.token_hex(4)}"
    await _admin(url, f'CREATE DATABASE "{name}"')
    results: dict[str, float] = {}
    try:
        settings = Settings(environment="test", database_url=_db_url(url, name), secret_key="bench-" + "x" * 40,
                            run_worker_in_app=False, log_level="WARNING")
        await migrate(settings)
        await Tortoise.init(config=tortoise_config(settings))
        tenant, owner = await create_tenant_with_owner(tenant_name="Bench", tenant_slug="bench",
                                                       email="bench@example.com", password="correct horse battery")
        with tenant_scope(tenant.id):
            stores = [await Store.create(name=f"Store {i:02d}", slug=f"s{i:02d}") for i in range(STORES)]
            for store in stores:
                for k in range(3):
                    await Zone.create(store=store, name=f"Zone {k}")
            version = (await active_survey()).version  # type: ignore[union-attr]
            _, token = await create_api_token(name="bench", scopes=["read"], created_by=owner.id)
        db = connections.get("default")
        started = time.perf_counter()
        zone_ids = []
        with tenant_scope(tenant.id):
            for store in stores:
                zone_ids += [z.id for z in await Zone.filter(store_id=store.id).order_by("name")]
        await db.execute_query(GENERATE_RESPONSES, [str(tenant.id), str(version.id), RESPONSES, DAYS,
                                                    [s.id for s in stores], zone_ids])
        await db.execute_query(GENERATE_ANSWERS, [str(tenant.id)])
        await db.execute_query(SET_OUTCOME, [str(tenant.id)])
        await db.execute_query("ANALYZE")
        results["generate_s"] = time.perf_counter() - started
        started = time.perf_counter()
        await recompute_rollups(tenant.id)
        await db.execute_query("ANALYZE")
        results["recompute_s"] = time.perf_counter() - started
        rows = await db.execute_query_dict("SELECT count(*) AS c FROM insights_daily WHERE tenant_id = $1", [tenant.id])
        results["rollup_rows"] = float(rows[0]["c"])

        today = date.today()
        store = stores[0]
        request = engine.Request(tenant_id=tenant.id, scope=engine.Scope("store", (store.id,)),
                                 start=today - timedelta(days=89), end=today, language="da")

        async def engine_call() -> float:
            t0 = time.perf_counter()
            with tenant_scope(tenant.id):
                await engine.insights(request)
            return (time.perf_counter() - t0) * 1000

        cold, warm = [], []
        for _ in range(REPEAT):
            engine.clear_cache()
            cold.append(await engine_call())
            warm.append(await engine_call())
        results["engine_cold_median_ms"] = statistics.median(cold)
        results["engine_warm_median_ms"] = statistics.median(warm)
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            engine.clear_cache()
            profiler.enable()
            await engine_call()
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)

        app = create_app(settings, manage_database=False)
        query = {"query": "query($s: InsightScopeInput!, $p: PeriodInput!) { insights(scope: $s, period: $p) { n "
                          "optimise { rank goal levers uplift { value low high } } nps { value low high } "
                          "drivers { r2 drivers { goal importance low high } } profile { items { goal "
                          "fulfilment { value low high } } } trends { weekly { start n nps } } "
                          "zones { name n } channels { key n } } }",
                 "variables": {"s": {"kind": "STORE", "ids": [encode_id("Store", store.id)]},
                               "p": {"from": (today - timedelta(days=89)).isoformat(), "to": today.isoformat()}}}
        http_cold = []
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                for _ in range(REPEAT):
                    engine.clear_cache()
                    t0 = time.perf_counter()
                    response = await client.post("/graphql", json=query, headers={"Authorization": f"Bearer {token}"})
                    http_cold.append((time.perf_counter() - t0) * 1000)
                    assert "errors" not in response.json(), response.text
        results["graphql_cold_median_ms"] = statistics.median(http_cold)
        await Tortoise.close_connections()
    finally:
        if os.environ.get("BENCH_KEEP"):
            print(f"kept database {name} (tenant {tenant.id}, first store {stores[0].id})")
        else:
            await _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return results


def main() -> None:
    url = os.environ.get("PEJLING_BENCH_DATABASE_URL") or os.environ.get("PEJLING_TEST_DATABASE_URL")
    if not url:
        print("insights bench: set PEJLING_BENCH_DATABASE_URL to a PostgreSQL server (it needs PostgreSQL)")
        return
    results = asyncio.run(run(url))
    print(f"insights bench: {RESPONSES} responses, {STORES} stores, {DAYS} days, store scope over 90 days")
    for key, value in results.items():
        ratio = f"  ({value / TARGET_MS:.2f} x the {TARGET_MS:.0f} ms target)" if key.endswith("_ms") else ""
        print(f"  {key:28s} {value:10.1f}{ratio}")


if __name__ == "__main__":
    main()

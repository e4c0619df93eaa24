"""Benchmark section ``insights``: the store insights query over a tenant with 1 000 000 responses (PostgreSQL).

    PEJLING_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python -m tests.bench insights

Creates a fresh database, a tenant with 20 stores x 3 zones, and ``BENCH_RESPONSES`` (default 1 000 000) responses
with 8 answers each over 365 days, generated in bulk SQL (``generate_series``). The rollups are then built by the
real full recomputation (timed too). Measured, ``BENCH_REPEAT`` times each, over a store's last 90 days: the engine
cold (cache cleared: every rollup query, the key drivers with their bootstrap, the linear model), warm (cache hit),
the GraphQL query over HTTP cold (in process, an API token), and the engine cold over 30 and 365 days. Reports p50
and p99 of each against the 50 ms target. Not a timed test.

:func:`run` also grows the tenant through several sizes and drives the public ingest of a served app at each (the
``growth`` section, :mod:`tests.bench.growth_bench`).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
import time
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from tests.bench import results
from tests.bench.load import percentiles_ms, run_wrk, wrk_executable
from tests.bench.server_site import (
    admin_url,
    count_responses,
    ingest_args,
    read_site,
    running_server,
    server_environment,
    throwaway_database,
)

TARGET_MS = 50.0
RESPONSES = int(os.environ.get("BENCH_RESPONSES", "1000000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "50"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
#: ``BENCH_INGEST=0``: the growth section without its ingest runs (no server, no wrk).
INGEST = os.environ.get("BENCH_INGEST", "1") != "0"
STORES = 20
DAYS = 365
RANGE_DAYS = 90
#: The other ranges the engine is timed over (cold), to see what its cost grows with.
OTHER_RANGES = (30, 365)

GENERATE_RESPONSES = """
INSERT INTO survey_response (id, tenant_id, store_id, zone_id, survey_version_id, channel, via, language, device_class,
  started_at, submitted_at, received_at, duration_ms, outcome, comment, consent_contact, quality_flags, receipt_code,
  client_key)
SELECT gen_random_uuid(), $1::uuid, ($5::uuid[])[1 + s], ($6::uuid[])[1 + 3 * s + z], $2::uuid,
  (ARRAY['qr','nfc','kiosk'])[1 + floor(random() * 3)::int], 'json', 'da', 'phone', t - interval '40 seconds', t, t,
  40000, NULL, '', false, '[]'::jsonb, 'g' || lpad(to_hex(i), 7, '0'), ''
FROM (SELECT i, floor(random() * cardinality($5::uuid[]))::int AS s, floor(random() * 3)::int AS z,
             now() - random() * $4::int * interval '1 day' AS t
      FROM generate_series($7::int + 1, $7::int + $3::int) AS i) AS g
"""

# Answers for the responses just generated: only they have no outcome yet (every ingested one sends one).
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
WHERE r.tenant_id = $1::uuid AND r.outcome IS NULL
"""

# The outcome follows the answers (ease weighs most), so the driver model has something to find.
SET_OUTCOME = """
UPDATE survey_response r SET outcome = LEAST(10, GREATEST(0, round(3 + 0.9 * a.ease + 0.3 * a.other
  + (random() - 0.5) * 3)))::int
FROM (SELECT a.response_id, avg(a.value) FILTER (WHERE a.goal = 'ease') AS ease,
        avg(a.value) FILTER (WHERE a.goal NOT IN ('ease', 'warmup')) AS other
      FROM survey_answer a JOIN survey_response n ON n.id = a.response_id
      WHERE a.tenant_id = $1::uuid AND n.outcome IS NULL GROUP BY a.response_id) a
WHERE r.id = a.response_id
"""


@dataclass
class Bench:
    """The bench tenant: its stores (the first is the one measured), zones, survey version and API token."""

    tenant_id: UUID
    store_ids: list[UUID]
    zone_ids: list[UUID]
    version_id: UUID
    token: str
    generated: int = 0


def timing(samples_ms: list[float]) -> dict[str, float]:
    """p50 and p99 (ms) of timings taken in ms, and how many."""
    cuts = percentiles_ms([sample / 1000 for sample in samples_ms])
    return {**cuts, "n": float(len(samples_ms))}


async def create_bench_tenant(slug: str = "bench") -> Bench:
    """A tenant with its owner, ``STORES`` stores of 3 zones each and a read-only API token."""
    from pejling.core.auth.api_tokens import create_api_token
    from pejling.core.surveys.survey import active_survey
    from pejling.tenants.models import Store, Zone
    from pejling.tenants.scope import tenant_scope
    from pejling.tenants.signup import create_tenant_with_owner

    tenant, owner = await create_tenant_with_owner(tenant_name="Bench", tenant_slug=slug,
                                                   email=f"{slug}@example.com", password="correct horse battery")
    with tenant_scope(tenant.id):
        stores = [await Store.create(name=f"Store {i:02d}", slug=f"s{i:02d}") for i in range(STORES)]
        zone_ids: list[UUID] = []
        for store in stores:
            for k in range(3):
                zone_ids.append((await Zone.create(store=store, name=f"Zone {k}")).id)
        version = (await active_survey()).version  # type: ignore[union-attr]
        _, token = await create_api_token(name="bench", scopes=["read"], created_by=owner.id)
    return Bench(tenant.id, [store.id for store in stores], zone_ids, version.id, token)


async def grow(bench: Bench, responses: int) -> dict[str, float]:
    """Generate ``responses`` more responses (answers, outcomes), then rebuild the rollups; both timed."""
    from tortoise import connections

    from pejling.core.insights.rollups import recompute_rollups

    db = connections.get("default")
    started = time.perf_counter()
    if responses > 0:
        from pejling.tenants.scope import tenant_scope

        with tenant_scope(bench.tenant_id):  # raw SQL: row-level security lets it write this tenant's rows only
            await db.execute_query(GENERATE_RESPONSES, [str(bench.tenant_id), str(bench.version_id), responses,
                                                        DAYS, bench.store_ids, bench.zone_ids, bench.generated])
            bench.generated += responses
            await db.execute_query(GENERATE_ANSWERS, [str(bench.tenant_id)])
            await db.execute_query(SET_OUTCOME, [str(bench.tenant_id)])
            await db.execute_query("ANALYZE")
    generated = time.perf_counter() - started
    started = time.perf_counter()
    await recompute_rollups(bench.tenant_id)
    await db.execute_query("ANALYZE")
    from pejling.tenants.scope import tenant_scope

    with tenant_scope(bench.tenant_id):
        rows = await db.execute_query_dict("SELECT count(*) AS c FROM insights_daily WHERE tenant_id = $1",
                                           [bench.tenant_id])
    return {"generate_s": generated, "recompute_s": time.perf_counter() - started, "rollup_rows": float(rows[0]["c"])}


def graphql_query(store_id: UUID, start: date, end: date) -> dict[str, Any]:
    from pejling.graphql.relay_ids import encode_id
    from tests.bench.http_bench import DASHBOARD_QUERY

    return {"query": DASHBOARD_QUERY, "variables": {"s": {"kind": "STORE", "ids": [encode_id("Store", store_id)]},
                                                    "p": {"from": start.isoformat(), "to": end.isoformat()}}}


async def time_insights(bench: Bench, settings: Any, repeat: int = REPEAT) -> dict[str, dict[str, float]]:
    """The store insights timings (ms): engine cold and warm and GraphQL cold over 90 days, engine cold over the
    other ranges."""
    import httpx
    from asgi_lifespan import LifespanManager

    from pejling.core.app import create_app
    from pejling.core.insights import engine
    from pejling.tenants.scope import tenant_scope

    today = date.today()
    store = bench.store_ids[0]

    def request(days: int) -> engine.Request:
        return engine.Request(tenant_id=bench.tenant_id, scope=engine.Scope("store", (store,)),
                              start=today - timedelta(days=days - 1), end=today, language="da")

    async def engine_call(req: engine.Request) -> float:
        t0 = time.perf_counter()
        with tenant_scope(bench.tenant_id):
            await engine.insights(req)
        return (time.perf_counter() - t0) * 1000

    samples: dict[str, list[float]] = {"engine_cold": [], "engine_warm": [], "graphql_cold": [],
                                       **{f"engine_cold_{days}d": [] for days in OTHER_RANGES}}
    for _ in range(repeat):
        engine.clear_cache()
        samples["engine_cold"].append(await engine_call(request(RANGE_DAYS)))
        samples["engine_warm"].append(await engine_call(request(RANGE_DAYS)))
    for days in OTHER_RANGES:
        for _ in range(max(2, repeat // 2)):
            engine.clear_cache()
            samples[f"engine_cold_{days}d"].append(await engine_call(request(days)))

    app = create_app(settings, manage_database=False)
    query = graphql_query(store, today - timedelta(days=RANGE_DAYS - 1), today)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for _ in range(repeat):
                engine.clear_cache()
                t0 = time.perf_counter()
                response = await client.post("/graphql", json=query,
                                             headers={"Authorization": f"Bearer {bench.token}"})
                samples["graphql_cold"].append((time.perf_counter() - t0) * 1000)
                if "errors" in response.json():
                    raise RuntimeError(f"the insights query failed: {response.text}")
    return {name: timing(values) for name, values in samples.items()}


def run(url: str, sizes: Sequence[int], *, ingest: bool = True) -> list[dict[str, Any]]:
    """Grow a fresh tenant (a throw-away database on ``url``'s server) through ``sizes`` stored responses; at each,
    time the insights and (with ``ingest`` and wrk) drive the public ingest of a served app for ``BENCH_SECONDS``.
    One point per size."""
    with throwaway_database(url) as database_url, tempfile.TemporaryDirectory(prefix="pejling-bench-") as folder:
        return asyncio.run(_grow_and_measure(database_url, Path(folder), sizes, ingest=ingest))


async def measure_size(bench: Bench, settings: Any, size: int, repeat: int = REPEAT) -> dict[str, Any]:
    """Grow the tenant to ``size`` stored responses and time its insights there: one point of the growth section."""
    # Counted as the tables' owner when there is one: the application's role sees no rows outside a tenant scope.
    url = settings.database_owner_url or settings.resolved_database_url
    stored = await count_responses(url, str(bench.tenant_id))
    point: dict[str, Any] = {"target_responses": size, **await grow(bench, max(0, size - stored))}
    point["responses"] = await count_responses(url, str(bench.tenant_id))
    point["timings"] = await time_insights(bench, settings, repeat)
    point["insights_p50_ms"] = point["timings"]["engine_cold"]["p50_ms"]
    return point


async def ingest_at(base: str, database_url: str, secret_key: str, *, warm_up: bool) -> dict[str, Any]:
    """The public ingest of the served app into the bench tenant for ``BENCH_SECONDS`` (wrk, as the HTTP bench)."""
    site = await read_site(database_url, base, secret_key, "bench")
    if warm_up:  # each worker's first requests warm its caches and connections
        run_wrk(base + site.ingest_path, "ingest.lua", connections=CONNECTIONS, seconds=2, args=ingest_args(site))
    load = run_wrk(base + site.ingest_path, "ingest.lua", connections=CONNECTIONS, seconds=SECONDS,
                   args=ingest_args(site))
    return {"ingest_per_s": load.per_second, "ingest_p50_ms": load.p50_ms, "ingest_p99_ms": load.p99_ms,
            "ingest_errors": load.errors}


async def _grow_and_measure(database_url: str, folder: Path, sizes: Sequence[int], *, ingest: bool
                            ) -> list[dict[str, Any]]:
    from tortoise import Tortoise

    from pejling.core.database import migrate, tortoise_config
    from pejling.core.settings import Settings

    points: list[dict[str, Any]] = []
    secret_key = "bench-" + secrets.token_urlsafe(32)
    settings = Settings(environment="test", database_url=database_url, secret_key=secret_key,
                        run_worker_in_app=False, log_level="WARNING")
    await migrate(settings)
    await Tortoise.init(config=tortoise_config(settings))
    try:
        bench = await create_bench_tenant()
        serve = ingest and wrk_executable() is not None
        env = server_environment(database_url, folder, secret_key)
        with (running_server(env, workers=WORKERS, log=folder / "server.log") if serve else nullcontext()) as base:
            for size in sizes:
                point = await measure_size(bench, settings, size)
                if base is not None:
                    point.update(await ingest_at(base, database_url, secret_key, warm_up=not points))
                points.append(point)
                print(f"  {point['responses']:>9,} responses: insights p50 {point['insights_p50_ms']:.1f} ms, "
                      f"ingest {point.get('ingest_per_s', 0):.0f}/s", flush=True)
    finally:
        await Tortoise.close_connections()
    return points


def insights_section(point: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ``insights`` section of a result: the timings at one size, p50 and p99 against the 50 ms target."""
    timings = point["timings"]
    data = {"responses": point["responses"], "stores": STORES, "days": DAYS, "range_days": RANGE_DAYS,
            "generate_s": point["generate_s"], "recompute_s": point["recompute_s"], "rollup_rows": point["rollup_rows"],
            "timings": timings, "target_ms": TARGET_MS}
    labels = {"engine_cold": "engine cold (cache cleared)", "engine_warm": "engine warm (cache hit)",
              "graphql_cold": "GraphQL query in process, cold",
              **{f"engine_cold_{days}d": f"engine cold over {days} days" for days in OTHER_RANGES}}
    figures = [results.figure("responses", "stored responses", point["responses"], ",.0f")]
    for name, label in labels.items():
        range_label = "" if name.startswith("engine_cold_") else f" over {RANGE_DAYS} days"
        median = name in ("engine_cold", "graphql_cold")
        figures.append(results.figure(f"{name}_p50_ms", f"{label}{range_label}: p50 ms", timings[name]["p50_ms"],
                                      target=TARGET_MS if median else None, at_most=True))
        figures.append(results.figure(f"{name}_p99_ms", f"{label}{range_label}: p99 ms", timings[name]["p99_ms"]))
    figures += [results.figure("generate_s", "bulk generation, s", point["generate_s"]),
                results.figure("recompute_s", "full rollup recomputation, s", point["recompute_s"])]
    return data, figures


def main() -> None:
    """The insights section alone, at ``BENCH_RESPONSES`` responses (no ingest)."""
    points = run(admin_url(), [RESPONSES], ingest=False)
    results.record("insights", *insights_section(points[-1]))


if __name__ == "__main__":
    main()

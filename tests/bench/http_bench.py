"""The HTTP benchmark of ``make bench`` (section ``http``): PostgreSQL-backed Pejling under wrk; not a test.

    .venv/bin/python -m tests.bench http      # PEJLING_BENCH_DATABASE_URL: a PostgreSQL server (trust auth)

Creates a throw-away database, migrates it and seeds the demo tenant with the real ``pejling`` commands, starts the
server as ``pejling serve`` does (the same options, production environment, ``BENCH_WORKERS`` processes) and drives
it with wrk from its own process. Measured in one run, each for ``BENCH_SECONDS``:

* ``ping``: ``GET /healthz`` through every middleware, the HTTP ceiling of this server on this machine;
* ``ingest``: ``POST /s/<tenant>/<store>/responses``, each request a new complete response (8 taps and the outcome)
  from its own client address (``wrk/ingest.lua``); the stored responses are counted afterwards;
* ``ingest_half``: the same, paced to half the ``ingest`` rate just measured (``wrk/ingest_paced.lua``): p50/p99
  where the server is not saturated;
* ``database``: the same rows inserted with raw asyncpg on as many connections, the database ceiling;
* ``submit_graphql``: the same responses through GraphQL's ``submitResponse`` (``wrk/submit_graphql.lua``), beside
  ``ingest``, the plain JSON endpoint calling the same ingest function;
* ``graphql``: ``{ __typename }`` with a session cookie, and ``plain``: the bench app's JSON route after the same
  middleware (session and tenant lookups) without GraphQL;
* ``dashboard_graphql``: the portal's store insights query (90 days) with a session cookie, and ``dashboard_plain``:
  the bench app's JSON route returning the same fields from the same engine call;
* ``page``: the survey page ``GET /s/<tenant>/<store>`` with gzip, renders per second and bytes over the wire.

The GraphQL and plain runs of a pair (``graphql`` and ``plain``, ``dashboard_graphql`` and ``dashboard_plain``) take
turns, ``BENCH_PAIRED_ROUNDS`` rounds of ``BENCH_SECONDS`` ÷ rounds each, and each keeps its median round: a
neighbour's job or PostgreSQL's autovacuum after the ingest runs then slows both sides of a ratio, not one.

Its figures and ratios go into this run's ``bench/results/<date>.json`` and chart (:mod:`tests.bench.results`). The
targets are those of issue 16; a benchmark reports them, it fails no build.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import tempfile
from dataclasses import asdict
from datetime import UTC, date, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.bench import results
from tests.bench.bench_app import PLAIN_INSIGHTS_PATH, PLAIN_PATH
from tests.bench.database_ceiling import database_ceiling
from tests.bench.load import Run, paced_interval_ms, parse_wrk_report, run_wrk, wrk_executable
from tests.bench.server_site import (
    Site,
    admin_url,
    cookie_header_map,
    cookie_headers,
    count_responses,
    ingest_args,
    pejling_command,
    read_site,
    running_server,
    server_environment,
    throwaway_database,
)

__all__ = ["Run", "Site", "parse_wrk_report", "run_wrk"]

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
GRAPHQL_CONNECTIONS = int(os.environ.get("BENCH_GRAPHQL_CONNECTIONS", "16"))
PAIRED_ROUNDS = max(1, int(os.environ.get("BENCH_PAIRED_ROUNDS", "3")))
GRAPHQL_BODY = json.dumps({"query": "{ __typename }"})
#: The portal's store dashboard: the sections its first screen shows.
DASHBOARD_QUERY = (
    "query Dashboard($s: InsightScopeInput!, $p: PeriodInput!) { insights(scope: $s, period: $p) { n "
    "optimise { rank goal levers uplift { value low high } } nps { value low high } "
    "drivers { r2 drivers { goal importance low high } } profile { items { goal fulfilment { value low high } } } "
    "trends { weekly { start n nps } } zones { name n } channels { key n } } }"
)
DASHBOARD_DAYS = 90

#: Issue 16's targets, by the result field they judge (``≤`` for the ones in AT_MOST).
TARGETS = {
    "ingest_per_s": 4000.0, "ingest_over_ping": 0.3, "ping_per_s": 10000.0, "ingest_half_p99_ms": 50.0,
    "graphql_per_s": 1000.0, "graphql_over_plain": 0.5, "submit_graphql_over_ingest": 0.5,
    "dashboard_over_plain": 0.5, "page_per_s": 5000.0, "page_bytes": 30 * 1024,
}
AT_MOST = frozenset({"ingest_half_p99_ms", "page_bytes"})
RUN_NAMES = ("ping", "ingest", "ingest_half", "database", "submit_graphql", "graphql", "plain", "dashboard_graphql",
             "dashboard_plain", "page")
#: The ratios of the section: (field, numerator run, denominator run).
RATIOS = (
    ("ingest_over_ping", "ingest", "ping"), ("ingest_over_database", "ingest", "database"),
    ("submit_graphql_over_ingest", "submit_graphql", "ingest"), ("graphql_over_plain", "graphql", "plain"),
    ("dashboard_over_plain", "dashboard_graphql", "dashboard_plain"),
)
#: Every field of the section's data (the smoke test checks them).
RESULT_FIELDS = (
    "server", "seconds", "connections", "graphql_connections", "runs", "ingest_stored", "submit_graphql_stored",
    "ingest_half_target_per_s", "paired_rounds_per_s",
    *(f"{name}_{unit}" for name in RUN_NAMES for unit in ("per_s", "p50_ms", "p99_ms")),
    *(name for name, _, _ in RATIOS), "page_bytes", "page_body_bytes", "targets",
)
LABELS = {
    "ping": "ping GET /healthz (HTTP ceiling)", "ingest": "public ingest (8-tap responses)",
    "ingest_half": "public ingest paced to half its rate", "database": "asyncpg inserts (database ceiling)",
    "submit_graphql": "GraphQL submitResponse (same responses)", "graphql": "GraphQL { __typename }, cookie",
    "plain": "plain JSON route, same lookups", "dashboard_graphql": "GraphQL store insights (dashboard), cookie",
    "dashboard_plain": "plain JSON insights, same engine call", "page": "survey page GET (gzip)",
}


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def build_result(runs: dict[str, Run], *, server: str, ingest_stored: int, page_body_bytes: int,
                 submit_graphql_stored: int = 0, ingest_half_target_per_s: float = 0.0,
                 paired_rounds_per_s: dict[str, list[float]] | None = None) -> dict[str, Any]:
    """The section's data: every run, the headline figures, the ratios and the targets they are held to."""
    result: dict[str, Any] = {
        "server": server, "seconds": SECONDS, "connections": CONNECTIONS, "graphql_connections": GRAPHQL_CONNECTIONS,
        "runs": {name: {**asdict(run), "per_second": run.per_second} for name, run in runs.items()},
        "ingest_stored": ingest_stored, "submit_graphql_stored": submit_graphql_stored,
        "ingest_half_target_per_s": ingest_half_target_per_s, "paired_rounds_per_s": paired_rounds_per_s or {},
    }
    for name in RUN_NAMES:
        run = runs[name]
        result[f"{name}_per_s"] = run.per_second
        result[f"{name}_p50_ms"] = run.p50_ms
        result[f"{name}_p99_ms"] = run.p99_ms
    for field, numerator, denominator in RATIOS:
        result[field] = _ratio(runs[numerator].per_second, runs[denominator].per_second)
    page = runs["page"]
    result["page_bytes"] = page.bytes / page.requests if page.requests else 0.0
    result["page_body_bytes"] = page_body_bytes
    result["targets"] = TARGETS
    return {field: result[field] for field in RESULT_FIELDS}


def figures(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The section's table: each run's rate and latency, then every ratio and target."""
    rows = [results.run_row(name, LABELS[name], result["runs"][name]) for name in RUN_NAMES]
    for name in ("ping", "ingest", "graphql", "page"):
        label = "small query (GraphQL { __typename })" if name == "graphql" else LABELS[name]
        rows.append(results.figure(f"{name}_per_s", f"{label}, per s", result[f"{name}_per_s"], ".0f",
                                   target=TARGETS[f"{name}_per_s"]))
    rows.append(results.figure("ingest_half_target_per_s", "half the ingest rate (the paced run's aim), per s",
                               result["ingest_half_target_per_s"], ".0f"))
    rows.append(results.figure("ingest_half_p99_ms", "ingest p99 at half the rate, ms", result["ingest_half_p99_ms"],
                               ".1f", target=TARGETS["ingest_half_p99_ms"], at_most=True))
    for field, _, _ in RATIOS:
        rows.append(results.figure(field, field.replace("_over_", " ÷ "), result[field], ".3f",
                                   target=TARGETS.get(field)))
    rows.append(results.figure("page_bytes", "survey page bytes over the wire (with headers)", result["page_bytes"],
                               ".0f", target=TARGETS["page_bytes"], at_most=True))
    rows.append(results.figure("page_body_bytes", "survey page gzip body alone, bytes", result["page_body_bytes"],
                               ".0f"))
    rows.append(results.figure("ingest_stored", "ingest: responses stored", result["ingest_stored"], ".0f"))
    rows.append(results.figure("submit_graphql_stored", "submitResponse: responses stored",
                               result["submit_graphql_stored"], ".0f"))
    return rows


def page_body_bytes(site: Site) -> int:
    """The survey page's body as sent with gzip (bytes on the wire, headers not counted)."""
    response = httpx.get(site.base + site.page_path, headers={"Accept-Encoding": "gzip"})
    response.raise_for_status()
    return int(response.num_bytes_downloaded)


def dashboard_bodies(site: Site, today: date | None = None) -> tuple[str, str]:
    """The GraphQL dashboard request and the plain route's request for the same store and 90 days."""
    from pejling.graphql.relay_ids import encode_id

    end = today or date.today()
    start = end - timedelta(days=DASHBOARD_DAYS - 1)
    graphql = json.dumps({"query": DASHBOARD_QUERY, "variables": {
        "s": {"kind": "STORE", "ids": [encode_id("Store", site.store_uuid)]},
        "p": {"from": start.isoformat(), "to": end.isoformat()}}})
    plain = json.dumps({"store": site.store_id, "from": start.isoformat(), "to": end.isoformat()})
    return graphql, plain


def submit_body(site: Site) -> str:
    """One submitResponse mutation like ``wrk/submit_graphql.lua``'s (for the check before the load)."""
    import uuid
    from datetime import datetime

    submitted = datetime.now(UTC) - timedelta(minutes=1)
    taps = [(statement, True) for statement in site.warmup_ids] + [(s, False) for s in site.statement_ids]
    answers = [{"statementId": statement, "value": 5 if warmup else 3, "position": position, "reactionMs": 900,
                "warmup": warmup} for position, (statement, warmup) in enumerate(taps)]
    mutation = ("mutation Submit($input: ResponseInput!) { submitResponse(input: $input) { response { id } "
                "errors { code message field } } }")
    return json.dumps({"query": mutation, "variables": {"input": {
        "id": str(uuid.uuid4()), "tenantSlug": site.tenant_slug, "storeSlug": site.store_slug,
        "surveyVersionId": site.version_id, "zoneId": site.zone_id, "channel": "qr", "language": "da",
        "startedAt": (submitted - timedelta(seconds=40)).isoformat(), "submittedAt": submitted.isoformat(),
        "answers": answers, "outcome": 8}}})


def median_run(taken: list[Run]) -> Run:
    """The run of median rate among rounds of the same request (the lower middle of an even number)."""
    return sorted(taken, key=lambda run: run.per_second)[(len(taken) - 1) // 2]


def check_site(site: Site) -> None:
    """Fail early, with the server's answer, when the load would only measure refusals or errors."""
    cookie = {"Content-Type": "application/json", **cookie_header_map(site)}
    with httpx.Client(base_url=site.base, timeout=60) as client:
        graphql = client.post("/graphql", content=GRAPHQL_BODY, headers=cookie)
        if graphql.status_code != 200 or graphql.json().get("data") != {"__typename": "Query"}:
            raise RuntimeError(f"GraphQL with the bench session failed: {graphql.status_code} {graphql.text}")
        plain = client.post(PLAIN_PATH, content=GRAPHQL_BODY, headers=cookie)
        if plain.status_code != 200:
            raise RuntimeError(f"the plain route failed: {plain.status_code} {plain.text}")
        submitted = client.post("/graphql", content=submit_body(site), headers={
            "Content-Type": "application/json", "X-Forwarded-For": "10.255.255.1"})
        payload = submitted.json().get("data", {}) or {}
        if submitted.status_code != 200 or (payload.get("submitResponse") or {}).get("errors") != []:
            raise RuntimeError(f"submitResponse failed: {submitted.status_code} {submitted.text}")
        graphql_body, plain_body = dashboard_bodies(site)
        dashboard = client.post("/graphql", content=graphql_body, headers=cookie)
        if dashboard.status_code != 200 or "errors" in dashboard.json():
            raise RuntimeError(f"the dashboard query failed: {dashboard.status_code} {dashboard.text}")
        plain_dashboard = client.post(PLAIN_INSIGHTS_PATH, content=plain_body, headers=cookie)
        if plain_dashboard.status_code != 200 or plain_dashboard.json().get("n") != dashboard.json()["data"][
                "insights"]["n"]:
            raise RuntimeError(f"the plain insights route failed: {plain_dashboard.status_code} {plain_dashboard.text}")


def measure(site: Site, database_url: str, seconds: float = SECONDS) -> tuple[dict[str, Run], dict[str, Any]]:
    """Every run against the running server (and the database ceiling beside it); also what was stored."""
    runs: dict[str, Run] = {}
    extra: dict[str, Any] = {}
    base = site.base

    def stored(during: str, url: str, script: str, args: tuple[str, ...]) -> None:
        before = asyncio.run(count_responses(database_url, site.tenant_id))
        runs[during] = run_wrk(url, script, connections=CONNECTIONS, seconds=seconds, args=args)
        extra[f"{during}_stored"] = asyncio.run(count_responses(database_url, site.tenant_id)) - before

    check_site(site)
    run_wrk(base + "/healthz", "get.lua", connections=CONNECTIONS, seconds=2)  # warm every worker up
    runs["ping"] = run_wrk(base + "/healthz", "get.lua", connections=CONNECTIONS, seconds=seconds)
    stored("ingest", base + site.ingest_path, "ingest.lua", ingest_args(site))
    half = runs["ingest"].per_second / 2
    extra["ingest_half_target_per_s"] = half
    runs["ingest_half"] = run_wrk(base + site.ingest_path, "ingest_paced.lua", connections=CONNECTIONS,
                                  seconds=seconds, args=(*ingest_args(site), f"{paced_interval_ms(half, CONNECTIONS)}"))
    runs["database"] = asyncio.run(database_ceiling(database_url, site, connections=CONNECTIONS, seconds=seconds))
    stored("submit_graphql", base + "/graphql", "submit_graphql.lua",
           (*ingest_args(site), site.tenant_slug, site.store_slug))
    graphql_dashboard, plain_dashboard = dashboard_bodies(site)
    for pair in ((("graphql", "/graphql", GRAPHQL_BODY), ("plain", PLAIN_PATH, GRAPHQL_BODY)),
                 (("dashboard_graphql", "/graphql", graphql_dashboard),
                  ("dashboard_plain", PLAIN_INSIGHTS_PATH, plain_dashboard))):
        if pair[0][0] == "dashboard_graphql":  # the ingest runs changed the data: fill every worker's cache first
            run_wrk(base + PLAIN_INSIGHTS_PATH, "post_json.lua", connections=GRAPHQL_CONNECTIONS, seconds=2,
                    headers=cookie_headers(site), args=(plain_dashboard,))
        rounds: dict[str, list[Run]] = {name: [] for name, _, _ in pair}
        for _ in range(PAIRED_ROUNDS):
            for name, path, body in pair:
                rounds[name].append(run_wrk(base + path, "post_json.lua", connections=GRAPHQL_CONNECTIONS,
                                            seconds=seconds / PAIRED_ROUNDS, headers=cookie_headers(site),
                                            args=(body,)))
        for name, taken in rounds.items():
            runs[name] = median_run(taken)
            extra.setdefault("paired_rounds_per_s", {})[name] = [round(run.per_second, 1) for run in taken]
    runs["page"] = run_wrk(base + site.page_path, "get.lua", connections=CONNECTIONS, seconds=seconds,
                           headers=("Accept-Encoding: gzip",))
    return runs, extra


def main() -> None:
    """Run the HTTP section once (a throw-away database on ``PEJLING_BENCH_DATABASE_URL``'s server)."""
    if wrk_executable() is None:
        print("http bench: wrk is not installed (make bench installs it: apt-get install -y wrk)")
        return
    secret_key = secrets.token_urlsafe(32)
    with throwaway_database(admin_url()) as database_url, tempfile.TemporaryDirectory(prefix="pejling-bench-") as tmp:
        var_dir = Path(tmp)
        env = server_environment(database_url, var_dir, secret_key)
        for command in (("migrate",), ("demo",)):
            subprocess.run(pejling_command(*command), env=env, cwd=var_dir, check=True, capture_output=True)
        from pejling.tenants.demo import DEMO_SLUG

        with running_server(env, workers=WORKERS, log=var_dir / "server.log") as base:
            site = asyncio.run(read_site(database_url, base, secret_key, DEMO_SLUG))
            body_bytes = page_body_bytes(site)
            runs, extra = measure(site, database_url)
    server = f"uvicorn, {WORKERS} worker{'s' if WORKERS != 1 else ''}"
    result = build_result(runs, server=server, page_body_bytes=body_bytes, **extra)
    results.record("http", result, figures(result))


if __name__ == "__main__":
    main()

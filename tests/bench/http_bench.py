"""The HTTP benchmark of ``make bench``: PostgreSQL-backed Pejling under a real load generator (wrk); not a test.

    .venv/bin/python -m tests.bench.http_bench      # PEJLING_BENCH_DATABASE_URL: a PostgreSQL server (trust auth)

Creates a throw-away database ``pejling_bench_<pid>`` on that server, migrates it and seeds the demo tenant with the
real ``pejling`` commands, starts the server as ``pejling serve`` does (the same options, production environment,
``BENCH_WORKERS`` processes) and drives it with wrk from its own process. Measured in one run, each for
``BENCH_SECONDS``:

* ``ping``: ``GET /healthz`` through every middleware, the HTTP ceiling of this server on this machine;
* ``ingest``: ``POST /s/<tenant>/<store>/responses``, each request a new complete response (8 taps and the outcome)
  from its own client address (``tests/bench/wrk/ingest.lua``); the stored responses are counted afterwards;
* ``database``: the same rows (the response and its 8 answers, one transaction each) inserted with raw asyncpg on
  as many connections, the database ceiling;
* ``graphql``: ``{ __typename }`` with a session cookie, and ``plain``: the bench app's JSON route doing the same
  database work (the middleware's session and tenant lookups) without GraphQL;
* ``page``: the survey page ``GET /s/<tenant>/<store>`` with gzip, renders per second and bytes over the wire.

Writes ``bench/results/<UTC date and time>.json`` and a PNG chart beside it, prints a table, drops the database.
The targets are those of issue 16; a benchmark reports them, it fails no build.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

ROOT = Path(__file__).resolve().parents[2]
WRK_SCRIPTS = Path(__file__).resolve().parent / "wrk"
RESULTS = ROOT / "bench" / "results"
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
GRAPHQL_CONNECTIONS = int(os.environ.get("BENCH_GRAPHQL_CONNECTIONS", "16"))
WRK_THREADS = 2
DEFAULT_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
GRAPHQL_BODY = json.dumps({"query": "{ __typename }"})
PLAIN_PATH = "/bench/typename"

#: Issue 16's targets, by the result field they judge.
TARGETS = {
    "ingest_per_s": 4000.0, "ingest_over_ping": 0.3, "ping_per_s": 10000.0, "graphql_per_s": 1000.0,
    "graphql_over_plain": 0.5, "page_per_s": 5000.0, "page_bytes": 30 * 1024,
}
#: Every field of a result file (the smoke test checks them).
RESULT_FIELDS = (
    "date", "machine", "server", "seconds", "connections", "graphql_connections", "runs", "ingest_stored",
    "ingest_per_s", "ingest_p50_ms", "ingest_p99_ms", "ping_per_s", "ping_p50_ms", "ping_p99_ms", "database_per_s",
    "database_p50_ms", "database_p99_ms", "ingest_over_ping", "ingest_over_database", "graphql_per_s",
    "graphql_p50_ms", "graphql_p99_ms", "plain_per_s", "plain_p50_ms", "plain_p99_ms", "graphql_over_plain",
    "page_per_s", "page_p50_ms", "page_p99_ms", "page_bytes", "page_body_bytes", "targets",
)
RUN_NAMES = ("ping", "ingest", "database", "graphql", "plain", "page")


@dataclass
class Run:
    """One load run: how many requests completed in how long, their latency and what went wrong."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int = 0
    bytes: int = 0

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Site:
    """What the load needs to know of the seeded database and the running server."""

    base: str
    tenant_slug: str
    store_slug: str
    version_id: str
    zone_id: str
    warmup_ids: list[str]
    statement_ids: list[str]
    tenant_id: str = ""
    store_id: str = ""
    statement_goals: dict[str, str] | None = None
    session_cookie: str = ""

    @property
    def ingest_path(self) -> str:
        return f"/s/{self.tenant_slug}/{self.store_slug}/responses"

    @property
    def page_path(self) -> str:
        return f"/s/{self.tenant_slug}/{self.store_slug}"


# -- wrk ---------------------------------------------------------------------------------------------------------

def wrk_executable() -> str | None:
    """The wrk on PATH, or None (``make bench`` and ``make test`` install the Debian package)."""
    return shutil.which("wrk")


_REPORT = re.compile(r"^PEJLING_WRK (\{.*\})$", re.MULTILINE)


def parse_wrk_report(output: str) -> Run:
    """The :class:`Run` of the JSON line ``tests/bench/wrk/report.lua`` prints at the end of a wrk run."""
    match = _REPORT.search(output)
    if match is None:
        raise RuntimeError(f"wrk printed no report:\n{output}")
    report = json.loads(match.group(1))
    errors = sum(report[key] for key in ("connect_errors", "read_errors", "write_errors", "status_errors",
                                         "timeouts"))
    return Run(requests=report["requests"], seconds=report["duration_us"] / 1e6, p50_ms=report["p50_us"] / 1000,
               p99_ms=report["p99_us"] / 1000, errors=errors, bytes=report["bytes"])


def run_wrk(url: str, script: str, *, connections: int, seconds: float, headers: tuple[str, ...] = (),
            args: tuple[str, ...] = ()) -> Run:
    """Drive ``url`` with wrk and one of ``tests/bench/wrk/*.lua`` for ``seconds``."""
    executable = wrk_executable()
    if executable is None:
        raise RuntimeError("wrk is not installed (apt-get install -y wrk)")
    command = [executable, f"-t{min(WRK_THREADS, connections)}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
               "--latency", "--timeout", "10s", "-s", str(WRK_SCRIPTS / script)]
    for header in headers:
        command += ["-H", header]
    command += [url, "--", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_wrk_report(done.stdout)


def ingest_args(site: Site, now: datetime | None = None) -> tuple[str, ...]:
    """The arguments of ``ingest.lua``: survey version, zone, warm-up and statement ids, start and end times."""
    started = (now or datetime.now(UTC)) - timedelta(minutes=2)
    return (site.version_id, site.zone_id, ",".join(site.warmup_ids), ",".join(site.statement_ids),
            started.isoformat(), (started + timedelta(seconds=40)).isoformat())


def cookie_headers(site: Site) -> tuple[str, ...]:
    """A logged-in browser's headers: the session (and CSRF) cookie and the tenant it works in."""
    return (f"Cookie: {site.session_cookie}", f"X-Pejling-Tenant: {site.tenant_slug}")


# -- the database ceiling ------------------------------------------------------------------------------------------

INSERT_RESPONSE = """
INSERT INTO survey_response (id, tenant_id, store_id, zone_id, survey_version_id, channel, via, language,
  device_class, started_at, submitted_at, received_at, duration_ms, outcome, comment, consent_contact, quality_flags,
  receipt_code, client_key, submission_digest)
VALUES ($1, $2, $3, $4, $5, 'qr', 'json', 'da', 'phone', $6, $7, now(), 40000, $8, '', false, '[]'::jsonb, $9, $10,
  $11)
"""
INSERT_ANSWERS = """
INSERT INTO survey_answer (id, tenant_id, response_id, store_id, submitted_at, statement_id, goal, polarity, value,
  position, reaction_ms, warmup)
SELECT gen_random_uuid(), $1, $2, $3, $4, a.statement_id, a.goal, 1, a.value, a.position, a.reaction_ms, a.warmup
FROM unnest($5::text[], $6::text[], $7::smallint[], $8::smallint[], $9::int[], $10::bool[])
  AS a(statement_id, goal, value, position, reaction_ms, warmup)
"""


def asyncpg_url(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


async def database_ceiling(url: str, site: Site, *, connections: int, seconds: float) -> Run:
    """Insert complete responses (the row and its answers, one transaction each) with raw asyncpg for ``seconds``."""
    import asyncpg

    goals = site.statement_goals or {}
    taps = [*site.warmup_ids, *site.statement_ids]
    tenant, store, zone, version = (uuid.UUID(site.tenant_id), uuid.UUID(site.store_id), uuid.UUID(site.zone_id),
                                    uuid.UUID(site.version_id))
    latencies: list[float] = []
    pool = await asyncpg.create_pool(asyncpg_url(url), min_size=connections, max_size=connections)
    started = time.perf_counter()
    stop = started + seconds

    async def insert_until_stopped() -> None:
        async with pool.acquire() as connection:
            while (begun := time.perf_counter()) < stop:
                submitted = datetime.now(UTC) - timedelta(minutes=1)
                response_id = uuid.uuid4()
                async with connection.transaction():
                    await connection.execute(
                        INSERT_RESPONSE, response_id, tenant, store, zone, version, submitted - timedelta(seconds=40),
                        submitted, secrets.randbelow(11), secrets.token_hex(4), secrets.token_hex(16),
                        hashlib.sha256(response_id.bytes).hexdigest(),
                    )
                    await connection.execute(
                        INSERT_ANSWERS, tenant, response_id, store, submitted, taps,
                        [goals.get(statement, "warmup") for statement in taps],
                        [5 if statement in site.warmup_ids else 1 + secrets.randbelow(5) for statement in taps],
                        list(range(len(taps))), [650 + secrets.randbelow(2000) for _ in taps],
                        [statement in site.warmup_ids for statement in taps],
                    )
                latencies.append(time.perf_counter() - begun)

    try:
        await asyncio.gather(*(insert_until_stopped() for _ in range(connections)))
    finally:
        await pool.close()
    elapsed = time.perf_counter() - started
    return Run(requests=len(latencies), seconds=elapsed, **_percentiles_ms(latencies))


def _percentiles_ms(latencies: list[float]) -> dict[str, float]:
    if len(latencies) < 2:
        return {"p50_ms": 1000 * (latencies[0] if latencies else 0.0), "p99_ms": 1000 * (latencies[0] if latencies
                                                                                          else 0.0)}
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"p50_ms": 1000 * cuts[49], "p99_ms": 1000 * cuts[98]}


# -- the result ---------------------------------------------------------------------------------------------------

def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def build_result(runs: dict[str, Run], *, server: str, ingest_stored: int, page_body_bytes: int,
                 date: datetime | None = None) -> dict[str, Any]:
    """The result file's content: every run, the headline figures, the ratios and the targets they are held to."""
    result: dict[str, Any] = {
        "date": (date or datetime.now(UTC)).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "platform": sys.platform, "python": sys.version.split()[0]},
        "server": server, "seconds": SECONDS, "connections": CONNECTIONS, "graphql_connections": GRAPHQL_CONNECTIONS,
        "runs": {name: {**asdict(run), "per_second": run.per_second} for name, run in runs.items()},
        "ingest_stored": ingest_stored,
    }
    for name in RUN_NAMES:
        run = runs[name]
        result[f"{name}_per_s"] = run.per_second
        result[f"{name}_p50_ms"] = run.p50_ms
        result[f"{name}_p99_ms"] = run.p99_ms
    result["ingest_over_ping"] = _ratio(runs["ingest"].per_second, runs["ping"].per_second)
    result["ingest_over_database"] = _ratio(runs["ingest"].per_second, runs["database"].per_second)
    result["graphql_over_plain"] = _ratio(runs["graphql"].per_second, runs["plain"].per_second)
    page = runs["page"]
    result["page_bytes"] = page.bytes / page.requests if page.requests else 0.0
    result["page_body_bytes"] = page_body_bytes
    result["targets"] = TARGETS
    return {field: result[field] for field in RESULT_FIELDS}


def table(result: dict[str, Any]) -> str:
    """The printed table: each path's rate and latency, the ratios, each beside its target."""
    runs = result["runs"]
    rows = [f"{'path':34s} {'per s':>9s} {'p50 ms':>8s} {'p99 ms':>8s} {'errors':>7s}"]
    labels = {
        "ping": "ping GET /healthz (HTTP ceiling)", "ingest": "public ingest (8-tap responses)",
        "database": "asyncpg inserts (database ceiling)", "graphql": "GraphQL { __typename }, cookie",
        "plain": "plain JSON route, same lookups", "page": "survey page GET (gzip)",
    }
    for name in RUN_NAMES:
        run = runs[name]
        rows.append(f"{labels[name]:34s} {run['per_second']:9.0f} {run['p50_ms']:8.1f} {run['p99_ms']:8.1f} "
                    f"{run['errors']:7d}")

    def figure(key: str, value: float | None, fmt: str) -> str:
        target = TARGETS.get(key)
        shown = "n/a" if value is None else format(value, fmt)
        if target is None or value is None:
            return f"  {key:22s} {shown:>10s}"
        met = value <= target if key == "page_bytes" else value >= target
        return f"  {key:22s} {shown:>10s}   target {'≤' if key == 'page_bytes' else '≥'} {target:g}: " + (
            "met" if met else f"missed ({value / target:.2f} x)")

    rows += [
        "", f"server: {result['server']}; {result['connections']} connections ({result['graphql_connections']} for "
        f"GraphQL), {result['seconds']:g} s each; ingest stored {result['ingest_stored']} responses",
        figure("ingest_per_s", result["ingest_per_s"], ".0f"),
        figure("ping_per_s", result["ping_per_s"], ".0f"),
        figure("ingest_over_ping", result["ingest_over_ping"], ".3f"),
        figure("ingest_over_database", result["ingest_over_database"], ".3f"),
        figure("graphql_per_s", result["graphql_per_s"], ".0f"),
        figure("graphql_over_plain", result["graphql_over_plain"], ".3f"),
        figure("page_per_s", result["page_per_s"], ".0f"),
        figure("page_bytes", result["page_bytes"], ".0f"),
        f"  {'page_body_bytes':22s} {result['page_body_bytes']:>10d}   (gzip body alone)",
    ]
    return "\n".join(rows)


def write_chart(result: dict[str, Any], path: Path) -> None:
    """A PNG bar chart of the rates (log scale) with the ratios in its title."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    names = list(RUN_NAMES)
    rates = [result["runs"][name]["per_second"] for name in names]
    figure, axes = pyplot.subplots(figsize=(8, 4.5), dpi=100)
    bars = axes.bar(names, rates, color=["#777", "#1f77b4", "#777", "#ff7f0e", "#777", "#2ca02c"])
    axes.bar_label(bars, labels=[f"{rate:.0f}" for rate in rates])
    axes.set_yscale("log")
    axes.set_ylabel("requests (or responses) per second")

    def shown(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    axes.set_title(f"Pejling {result['date']} ({result['server']})\ningest/ping {shown(result['ingest_over_ping'])}, "
                   f"ingest/asyncpg {shown(result['ingest_over_database'])}, GraphQL/plain "
                   f"{shown(result['graphql_over_plain'])}", fontsize=10)
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)


def write_result(result: dict[str, Any], folder: Path = RESULTS) -> tuple[Path, Path]:
    """Write ``<folder>/<date>.json`` and ``<folder>/<date>.png``; returns both paths."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = result["date"].replace(":", "-").replace("+00-00", "Z")
    json_path, png_path = folder / f"{stem}.json", folder / f"{stem}.png"
    json_path.write_text(json.dumps(result, indent=2) + "\n")
    write_chart(result, png_path)
    return json_path, png_path


# -- the server under test ----------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_environment(database_url: str, var_dir: Path, secret_key: str) -> dict[str, str]:
    """Production settings, one database, a web process without the job worker (``pejling worker`` runs apart)."""
    return {
        **os.environ, "PEJLING_DATABASE_URL": database_url, "PEJLING_VAR_DIR": str(var_dir),
        "PEJLING_ENVIRONMENT": "production", "PEJLING_SECRET_KEY": secret_key, "PEJLING_MAIL_TO_FILES": "true",
        "PEJLING_RUN_WORKER_IN_APP": "false", "PEJLING_TRUSTED_PROXIES": '["127.0.0.1"]',
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    }


def pejling_command(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("pejling")), *args]


@contextmanager
def running_server(env: dict[str, str], *, workers: int, log: Path) -> Iterator[str]:
    """Serve the bench app (``pejling serve``'s options) on a free port until the block ends; yields its base URL."""
    from tests.support.server import wait_until_healthy

    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.bench.serve", "--host", "127.0.0.1", "--port", str(port), "--workers",
             str(workers)], env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_healthy(process, base, attempts=600)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def database_url_named(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def _admin(url: str, sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(asyncpg_url(url))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def read_site(database_url: str, base: str, settings_secret: str, tenant_slug: str) -> Site:
    """The demo tenant's first store, zone and active survey version, and a fresh session of its owner."""
    import asyncpg

    from pejling.core.auth.csrf import CSRF_COOKIE, csrf_token_for
    from pejling.core.auth.sessions import SESSION_COOKIE
    from pejling.core.settings import Settings

    connection = await asyncpg.connect(asyncpg_url(database_url))
    try:
        tenant_id = await connection.fetchval("SELECT id FROM tenant WHERE slug = $1", tenant_slug)
        store = await connection.fetchrow("SELECT id, slug FROM store WHERE tenant_id = $1 ORDER BY slug LIMIT 1",
                                          tenant_id)
        zone_id = await connection.fetchval("SELECT id FROM zone WHERE store_id = $1 ORDER BY id LIMIT 1", store["id"])
        version = await connection.fetchrow(
            "SELECT id, statement_ids, warmup_ids FROM survey_version WHERE tenant_id = $1 AND active", tenant_id)
        goals = dict(await connection.fetch("SELECT id::text, goal FROM survey_statement WHERE tenant_id = $1",
                                            tenant_id))
        owner = await connection.fetchval(
            "SELECT user_id FROM membership WHERE tenant_id = $1 AND role = 'owner' ORDER BY created_at LIMIT 1",
            tenant_id)
        secret = secrets.token_urlsafe(32)
        session_id = uuid.uuid4()
        now = datetime.now(UTC)
        await connection.execute(
            "INSERT INTO auth_session (id, token_hash, user_id, created_at, expires_at, last_seen_at, user_agent) "
            "VALUES ($1, $2, $3, $4, $5, $4, 'bench')", session_id, hashlib.sha256(secret.encode()).hexdigest(), owner,
            now, now + timedelta(days=1))
    finally:
        await connection.close()
    csrf = csrf_token_for(Settings(secret_key=settings_secret), session_id)
    return Site(
        base=base, tenant_slug=tenant_slug, store_slug=store["slug"], version_id=str(version["id"]),
        zone_id=str(zone_id), warmup_ids=list(json.loads(version["warmup_ids"])),
        statement_ids=list(json.loads(version["statement_ids"])), tenant_id=str(tenant_id), store_id=str(store["id"]),
        statement_goals=goals, session_cookie=f"{SESSION_COOKIE}={secret}; {CSRF_COOKIE}={csrf}",
    )


async def count_responses(database_url: str, tenant_id: str) -> int:
    import asyncpg

    connection = await asyncpg.connect(asyncpg_url(database_url))
    try:
        return int(await connection.fetchval("SELECT count(*) FROM survey_response WHERE tenant_id = $1",
                                             uuid.UUID(tenant_id)))
    finally:
        await connection.close()


def page_body_bytes(site: Site) -> int:
    """The survey page's body as sent with gzip (bytes on the wire, headers not counted)."""
    response = httpx.get(site.base + site.page_path, headers={"Accept-Encoding": "gzip"})
    response.raise_for_status()
    return int(response.num_bytes_downloaded)


def check_site(site: Site) -> None:
    """Fail early, with the server's answer, when the load would only measure refusals."""
    with httpx.Client(base_url=site.base) as client:
        graphql = client.post("/graphql", content=GRAPHQL_BODY, headers={
            "Content-Type": "application/json", "Cookie": site.session_cookie, "X-Pejling-Tenant": site.tenant_slug})
        if graphql.status_code != 200 or graphql.json().get("data") != {"__typename": "Query"}:
            raise RuntimeError(f"GraphQL with the bench session failed: {graphql.status_code} {graphql.text}")
        plain = client.post(PLAIN_PATH, content=GRAPHQL_BODY, headers={
            "Content-Type": "application/json", "Cookie": site.session_cookie, "X-Pejling-Tenant": site.tenant_slug})
        if plain.status_code != 200:
            raise RuntimeError(f"the plain route failed: {plain.status_code} {plain.text}")


def measure(site: Site, database_url: str, seconds: float = SECONDS) -> tuple[dict[str, Run], int]:
    """Every run against the running server (and the database ceiling beside it); also the responses stored."""
    runs: dict[str, Run] = {}
    base = site.base
    run_wrk(base + "/healthz", "get.lua", connections=CONNECTIONS, seconds=2)  # warm every worker up
    runs["ping"] = run_wrk(base + "/healthz", "get.lua", connections=CONNECTIONS, seconds=seconds)
    before = asyncio.run(count_responses(database_url, site.tenant_id))
    runs["ingest"] = run_wrk(base + site.ingest_path, "ingest.lua", connections=CONNECTIONS, seconds=seconds,
                             args=ingest_args(site))
    stored = asyncio.run(count_responses(database_url, site.tenant_id)) - before
    runs["database"] = asyncio.run(database_ceiling(database_url, site, connections=CONNECTIONS, seconds=seconds))
    check_site(site)
    runs["graphql"] = run_wrk(base + "/graphql", "post_json.lua", connections=GRAPHQL_CONNECTIONS, seconds=seconds,
                              headers=cookie_headers(site), args=(GRAPHQL_BODY,))
    runs["plain"] = run_wrk(base + PLAIN_PATH, "post_json.lua", connections=GRAPHQL_CONNECTIONS, seconds=seconds,
                            headers=cookie_headers(site), args=(GRAPHQL_BODY,))
    runs["page"] = run_wrk(base + site.page_path, "get.lua", connections=CONNECTIONS, seconds=seconds,
                           headers=("Accept-Encoding: gzip",))
    return runs, stored


def main() -> None:
    """Run the whole HTTP bench once (a throw-away database on ``PEJLING_BENCH_DATABASE_URL``'s server)."""
    if wrk_executable() is None:
        print("http bench: wrk is not installed (make bench installs it: apt-get install -y wrk)")
        return
    admin = os.environ.get("PEJLING_BENCH_DATABASE_URL") or DEFAULT_ADMIN_URL
    name = f"pejling_bench_{os.getpid()}"
    database_url = database_url_named(admin, name)
    secret_key = secrets.token_urlsafe(32)
    asyncio.run(_admin(admin, f'CREATE DATABASE "{name}"'))
    try:
        with tempfile.TemporaryDirectory(prefix="pejling-bench-") as folder:
            var_dir = Path(folder)
            env = server_environment(database_url, var_dir, secret_key)
            for command in (("migrate",), ("demo",)):
                subprocess.run(pejling_command(*command), env=env, cwd=var_dir, check=True, capture_output=True)
            from pejling.tenants.demo import DEMO_SLUG

            with running_server(env, workers=WORKERS, log=var_dir / "server.log") as base:
                site = asyncio.run(read_site(database_url, base, secret_key, DEMO_SLUG))
                body_bytes = page_body_bytes(site)
                runs, stored = measure(site, database_url)
            server = f"uvicorn, {WORKERS} worker{'s' if WORKERS != 1 else ''}"
            result = build_result(runs, server=server, ingest_stored=stored, page_body_bytes=body_bytes)
            json_path, png_path = write_result(result)
    finally:
        asyncio.run(_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(table(result))
    print(f"  written: {json_path.relative_to(ROOT)}, {png_path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

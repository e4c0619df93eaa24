"""The scale-out topology on one machine (``make bench``, section ``topology``): not a test, it prints figures.

    .venv/bin/python -m tests.bench.topology_bench      # PEJLING_BENCH_DATABASE_URL: a PostgreSQL server (trust auth)

Starts what docs/deployment.md describes, on one machine:

* PostgreSQL: a throw-away database on the local server, migrated and seeded with the real ``pejling`` commands;
* PgBouncer in transaction pooling (its own config in a temporary folder, a free port), which every Pejling process
  talks to (``PEJLING_DATABASE_POOLER=pgbouncer``);
* Redis: the local one (``TOPOLOGY_REDIS_URL``, default ``redis://127.0.0.1:6379/14``) for rate limits and pub/sub;
* two app processes (``pejling serve`` on two ports, ``PEJLING_RUN_WORKER_IN_APP=false``) and one ``pejling worker``.

A live-feed client connects to app 2 (``GET /api/live/responses``); then shoppers submit complete responses for
``TOPOLOGY_SECONDS`` from ``TOPOLOGY_CONCURRENCY`` connections, sent in turn to app 1 and app 2 as a round-robin
load balancer would. Printed: the responses each app accepted (and each app's own ``/metrics`` count), the responses
stored, the events the client on app 2 received for responses accepted by app 1 and by app 2 (all of them, or how
many are missing), the delay from the shopper's answer to the event, today's count before and after, and PgBouncer's
transactions and server connections.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import pwd
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
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.bench.server_site import asyncpg_url, throwaway_database
from tests.support.server import free_port
from tests.support.server import stop as stop_process

ROOT = Path(__file__).resolve().parents[2]
SECONDS = float(os.environ.get("TOPOLOGY_SECONDS", "10"))
CONCURRENCY = int(os.environ.get("TOPOLOGY_CONCURRENCY", "16"))
REDIS_URL = os.environ.get("TOPOLOGY_REDIS_URL", "redis://127.0.0.1:6379/14")
DEFAULT_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
METRICS_TOKEN = secrets.token_urlsafe(24)
UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"


def _wait_for_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited during start-up")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start")


@contextmanager
def process(command: list[str], *, env: dict[str, str] | None, log: Path, what: str,
            stopped: tuple[int, ...] = (0, -15)) -> Iterator[subprocess.Popen[bytes]]:
    """A child process for the block, stopped (SIGTERM, then SIGKILL) at its end."""
    with log.open("wb") as output:
        child = subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
        try:
            yield child
        finally:
            stop_process(child, 30)
            if child.returncode not in stopped:
                print(f"  {what} ended with {child.returncode}; its log: {log}")


@contextmanager
def pgbouncer(folder: Path, database: str, server: str) -> Iterator[int]:
    """PgBouncer in transaction pooling in front of ``database`` on ``server``'s PostgreSQL; yields its port."""
    executable = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(executable).exists():
        raise RuntimeError("pgbouncer is not installed (make bench installs it: apt-get install -y pgbouncer)")
    parts = urlsplit(server)
    port = free_port()
    home = folder / "pgbouncer"
    home.mkdir()
    (home / "userlist.txt").write_text(f'"{parts.username or "postgres"}" ""\n')
    (home / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"{database} = host={parts.hostname or '127.0.0.1'} port={parts.port or 5432} dbname={database}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {home / 'userlist.txt'}\nadmin_users = {parts.username or 'postgres'}\n"
        "pool_mode = transaction\nmax_client_conn = 500\ndefault_pool_size = 20\n"
        "ignore_startup_parameters = extra_float_digits\n"
        f"logfile = {home / 'pgbouncer.log'}\npidfile = {home / 'pgbouncer.pid'}\n"
    )
    command = [executable, str(home / "pgbouncer.ini")]
    if os.geteuid() == 0:  # PgBouncer refuses to run as root
        user = pwd.getpwnam("postgres")
        for path in (folder, home, *home.iterdir()):
            os.chown(path, user.pw_uid, user.pw_gid)
        folder.chmod(0o755)
        command[1:1] = ["-u", "postgres"]
    # PgBouncer answers SIGTERM with a "fast exit", status 1.
    with process(command, env=None, log=folder / "pgbouncer.out", what="pgbouncer", stopped=(0, 1, -15)) as child:
        _wait_for_port(port, child, "pgbouncer")
        yield port


def pgbouncer_stats(port: int, database: str) -> dict[str, int]:
    """``SHOW STATS`` and ``SHOW POOLS`` of our database (the admin console speaks only the simple protocol: psql)."""
    found: dict[str, int] = {}
    for command, wanted in (("SHOW STATS", ("total_xact_count", "total_query_count")),
                            ("SHOW POOLS", ("sv_active", "sv_idle", "sv_used", "cl_active", "cl_waiting"))):
        done = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", "pgbouncer",
                               "-A", "-F", "\t", "-c", command], capture_output=True, text=True, check=False)
        lines = [line.split("\t") for line in done.stdout.splitlines() if "\t" in line]
        if not lines:
            continue
        header = lines[0]
        for row in lines[1:]:
            if row[0] == database:
                found.update({key: int(row[header.index(key)]) for key in wanted if key in header})
    return found


@dataclass
class Site:
    tenant_id: str
    tenant_slug: str
    store_id: str
    store_slug: str
    zone_id: str
    version_id: str
    warmup_ids: list[str]
    statement_ids: list[str]
    session_cookie: str


async def read_site(url: str, tenant_slug: str) -> Site:
    """The demo tenant's first store, zone and survey version, and a new session of its owner (for the live feed)."""
    import asyncpg

    from pejling.core.auth.sessions import SESSION_COOKIE

    connection = await asyncpg.connect(asyncpg_url(url))
    try:
        tenant = await connection.fetchval("SELECT id FROM tenant WHERE slug = $1", tenant_slug)
        store = await connection.fetchrow("SELECT id, slug FROM store WHERE tenant_id = $1 ORDER BY slug LIMIT 1",
                                          tenant)
        zone = await connection.fetchval("SELECT id FROM zone WHERE store_id = $1 ORDER BY id LIMIT 1", store["id"])
        version = await connection.fetchrow(
            "SELECT id, statement_ids, warmup_ids FROM survey_version WHERE tenant_id = $1 AND active", tenant)
        owner = await connection.fetchval(
            "SELECT user_id FROM membership WHERE tenant_id = $1 AND role = 'owner' ORDER BY created_at LIMIT 1",
            tenant)
        secret = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        await connection.execute(
            "INSERT INTO auth_session (id, token_hash, user_id, created_at, expires_at, last_seen_at, user_agent) "
            "VALUES ($1, $2, $3, $4, $5, $4, 'topology bench')", uuid.uuid4(),
            hashlib.sha256(secret.encode()).hexdigest(), owner, now, now + timedelta(days=1))
    finally:
        await connection.close()
    return Site(str(tenant), tenant_slug, str(store["id"]), store["slug"], str(zone), str(version["id"]),
                list(json.loads(version["warmup_ids"])), list(json.loads(version["statement_ids"])),
                f"{SESSION_COOKIE}={secret}")


def payload(site: Site) -> dict[str, Any]:
    """A new complete response (warm-up and every statement tapped, the outcome given), submitted just now."""
    submitted = datetime.now(UTC) - timedelta(seconds=2)
    ids = [*site.warmup_ids, *site.statement_ids]
    return {
        "id": str(uuid.uuid4()), "survey_version_id": site.version_id, "invitation": None, "zone_id": site.zone_id,
        "channel": "qr", "language": "da", "started_at": (submitted - timedelta(seconds=40)).isoformat(),
        "submitted_at": submitted.isoformat(),
        "answers": [{"statement_id": sid, "value": 1 + (n * 3 + len(ids)) % 5, "position": n,
                     "reaction_ms": 650 + 97 * n, "warmup": sid in site.warmup_ids} for n, sid in enumerate(ids)],
        "outcome": 8, "comment": "", "consent": {"contact": False, "email": None},
        "client": {"viewport_width": 390, "touch": True, "js": True},
    }


@dataclass
class Feed:
    """What the live-feed client heard: today's count on connect and when each response's event arrived."""

    today: int | None = None
    arrived: dict[str, float] = field(default_factory=dict)
    connected: asyncio.Event = field(default_factory=asyncio.Event)


async def listen(base: str, site: Site, feed: Feed) -> None:
    from pejling.core.live_feed import global_id

    store = global_id("Store", uuid.UUID(site.store_id))
    headers = {"Cookie": site.session_cookie, "X-Pejling-Tenant": site.tenant_slug}
    async with httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(10, read=None)) as client:
        async with client.stream("GET", "/api/live/responses", params={"store": store}, headers=headers) as reply:
            if reply.status_code != 200:
                raise RuntimeError(f"live feed: {reply.status_code} {(await reply.aread()).decode()}")
            name = ""
            async for line in reply.aiter_lines():  # until the task is cancelled
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
                    if name == "today":
                        feed.today = data["count"]
                        feed.connected.set()
                    elif name == "response":
                        feed.arrived[data["id"]] = time.monotonic()


async def stop(task: asyncio.Task[None]) -> None:
    """Hang the live client up (its task may also have failed: that is raised)."""
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass


@dataclass
class Accepted:
    by_app: dict[int, dict[str, float]]
    refused: dict[int, int]


async def drive(bases: list[str], site: Site, seconds: float, concurrency: int) -> Accepted:
    """Submit responses from ``concurrency`` connections, each request to the next app in turn (round robin)."""
    from pejling.core.live_feed import global_id

    accepted: dict[int, dict[str, float]] = {n: {} for n in range(len(bases))}
    refused = dict.fromkeys(range(len(bases)), 0)
    turn = iter(range(10**9))
    deadline = time.monotonic() + seconds
    clients = [httpx.AsyncClient(base_url=base, timeout=30) for base in bases]

    async def shopper() -> None:
        while time.monotonic() < deadline:
            number = next(turn)
            app = number % len(bases)
            body = payload(site)
            address = f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"
            try:
                reply = await clients[app].post(f"/s/{site.tenant_slug}/{site.store_slug}/responses", json=body,
                                                headers={"user-agent": UA, "x-forwarded-for": address})
            except httpx.HTTPError:
                refused[app] += 1
                continue
            if reply.status_code in (200, 201):
                accepted[app][global_id("Response", uuid.UUID(body["id"]))] = time.monotonic()
            else:
                refused[app] += 1

    try:
        await asyncio.gather(*(shopper() for _ in range(concurrency)))
    finally:
        for client in clients:
            await client.aclose()
    return Accepted(accepted, refused)


_INGEST_METRIC = re.compile(r'^pejling_http_requests_total\{(?P<labels>.*)\} (?P<value>[0-9.e+]+)$', re.MULTILINE)


def ingest_count_of(base: str, token: str) -> int:
    """The 2xx submissions this app process counted itself (its own ``/metrics``)."""
    reply = httpx.get(base + "/metrics", timeout=10, headers={"Authorization": f"Bearer {token}"})
    reply.raise_for_status()
    text = reply.text
    total = 0.0
    for match in _INGEST_METRIC.finditer(text):
        labels = match.group("labels")
        if 'method="POST"' in labels and "responses" in labels and re.search(r'status="2\d\d"', labels):
            total += float(match.group("value"))
    return int(total)


async def stored(url: str, tenant_id: str) -> tuple[int, dict[str, int]]:
    import asyncpg

    connection = await asyncpg.connect(asyncpg_url(url))
    try:
        count = await connection.fetchval("SELECT count(*) FROM survey_response WHERE tenant_id = $1",
                                          uuid.UUID(tenant_id))
        jobs = dict(await connection.fetch("SELECT status, count(*) FROM job GROUP BY status"))
    finally:
        await connection.close()
    return int(count), {str(k): int(v) for k, v in jobs.items()}


async def _connected(feed: Feed, listener: asyncio.Task[None]) -> None:
    waiting = asyncio.ensure_future(feed.connected.wait())
    await asyncio.wait({waiting, listener}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
    if listener.done():
        listener.result()  # raises what went wrong
    if not feed.connected.is_set():
        raise RuntimeError("the live feed sent no count within 30 s")


async def scenario(bases: list[str], site: Site, direct_url: str) -> dict[str, Any]:
    """The live client on app 2, the load on both apps, then what arrived where."""
    before, _ = await stored(direct_url, site.tenant_id)
    feed = Feed()
    listener = asyncio.create_task(listen(bases[1], site, feed))
    await _connected(feed, listener)
    started = time.monotonic()
    accepted = await drive(bases, site, SECONDS, CONCURRENCY)
    elapsed = time.monotonic() - started
    every = {rid: at for app in accepted.by_app.values() for rid, at in app.items()}
    waited = time.monotonic() + 10
    while not every.keys() <= feed.arrived.keys() and time.monotonic() < waited:  # noqa: ASYNC110 - a bench's poll
        await asyncio.sleep(0.1)
    await stop(listener)
    after_feed = Feed()
    again = asyncio.create_task(listen(bases[0], site, after_feed))
    await _connected(after_feed, again)
    await stop(again)
    total, jobs = await stored(direct_url, site.tenant_id)
    lags = [1000 * (feed.arrived[rid] - at) for rid, at in every.items() if rid in feed.arrived]
    return {
        "seconds": round(elapsed, 1), "concurrency": CONCURRENCY,
        "accepted": {f"app{n + 1}": len(ids) for n, ids in accepted.by_app.items()},
        "refused": {f"app{n + 1}": count for n, count in accepted.refused.items()},
        "app_metrics_2xx": {f"app{n + 1}": ingest_count_of(base, METRICS_TOKEN) for n, base in enumerate(bases)},
        "responses_per_s": round(len(every) / elapsed, 1) if elapsed else 0.0,
        "stored": total - before,
        "feed_on_app2_heard": {f"from_app{n + 1}": sum(rid in feed.arrived for rid in ids)
                               for n, ids in accepted.by_app.items()},
        "feed_missing": len(every.keys() - feed.arrived.keys()),
        "feed_lag_ms": ({"p50": round(statistics.median(lags), 1), "max": round(max(lags), 1)} if lags else None),
        "today_before": feed.today, "today_after": after_feed.today, "jobs": jobs,
    }


def main() -> None:
    """Run the topology once and print its figures."""
    admin = os.environ.get("PEJLING_BENCH_DATABASE_URL") or DEFAULT_ADMIN_URL
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001 - a bench without Redis says so and ends
        print(f"topology bench: Redis at {REDIS_URL} unreachable ({type(exc).__name__}); skipped")
        return
    if shutil.which("pgbouncer") is None and not Path("/usr/sbin/pgbouncer").exists():
        print("topology bench: pgbouncer is not installed (make bench installs it: apt-get install -y pgbouncer)")
        return
    from pejling.tenants.demo import DEMO_SLUG

    with ExitStack() as stack:
        direct = stack.enter_context(throwaway_database(admin, prefix="pejling_topology"))
        database = urlsplit(direct).path.lstrip("/")
        if os.environ.get("BENCH_KEEP"):  # keep the logs and configs to look at
            folder = Path(tempfile.mkdtemp(prefix="pejling-topology-"))
            print(f"  logs kept in {folder}")
        else:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pejling-topology-")))
        secret = secrets.token_urlsafe(32)
        base_env = {
            **os.environ, "PEJLING_ENVIRONMENT": "production", "PEJLING_SECRET_KEY": secret,
            "PEJLING_DEMO_INSTANCE": "true",  # demo data in production on purpose (core/dev_only.py)
            "PEJLING_MAIL_TO_FILES": "true", "PEJLING_VAR_DIR": str(folder / "var"), "PEJLING_REDIS_URL": REDIS_URL,
            "PEJLING_RUN_WORKER_IN_APP": "false", "PEJLING_TRUSTED_PROXIES": '["127.0.0.1"]',
            "PEJLING_LOG_LEVEL": "WARNING", "PEJLING_METRICS_TOKEN": METRICS_TOKEN,
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        }
        pejling = str(Path(sys.executable).with_name("pejling"))
        for command in ("migrate", "demo"):
            subprocess.run([pejling, command], env={**base_env, "PEJLING_DATABASE_URL": direct}, cwd=ROOT, check=True,
                           capture_output=True)
        bouncer = stack.enter_context(pgbouncer(folder, database, admin))
        pooled = {**base_env, "PEJLING_DATABASE_URL": f"postgres://postgres@127.0.0.1:{bouncer}/{database}",
                  "PEJLING_DATABASE_POOLER": "pgbouncer"}
        ports = [free_port(), free_port()]
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        apps = [stack.enter_context(process([pejling, "serve", "--host", "127.0.0.1", "--port", str(port)],
                                            env=pooled, log=folder / f"app{n + 1}.log", what=f"app {n + 1}"))
                for n, port in enumerate(ports)]
        stack.enter_context(process([pejling, "worker"], env=pooled, log=folder / "worker.log", what="worker"))
        from tests.support.server import wait_until_healthy

        for app, base in zip(apps, bases, strict=True):
            wait_until_healthy(app, base, attempts=900)
        site = asyncio.run(read_site(direct, DEMO_SLUG))
        figures = asyncio.run(scenario(bases, site, direct))
        figures["pgbouncer"] = pgbouncer_stats(bouncer, database)
    print(table(figures))


def table(figures: dict[str, Any]) -> str:
    """The printed figures, one line each."""
    heard = figures["feed_on_app2_heard"]
    lines = [
        f"topology: 2 app processes + 1 worker + PgBouncer (transaction pooling) + Redis + PostgreSQL, "
        f"{figures['concurrency']} connections for {figures['seconds']} s",
        f"  accepted by app 1 / app 2: {figures['accepted']['app1']} / {figures['accepted']['app2']} "
        f"(each app's own /metrics: {figures['app_metrics_2xx']['app1']} / {figures['app_metrics_2xx']['app2']}); "
        f"refused {figures['refused']['app1']} / {figures['refused']['app2']}",
        f"  {figures['responses_per_s']} responses/s in all; stored {figures['stored']}",
        f"  live feed on app 2 heard {heard['from_app1']} of app 1's and {heard['from_app2']} of app 2's "
        f"({figures['feed_missing']} missing); event time minus the shopper's 2xx {figures['feed_lag_ms']} ms",
        f"  today's count on connect: {figures['today_before']} before, {figures['today_after']} after",
        f"  PgBouncer: {figures['pgbouncer']}; jobs: {figures['jobs']}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()

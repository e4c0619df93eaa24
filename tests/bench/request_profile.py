"""Profile the authenticated request path in process: ``{ __typename }`` with a session cookie; not a test.

    PEJLING_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m tests.bench.request_profile [graphql|plain|ping|dashboard|dashboard_plain] \\
        [requests] [concurrency]

Makes a throw-away database on the server (migrated and seeded with the demo tenant by the real ``pejling``
commands, as the HTTP bench does), serves the bench app in this process (production settings, its lifespan run) and
sends ``requests`` requests, ``concurrency`` at a time (``asyncio.gather``), through httpx's ASGI transport. It prints
the rate without the profiler, the SQL statements one request sends, then the rate under cProfile and the functions
that took the most time (``PROFILE_SORT``: ``tottime`` or ``cumulative``; ``PROFILE_LINES``, default 45;
``PROFILE_DUMP``: a file for pstats). ``dashboard`` and ``dashboard_plain`` send the HTTP bench's store dashboard
query and its plain JSON route (the engine's cache warm after the first request). The rate includes the client's
own work (httpx), so compare runs of this script with each other, not with wrk's figures.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import os
import pstats
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from tests.bench.bench_app import PLAIN_INSIGHTS_PATH, PLAIN_PATH
from tests.bench.http_bench import dashboard_bodies
from tests.bench.server_site import (
    admin_url,
    cookie_header_map,
    pejling_command,
    read_site,
    server_environment,
    throwaway_database,
)

BODY = '{"query": "{ __typename }"}'
#: The path and body each kind posts (``ping`` is a GET of ``/healthz``); the dashboard's are set from the site.
REQUESTS = {"graphql": ("/graphql", BODY), "plain": (PLAIN_PATH, BODY)}


async def _send(client: httpx.AsyncClient, kind: str, headers: dict[str, str]) -> None:
    if kind == "ping":
        response = await client.get("/healthz")
    else:
        path, body = REQUESTS[kind]
        response = await client.post(path, content=body, headers=headers)
    if response.status_code != 200 or b'"errors"' in response.content:
        raise RuntimeError(f"{response.status_code} {response.text}")


async def _load(client: httpx.AsyncClient, kind: str, headers: dict[str, str], requests: int, concurrency: int
                ) -> float:
    """Requests per second for ``requests`` requests, ``concurrency`` in flight."""
    queue = iter(range(requests))

    async def worker() -> None:
        for _ in queue:
            await _send(client, kind, headers)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return requests / (time.perf_counter() - started)


async def profile(database_url: str, secret_key: str, kind: str, requests: int, concurrency: int) -> None:
    from asgi_lifespan import LifespanManager

    from pejling.tenants.demo import DEMO_SLUG
    from tests.bench.bench_app import create_bench_app
    from tests.support.query_count import counting_queries

    app = create_bench_app()
    async with LifespanManager(app) as manager:
        site = await read_site(database_url, "http://bench", secret_key, DEMO_SLUG)
        headers = {"Content-Type": "application/json", **cookie_header_map(site)}
        dashboard, plain_dashboard = dashboard_bodies(site)
        REQUESTS["dashboard"], REQUESTS["dashboard_plain"] = ("/graphql", dashboard), (PLAIN_INSIGHTS_PATH,
                                                                                        plain_dashboard)
        transport = httpx.ASGITransport(app=manager.app, client=("127.0.0.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await _load(client, kind, headers, min(requests, 500), concurrency)  # warm up
            async with counting_queries() as sql:
                await _send(client, kind, headers)
            print(f"{len(sql)} statements per request:", *sql.statements, sep="\n  ")
            print(f"{kind}: {await _load(client, kind, headers, requests, concurrency):.0f} req/s without profiler")
            profiler = cProfile.Profile()
            profiler.enable()
            rate = await _load(client, kind, headers, requests, concurrency)
            profiler.disable()
            print(f"{kind}: {rate:.0f} req/s under cProfile")
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats(os.environ.get("PROFILE_SORT", "tottime")).print_stats(int(os.environ.get(
                "PROFILE_LINES", "45")))
            print(out.getvalue())
            if dump := os.environ.get("PROFILE_DUMP"):
                stats.dump_stats(dump)


def main(argv: list[str]) -> None:
    kind = argv[0] if argv else "graphql"
    requests = int(argv[1]) if len(argv) > 1 else 5000
    concurrency = int(argv[2]) if len(argv) > 2 else 16
    secret_key = secrets.token_urlsafe(32)
    with throwaway_database(admin_url(), prefix="pejling_profile") as database_url, \
            tempfile.TemporaryDirectory(prefix="pejling-profile-") as tmp:
        env: dict[str, Any] = server_environment(database_url, Path(tmp), secret_key)
        env["PEJLING_LOG_LEVEL"] = "WARNING"  # the access log of thousands of requests is not what is measured
        for command in (("migrate",), ("demo",)):
            subprocess.run(pejling_command(*command), env=env, cwd=tmp, check=True, capture_output=True)
        os.environ.update(env)
        asyncio.run(profile(database_url, secret_key, kind, requests, concurrency))


if __name__ == "__main__":
    main(sys.argv[1:])

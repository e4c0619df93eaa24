"""The public ingest's CPU per response, in one process (section ``ingest_profile``); not a test.

    .venv/bin/python -m tests.bench ingest_profile      # PEJLING_BENCH_DATABASE_URL: a PostgreSQL server

A throw-away database migrated and seeded with the demo tenant (``pejling migrate``, ``pejling demo``), then the app
itself (its lifespan, every middleware, the plugins) driven in this process through httpx's ASGI transport:
``BENCH_REQUESTS`` new complete responses (8 taps and the outcome, as ``wrk/ingest.lua`` sends them), each from its
own client address, ``BENCH_CONNECTIONS`` at a time. It reports the rate, the CPU time of this process per response
(``time.process_time``: the app's Python, the driver's little share included), the plugins' events still waiting
when the last answer came and how long they took to be told. ``BENCH_PROFILE=1`` runs the load under cProfile with
the process-time clock and prints the functions that cost the most (``BENCH_PROFILE_OUT`` keeps the stats file).
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import os
import pstats
import random
import secrets
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.bench.server_site import (
    Site,
    admin_url,
    ingest_args,
    pejling_command,
    read_site,
    server_environment,
    throwaway_database,
)

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "4000"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
PROFILE = os.environ.get("BENCH_PROFILE", "") not in ("", "0")
UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148 Safari/604.1"


class EachFromItsOwnAddress(httpx.ASGITransport):
    """httpx's ASGI transport, each request from a fresh client address (the scope is built before any await)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.client = (f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}", 40000)
        return await super().handle_async_request(request)


def response_body(site: Site, args: tuple[str, ...]) -> bytes:
    """One new, complete response like ``wrk/ingest.lua``'s."""
    version, zone, warmups, statements, started, submitted = args
    answers = [{"statement_id": s, "value": 5 if warm else random.randint(1, 5), "position": i,
                "reaction_ms": random.randint(650, 2600), "warmup": warm}
               for i, (s, warm) in enumerate([(w, True) for w in warmups.split(",") if w]
                                             + [(s, False) for s in statements.split(",") if s])]
    return json.dumps({
        "id": str(uuid.uuid4()), "survey_version_id": version, "invitation": None, "zone_id": zone, "channel": "qr",
        "language": "da", "started_at": started, "submitted_at": submitted, "answers": answers,
        "outcome": random.randint(0, 10), "comment": "", "consent": {"contact": False, "email": None},
        "client": {"viewport_width": 390, "touch": True, "js": True},
    }).encode()


def _events_waiting() -> int:
    from pejling.core.surveys.hooks import response_events

    events = response_events()
    waiting = getattr(events, "waiting", None)
    return int(waiting) if waiting is not None else len(events._queue)


async def _load(app: Any, site: Site, n: int) -> dict[str, Any]:
    args = ingest_args(site)
    bodies = [response_body(site, args) for _ in range(n)]
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    transport = EachFromItsOwnAddress(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        queue = list(reversed(bodies))

        async def connection() -> None:
            while queue:
                body = queue.pop()
                began = time.perf_counter()
                reply = await client.post(site.ingest_path, content=body,
                                          headers={"Content-Type": "application/json", "User-Agent": UA})
                latencies.append(time.perf_counter() - began)
                statuses[reply.status_code] = statuses.get(reply.status_code, 0) + 1

        wall, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(connection() for _ in range(CONNECTIONS)))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    waiting = _events_waiting()
    drained = time.perf_counter()
    from pejling.core.surveys.hooks import response_events_delivered

    await response_events_delivered()
    latencies.sort()
    return {"requests": n, "seconds": round(wall, 3), "per_s": round(n / wall, 1),
            "cpu_ms_per_response": round(cpu * 1000 / n, 3), "statuses": statuses,
            "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
            "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1),
            "events_waiting_at_end": waiting, "events_drain_s": round(time.perf_counter() - drained, 3)}


async def _run(env: dict[str, str], database_url: str, secret_key: str) -> None:
    os.environ.update({k: v for k, v in env.items() if k.startswith("PEJLING_")})
    os.environ["PEJLING_LOG_LEVEL"] = "WARNING"
    from asgi_lifespan import LifespanManager

    from pejling.core.app import create_app
    from pejling.tenants.demo import DEMO_SLUG

    site = await read_site(database_url, "http://bench", secret_key, DEMO_SLUG)
    app = create_app()
    async with LifespanManager(app) as manager:
        print("warm-up:", await _load(manager.app, site, 300))
        profile = cProfile.Profile(time.process_time) if PROFILE else None
        if profile is not None:
            profile.enable()
        result = await _load(manager.app, site, REQUESTS)
        if profile is not None:
            profile.disable()
        print("load:", result, "load average", os.getloadavg())
    if profile is not None:
        out = os.environ.get("BENCH_PROFILE_OUT") or str(Path(tempfile.gettempdir()) / "ingest.prof")
        profile.dump_stats(out)
        stats = pstats.Stats(out)
        stats.sort_stats("tottime").print_stats(45)
        stats.sort_stats("cumulative").print_stats(70)


def main() -> None:
    """Run the section once (a throw-away database on ``PEJLING_BENCH_DATABASE_URL``'s server)."""
    secret_key = secrets.token_urlsafe(32)
    with throwaway_database(admin_url()) as database_url, tempfile.TemporaryDirectory(prefix="pejling-bench-") as tmp:
        env = server_environment(database_url, Path(tmp), secret_key)
        for command in (("migrate",), ("demo",)):
            subprocess.run(pejling_command(*command), env=env, cwd=tmp, check=True, capture_output=True)
        asyncio.run(_run(env, database_url, secret_key))


if __name__ == "__main__":
    main()

"""The public ingest alone under wrk, before and after a change in one run (section ``ingest``); not a test.

    BENCH_BEFORE_REF=main .venv/bin/python -m tests.bench ingest   # PEJLING_BENCH_DATABASE_URL: a PostgreSQL server

The ``http`` section's set-up (a throw-away database, ``pejling migrate`` and ``pejling demo``, the server as
``pejling serve`` starts it with ``BENCH_WORKERS`` processes) and its three ingest-related runs, ``BENCH_REPEAT``
rounds (default 2): ``GET /healthz`` (the ceiling of the same server at the same moment), the ingest at full rate
(``wrk/ingest.lua``) and then paced to half that rate (``wrk/ingest_paced.lua``). After each ingest run it watches
the follow-ups the demo tenant's alert rules open (the plugins' ``response_received`` work, told after the answers):
how long they keep coming after the load stopped is how far that work had fallen behind. With ``BENCH_BEFORE_REF``
(a commit) a second server runs that commit's code on its own database, and the rounds alternate between the two.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from tests.bench import results
from tests.bench.before_after import BEFORE_REF, after_over_before, alternate, prepared
from tests.bench.http_bench import CONNECTIONS, SECONDS, TARGETS, WORKERS
from tests.bench.load import paced_interval_ms, run_wrk
from tests.bench.results import ROOT
from tests.bench.server_site import (
    Site,
    asyncpg_url,
    count_responses,
    ingest_args,
    read_site,
)
from tests.support.server import free_port, serving

REPEAT = int(os.environ.get("BENCH_REPEAT", "2"))
#: How long the follow-up count must stay still to count as caught up, and the longest wait for it.
STILL_SECONDS, MOST_WAIT_SECONDS = 1.0, 120.0


async def _follow_ups(database_url: str) -> int:
    import asyncpg

    connection = await asyncpg.connect(asyncpg_url(database_url))
    try:
        return int(await connection.fetchval("SELECT count(*) FROM followup WHERE response_id IS NOT NULL"))
    finally:
        await connection.close()


def caught_up(database_url: str) -> dict[str, float]:
    """Wait until the follow-up count stays still; how long that took and how many came meanwhile."""
    began = time.monotonic()
    first = last = asyncio.run(_follow_ups(database_url))
    still_since = began
    while time.monotonic() - began < MOST_WAIT_SECONDS:
        time.sleep(0.25)
        now = asyncio.run(_follow_ups(database_url))
        if now != last:
            last, still_since = now, time.monotonic()
        elif time.monotonic() - still_since >= STILL_SECONDS:
            break
    return {"catch_up_s": round(max(0.0, still_since - began), 2), "follow_ups_after_load": last - first}


def _serve(stack: ExitStack, name: str, secret_key: str, tmp: Path, python_path: Path | None) -> tuple[Site, str]:
    from pejling.tenants.demo import DEMO_SLUG

    database_url, var_dir, env = prepared(stack, name, secret_key, tmp, python_path)
    port = free_port()
    command = [sys.executable, "-m", "tests.bench.serve", "--host", "127.0.0.1", "--port", str(port), "--workers",
               str(WORKERS)]
    # Five minutes to start: other engineers' jobs share the machine.
    base, _ = stack.enter_context(serving(command, port=port, env=env, cwd=ROOT, log=var_dir / "server.log",
                                          attempts=3000, stop_timeout=30))
    return asyncio.run(read_site(database_url, base, secret_key, DEMO_SLUG)), database_url


def _round(site: Site, database_url: str) -> dict[str, Any]:
    ping = run_wrk(site.base + "/healthz", "get.lua", connections=CONNECTIONS, seconds=SECONDS)
    before = asyncio.run(count_responses(database_url, site.tenant_id))
    full = run_wrk(site.base + site.ingest_path, "ingest.lua", connections=CONNECTIONS, seconds=SECONDS,
                   args=ingest_args(site))
    stored = asyncio.run(count_responses(database_url, site.tenant_id)) - before
    after_full = caught_up(database_url)
    half = full.per_second / 2
    paced = run_wrk(site.base + site.ingest_path, "ingest_paced.lua", connections=CONNECTIONS, seconds=SECONDS,
                    args=(*ingest_args(site), f"{paced_interval_ms(half, CONNECTIONS)}"))
    after_half = caught_up(database_url)
    return {"ping_per_s": ping.per_second, "ingest_per_s": full.per_second, "ingest_p50_ms": full.p50_ms,
            "ingest_p99_ms": full.p99_ms, "ingest_errors": full.errors, "ingest_stored": stored,
            "ingest_half_target_per_s": half, "ingest_half_per_s": paced.per_second,
            "ingest_half_p50_ms": paced.p50_ms, "ingest_half_p99_ms": paced.p99_ms,
            "catch_up_after_full_s": after_full["catch_up_s"],
            "follow_ups_after_full": after_full["follow_ups_after_load"],
            "catch_up_after_half_s": after_half["catch_up_s"],
            "load_average": round(os.getloadavg()[0], 2)}


def _warm(server: tuple[Site, str]) -> None:
    run_wrk(server[0].base + "/healthz", "get.lua", connections=CONNECTIONS, seconds=2)


def main() -> None:
    """Run the ingest section once (throw-away databases on ``PEJLING_BENCH_DATABASE_URL``'s server)."""
    alternation = alternate("ingest", _serve, _warm, lambda server: _round(*server), REPEAT, show=True)
    if alternation is None:
        return
    rounds, variants = alternation.by_variant, alternation.variants
    data: dict[str, Any] = {"server": f"uvicorn, {WORKERS} worker{'s' if WORKERS != 1 else ''}", "seconds": SECONDS,
                            "connections": CONNECTIONS, "before_ref": BEFORE_REF or None, "rounds": rounds}
    rows = []
    for name in variants:
        for index, r in enumerate(rounds[name]):
            label = f"{name}, round {index + 1}"
            rows.append(results.run_row(f"{name}_{index}", f"public ingest, {label}", {
                "per_second": r["ingest_per_s"], "p50_ms": r["ingest_p50_ms"], "p99_ms": r["ingest_p99_ms"],
                "errors": r["ingest_errors"]}))
            rows.append(results.run_row(f"{name}_{index}_half", f"public ingest paced to half, {label}", {
                "per_second": r["ingest_half_per_s"], "p50_ms": r["ingest_half_p50_ms"],
                "p99_ms": r["ingest_half_p99_ms"], "errors": 0}))
        best = alternation.best(name, "ingest_per_s")
        data[f"{name}_ingest_per_s"] = best["ingest_per_s"]
        data[f"{name}_ingest_over_ping"] = best["ingest_per_s"] / best["ping_per_s"] if best["ping_per_s"] else None
        data[f"{name}_ingest_half_p99_ms"] = best["ingest_half_p99_ms"]
        rows.append(results.figure(f"{name}_ingest_per_s", f"ingest, {name}, best round, per s",
                                   data[f"{name}_ingest_per_s"], ".0f", target=TARGETS["ingest_per_s"]))
        rows.append(results.figure(f"{name}_ingest_over_ping", f"ingest ÷ ping of the same round, {name}",
                                   data[f"{name}_ingest_over_ping"], ".3f", target=TARGETS["ingest_over_ping"]))
        rows.append(results.figure(f"{name}_ingest_half_p99_ms", f"ingest p99 at half the rate, {name}, ms",
                                   data[f"{name}_ingest_half_p99_ms"], ".1f", target=TARGETS["ingest_half_p99_ms"],
                                   at_most=True))
    after_over_before(data, rows, "ingest_per_s", "ingest", ".2f")
    results.record("ingest", data, rows)


if __name__ == "__main__":
    main()

"""The survey page alone under wrk (section ``page``): the ``http`` section's ``page`` run without the others; not a test.

    .venv/bin/python -m tests.bench page      # PEJLING_BENCH_DATABASE_URL: a PostgreSQL server (trust auth)

The same set-up as :mod:`tests.bench.http_bench` (a throw-away database, ``pejling migrate`` and ``pejling demo``,
the server as ``pejling serve`` starts it with ``BENCH_WORKERS`` processes), then ``GET /s/<tenant>/<store>`` with
gzip on ``BENCH_CONNECTIONS`` connections for ``BENCH_SECONDS``, ``BENCH_REPEAT`` times (default 3), with
``GET /healthz`` beside each round as the ceiling of the same server at the same moment. A few minutes on a shared
machine, where the whole ``http`` section takes many: what a change of the page path is measured with, before and
after, back to back.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from tests.bench import results
from tests.bench.http_bench import CONNECTIONS, SECONDS, TARGETS, WORKERS, page_body_bytes
from tests.bench.load import run_wrk, wrk_executable
from tests.bench.server_site import admin_url, pejling_command, read_site, running_server, server_environment, \
    throwaway_database

REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))


def main() -> None:
    """Run the page section once (a throw-away database on ``PEJLING_BENCH_DATABASE_URL``'s server)."""
    if wrk_executable() is None:
        print("page bench: wrk is not installed (make bench installs it: apt-get install -y wrk)")
        return
    secret_key = secrets.token_urlsafe(32)
    rounds: list[dict[str, Any]] = []
    with throwaway_database(admin_url()) as database_url, tempfile.TemporaryDirectory(prefix="pejling-bench-") as tmp:
        var_dir = Path(tmp)
        env = server_environment(database_url, var_dir, secret_key)
        for command in (("migrate",), ("demo",)):
            subprocess.run(pejling_command(*command), env=env, cwd=var_dir, check=True, capture_output=True)
        from pejling.tenants.demo import DEMO_SLUG

        with running_server(env, workers=WORKERS, log=var_dir / "server.log") as base:
            site = asyncio.run(read_site(database_url, base, secret_key, DEMO_SLUG))
            body_bytes = page_body_bytes(site)
            page = base + site.page_path
            run_wrk(page, "get.lua", connections=CONNECTIONS, seconds=2, headers=("Accept-Encoding: gzip",))  # warm up
            for _ in range(REPEAT):
                ping = run_wrk(base + "/healthz", "get.lua", connections=CONNECTIONS, seconds=SECONDS)
                run = run_wrk(page, "get.lua", connections=CONNECTIONS, seconds=SECONDS,
                              headers=("Accept-Encoding: gzip",))
                rounds.append({"ping": ping, "page": run, "load_average": os.getloadavg()[0]})
    best = max(rounds, key=lambda r: r["page"].per_second)
    data = {
        "server": f"uvicorn, {WORKERS} worker{'s' if WORKERS != 1 else ''}", "seconds": SECONDS,
        "connections": CONNECTIONS,
        "rounds": [{"page_per_s": r["page"].per_second, "page_p50_ms": r["page"].p50_ms,
                    "page_p99_ms": r["page"].p99_ms, "page_errors": r["page"].errors,
                    "ping_per_s": r["ping"].per_second, "load_average": round(r["load_average"], 2)}
                   for r in rounds],
        "page_per_s": best["page"].per_second,
        "page_bytes": best["page"].bytes / best["page"].requests if best["page"].requests else 0.0,
        "page_body_bytes": body_bytes,
    }
    rows = [results.run_row(f"page_{index}", f"survey page GET (gzip), round {index + 1}",
                            {**data["rounds"][index], "per_second": r["page"].per_second, "p50_ms": r["page"].p50_ms,
                             "p99_ms": r["page"].p99_ms, "errors": r["page"].errors})
            for index, r in enumerate(rounds)]
    rows.append(results.figure("page_per_s", "survey page, best round, per s", data["page_per_s"], ".0f",
                               target=TARGETS["page_per_s"]))
    rows.append(results.figure("page_bytes", "survey page bytes over the wire (with headers)", data["page_bytes"],
                               ".0f", target=TARGETS["page_bytes"], at_most=True))
    rows.append(results.figure("page_over_ping", "survey page ÷ ping of the same round (best round)",
                               best["page"].per_second / best["ping"].per_second if best["ping"].per_second else None,
                               ".2f"))
    results.record("page", data, rows)


if __name__ == "__main__":
    main()

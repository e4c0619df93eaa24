"""The survey page alone under wrk (section ``page``): the ``http`` section's page run without the rest; not a test.

    .venv/bin/python -m tests.bench page      # PEJLING_BENCH_DATABASE_URL: a PostgreSQL server (trust auth)

The same set-up as :mod:`tests.bench.http_bench` (a throw-away database, ``pejling migrate`` and ``pejling demo``,
the server as ``pejling serve`` starts it with ``BENCH_WORKERS`` processes), then ``GET /s/<tenant>/<store>`` with
gzip on ``BENCH_CONNECTIONS`` connections for ``BENCH_SECONDS``, ``BENCH_REPEAT`` times (default 3), with
``GET /healthz`` beside each round as the ceiling of the same server at the same moment. With ``BENCH_BEFORE_REF``
(a commit) a second server runs that commit's code on its own database, and the rounds alternate between the two:
before and after in one run, under the same load of the machine.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from tests.bench import results
from tests.bench.before_after import BEFORE_REF, after_over_before, alternate, serve_site
from tests.bench.http_bench import CONNECTIONS, SECONDS, TARGETS, WORKERS
from tests.bench.load import run_wrk

REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))


def _round(base: str, page: str) -> dict[str, Any]:
    ping = run_wrk(base + "/healthz", "get.lua", connections=CONNECTIONS, seconds=SECONDS)
    run = run_wrk(page, "get.lua", connections=CONNECTIONS, seconds=SECONDS, headers=("Accept-Encoding: gzip",))
    return {"page_per_s": run.per_second, "page_p50_ms": run.p50_ms, "page_p99_ms": run.p99_ms,
            "page_errors": run.errors, "ping_per_s": ping.per_second, "load_average": round(os.getloadavg()[0], 2),
            "page_bytes": run.bytes / run.requests if run.requests else 0.0}


def _serve(stack: ExitStack, name: str, secret_key: str, tmp: Path, python_path: Path | None) -> tuple[str, str]:
    site = serve_site(stack, name, secret_key, tmp, python_path)
    return site.base, site.base + site.page_path


def _warm(server: tuple[str, str]) -> None:
    run_wrk(server[1], "get.lua", connections=CONNECTIONS, seconds=2, headers=("Accept-Encoding: gzip",))


def _body_bytes(servers: dict[str, tuple[str, str]]) -> dict[str, Any]:
    response = httpx.get(servers["after"][1], headers={"Accept-Encoding": "gzip"})
    return {"page_body_bytes": int(response.num_bytes_downloaded)}


def main() -> None:
    """Run the page section once (throw-away databases on ``PEJLING_BENCH_DATABASE_URL``'s server)."""
    rounds = alternate("page", _serve, _warm, lambda server: _round(*server), REPEAT, while_up=_body_bytes)
    if rounds is None:
        return
    data: dict[str, Any] = {
        "server": f"uvicorn, {WORKERS} worker{'s' if WORKERS != 1 else ''}", "seconds": SECONDS,
        "connections": CONNECTIONS, "before_ref": BEFORE_REF or None, "rounds": rounds.by_variant, **rounds.found,
    }
    rows = []
    for name in rounds.variants:
        best = rounds.best(name, "page_per_s")
        data[f"{name}_page_per_s"] = best["page_per_s"]
        data[f"{name}_page_bytes"] = best["page_bytes"]
        data[f"{name}_page_over_ping"] = best["page_per_s"] / best["ping_per_s"] if best["ping_per_s"] else None
        for index, r in enumerate(rounds.by_variant[name]):
            rows.append(results.run_row(f"{name}_{index}", f"survey page GET (gzip), {name}, round {index + 1}",
                                        {"per_second": r["page_per_s"], "p50_ms": r["page_p50_ms"],
                                         "p99_ms": r["page_p99_ms"], "errors": r["page_errors"]}))
        rows.append(results.figure(f"{name}_page_per_s", f"survey page, {name}, best round, per s",
                                   data[f"{name}_page_per_s"], ".0f", target=TARGETS["page_per_s"]))
        rows.append(results.figure(f"{name}_page_bytes", f"survey page, {name}, bytes over the wire (with headers)",
                                   data[f"{name}_page_bytes"], ".0f", target=TARGETS["page_bytes"], at_most=True))
        rows.append(results.figure(f"{name}_page_over_ping", f"survey page ÷ ping of the same round, {name}",
                                   data[f"{name}_page_over_ping"], ".2f"))
    after_over_before(data, rows, "page_per_s", "survey page", ".1f")
    results.record("page", data, rows)


if __name__ == "__main__":
    main()

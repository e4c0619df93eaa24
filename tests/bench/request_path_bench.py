"""The authenticated request path under wrk (section ``request_path``): the ``http`` section's ``graphql`` and
``plain`` runs with ``ping`` beside them, before and after a change in one run; not a test.

    BENCH_BEFORE_REF=main .venv/bin/python -m tests.bench request_path    # PEJLING_BENCH_DATABASE_URL as for http

The set-up of :mod:`tests.bench.page_bench`: each server (``BENCH_WORKERS`` uvicorn processes, production settings)
on a throw-away database of its own with the demo tenant and a fresh owner session. Each round runs, on each server in
turn: ``GET /healthz`` (``BENCH_CONNECTIONS``), then ``{ __typename }`` with the session cookie and the bench app's
plain route after the same middleware (``BENCH_GRAPHQL_CONNECTIONS``, as the ``http`` section), each for
``BENCH_SECONDS``, ``BENCH_REPEAT`` rounds (default 3). With ``BENCH_BEFORE_REF`` (a commit) the first server runs that
commit's ``pejling`` package and the rounds alternate, so both see the same load of the machine. Each round records the
load average (other people's jobs share the machine).
"""

from __future__ import annotations

import os
from typing import Any

from tests.bench import results
from tests.bench.before_after import BEFORE_REF, after_over_before, alternate, serve_site
from tests.bench.bench_app import PLAIN_PATH
from tests.bench.http_bench import CONNECTIONS, GRAPHQL_BODY, GRAPHQL_CONNECTIONS, SECONDS, TARGETS, check_site
from tests.bench.load import run_wrk
from tests.bench.page_bench import REPEAT
from tests.bench.server_site import Site, cookie_headers

RUNS = ("ping", "graphql", "plain")


def _round(site: Site) -> dict[str, Any]:
    found: dict[str, Any] = {"load_average": round(os.getloadavg()[0], 2)}
    ping = run_wrk(site.base + "/healthz", "get.lua", connections=CONNECTIONS, seconds=SECONDS)
    graphql = run_wrk(site.base + "/graphql", "post_json.lua", connections=GRAPHQL_CONNECTIONS, seconds=SECONDS,
                      headers=cookie_headers(site), args=(GRAPHQL_BODY,))
    plain = run_wrk(site.base + PLAIN_PATH, "post_json.lua", connections=GRAPHQL_CONNECTIONS, seconds=SECONDS,
                    headers=cookie_headers(site), args=(GRAPHQL_BODY,))
    for name, run in zip(RUNS, (ping, graphql, plain), strict=True):
        found.update({f"{name}_per_s": run.per_second, f"{name}_p50_ms": run.p50_ms, f"{name}_p99_ms": run.p99_ms,
                      f"{name}_errors": run.errors})
    found["load_average_after"] = round(os.getloadavg()[0], 2)
    return found


def _warm(site: Site) -> None:
    """Fail early on refusals; then warm every worker up."""
    check_site(site)
    run_wrk(site.base + "/graphql", "post_json.lua", connections=GRAPHQL_CONNECTIONS, seconds=2,
            headers=cookie_headers(site), args=(GRAPHQL_BODY,))


def main() -> None:
    """Run the section once (throw-away databases on ``PEJLING_BENCH_DATABASE_URL``'s server)."""
    rounds = alternate("request_path", serve_site, _warm, _round, REPEAT)
    if rounds is None:
        return
    data: dict[str, Any] = {
        "server": f"uvicorn, {os.environ.get('BENCH_WORKERS', '2')} workers", "seconds": SECONDS,
        "connections": CONNECTIONS, "graphql_connections": GRAPHQL_CONNECTIONS, "before_ref": BEFORE_REF or None,
        "rounds": rounds.by_variant,
    }
    rows = []
    for name in rounds.variants:
        for index, found in enumerate(rounds.by_variant[name]):
            for run in RUNS:
                rows.append(results.run_row(f"{name}_{index}_{run}", f"{run}, {name}, round {index + 1}", {
                    "per_second": found[f"{run}_per_s"], "p50_ms": found[f"{run}_p50_ms"],
                    "p99_ms": found[f"{run}_p99_ms"], "errors": found[f"{run}_errors"]}))
        best = rounds.best(name, "graphql_per_s")
        data[f"{name}_graphql_per_s"] = best["graphql_per_s"]
        plain = best["plain_per_s"]
        data[f"{name}_graphql_over_plain"] = best["graphql_per_s"] / plain if plain else None
        rows.append(results.figure(f"{name}_graphql_per_s", f"GraphQL {{ __typename }}, cookie, {name}, best round, "
                                   "per s", data[f"{name}_graphql_per_s"], ".0f", target=TARGETS["graphql_per_s"]))
        rows.append(results.figure(f"{name}_graphql_over_plain", f"graphql ÷ plain of that round, {name}",
                                   data[f"{name}_graphql_over_plain"], ".3f", target=TARGETS["graphql_over_plain"]))
    after_over_before(data, rows, "graphql_per_s", "GraphQL { __typename }", ".2f")
    results.record("request_path", data, rows)


if __name__ == "__main__":
    main()

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

import asyncio
import os
import secrets
import subprocess
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from tests.bench import results
from tests.bench.http_bench import CONNECTIONS, SECONDS, TARGETS, WORKERS
from tests.bench.load import run_wrk, wrk_executable
from tests.bench.results import ROOT
from tests.bench.server_site import (
    Site,
    admin_url,
    pejling_command,
    read_site,
    running_server,
    server_environment,
    throwaway_database,
)

REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
#: A commit to measure beside this tree in the same run (``BENCH_BEFORE_REF=HEAD~1``): its ``pejling`` package,
#: from ``git archive``, serves a second server on a database of its own, and the rounds alternate between the two.
BEFORE_REF = os.environ.get("BENCH_BEFORE_REF", "")


def source_tree(ref: str, folder: Path) -> Path:
    """``ref``'s source as an importable ``pejling`` package under ``folder`` (which goes first on PYTHONPATH)."""
    package = folder / "pejling"
    package.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(package)], input=archive, check=True)
    (package / "__init__.py").touch()  # a regular package, so it wins over this tree's editable install
    return folder


def serve_site(stack: ExitStack, name: str, secret_key: str, tmp: Path, python_path: Path | None) -> Site:
    """Migrate a throw-away database, seed the demo tenant and start a server (``python_path`` first on its
    ``PYTHONPATH``: a :func:`source_tree`); returns its :class:`Site` with a fresh owner session."""
    database_url = stack.enter_context(throwaway_database(admin_url()))
    var_dir = tmp / name
    var_dir.mkdir()
    env = server_environment(database_url, var_dir, secret_key)
    if python_path is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(python_path), env["PYTHONPATH"]])
    for command in (("migrate",), ("demo",)):
        subprocess.run(pejling_command(*command), env=env, cwd=var_dir, check=True, capture_output=True)
    from pejling.tenants.demo import DEMO_SLUG

    base = stack.enter_context(running_server(env, workers=WORKERS, log=var_dir / "server.log"))
    return asyncio.run(read_site(database_url, base, secret_key, DEMO_SLUG))


def _round(base: str, page: str) -> dict[str, Any]:
    ping = run_wrk(base + "/healthz", "get.lua", connections=CONNECTIONS, seconds=SECONDS)
    run = run_wrk(page, "get.lua", connections=CONNECTIONS, seconds=SECONDS, headers=("Accept-Encoding: gzip",))
    return {"page_per_s": run.per_second, "page_p50_ms": run.p50_ms, "page_p99_ms": run.p99_ms,
            "page_errors": run.errors, "ping_per_s": ping.per_second, "load_average": round(os.getloadavg()[0], 2),
            "page_bytes": run.bytes / run.requests if run.requests else 0.0}


def main() -> None:
    """Run the page section once (throw-away databases on ``PEJLING_BENCH_DATABASE_URL``'s server)."""
    if wrk_executable() is None:
        print("page bench: wrk is not installed (make bench installs it: apt-get install -y wrk)")
        return
    secret_key = secrets.token_urlsafe(32)
    variants = (["before"] if BEFORE_REF else []) + ["after"]
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="pejling-bench-") as tmp_name:
        tmp = Path(tmp_name)
        servers = {}
        for name in variants:
            tree = source_tree(BEFORE_REF, tmp / "before-tree") if name == "before" else None
            site = serve_site(stack, name, secret_key, tmp, tree)
            servers[name] = (site.base, site.base + site.page_path)
        body_bytes = int(httpx.get(servers["after"][1], headers={"Accept-Encoding": "gzip"}).num_bytes_downloaded)
        for base, page in servers.values():  # warm every worker up
            run_wrk(page, "get.lua", connections=CONNECTIONS, seconds=2, headers=("Accept-Encoding: gzip",))
        for _ in range(REPEAT):
            for name, (base, page) in servers.items():
                rounds[name].append(_round(base, page))
    data: dict[str, Any] = {
        "server": f"uvicorn, {WORKERS} worker{'s' if WORKERS != 1 else ''}", "seconds": SECONDS,
        "connections": CONNECTIONS, "before_ref": BEFORE_REF or None, "rounds": rounds,
        "page_body_bytes": body_bytes,
    }
    rows = []
    for name in variants:
        best = max(rounds[name], key=lambda r: r["page_per_s"])
        data[f"{name}_page_per_s"] = best["page_per_s"]
        data[f"{name}_page_bytes"] = best["page_bytes"]
        data[f"{name}_page_over_ping"] = best["page_per_s"] / best["ping_per_s"] if best["ping_per_s"] else None
        for index, r in enumerate(rounds[name]):
            rows.append(results.run_row(f"{name}_{index}", f"survey page GET (gzip), {name}, round {index + 1}",
                                        {"per_second": r["page_per_s"], "p50_ms": r["page_p50_ms"],
                                         "p99_ms": r["page_p99_ms"], "errors": r["page_errors"]}))
        rows.append(results.figure(f"{name}_page_per_s", f"survey page, {name}, best round, per s",
                                   data[f"{name}_page_per_s"], ".0f", target=TARGETS["page_per_s"]))
        rows.append(results.figure(f"{name}_page_bytes", f"survey page, {name}, bytes over the wire (with headers)",
                                   data[f"{name}_page_bytes"], ".0f", target=TARGETS["page_bytes"], at_most=True))
        rows.append(results.figure(f"{name}_page_over_ping", f"survey page ÷ ping of the same round, {name}",
                                   data[f"{name}_page_over_ping"], ".2f"))
    if BEFORE_REF and data["before_page_per_s"]:
        data["after_over_before"] = data["after_page_per_s"] / data["before_page_per_s"]
        rows.append(results.figure("after_over_before", "survey page, after ÷ before (best rounds)",
                                   data["after_over_before"], ".1f"))
    results.record("page", data, rows)


if __name__ == "__main__":
    main()

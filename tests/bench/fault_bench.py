"""The fault bench of ``make bench``: nothing is lost when PostgreSQL restarts and an app process dies under load.

    .venv/bin/python -m tests.bench.fault_bench     # BENCH_FAULT_SECONDS, BENCH_FAULT_CLIENTS

Makes a private PostgreSQL cluster (:mod:`tests.support.private_postgres`; the machine's shared server is never
restarted), migrates it and seeds it with the real ``pejling`` commands, and serves it with
``pejling serve --workers 2`` (production settings). Clients (asyncio, httpx) then send complete responses, each
with its own response id chosen by the client and its own address (``X-Forwarded-For`` from the trusted loopback
proxy); a submission that fails (no answer, a timeout, a 5xx) is sent again with the same id and body until it is
accepted (2xx), at most :data:`MAX_ATTEMPTS` times. Meanwhile the faults of the plan strike: PostgreSQL stopped
(``fast``: open transactions rolled back, every connection closed) or crashed (``immediate``: the next start
recovers from the WAL) and started again after a pause, and one uvicorn worker process killed with SIGKILL (its
supervisor starts another).

Afterwards, the stored responses are compared with what the clients saw accepted: the same ids, none missing, none
stored that no client was told of, none twice, each with all its answers; and the rollups kept while the responses
arrived equal a full recomputation (``pejling recompute-rollups``). Prints a table and writes
``bench/results/<UTC date and time>-faults.json``. ``tests/bench_smoke/test_faults.py`` runs a short version.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.bench.fault_load import (
    ROOT,
    Site,
    Tally,
    clients_until,
    read_site,
)
from tests.bench.server_site import admin_sql, asyncpg_url, pejling_command, server_environment
from tests.support.private_postgres import PrivatePostgres, private_postgres, unavailable
from tests.support.server import free_port
from tests.support.server import serving as running

SECONDS = float(os.environ.get("BENCH_FAULT_SECONDS", "30"))
CLIENTS = int(os.environ.get("BENCH_FAULT_CLIENTS", "32"))
WORKERS = 2
DATABASE = "pejling_faults"
SEED_SLUG = "fault-shop"
RESULTS = ROOT / "bench" / "results"


@dataclass(frozen=True)
class Fault:
    """One fault, struck ``at`` this share of the load's duration: ``postgres-restart`` (stopped with ``fast``),
    ``postgres-crash`` (``immediate``) — each down for ``down_seconds`` — or ``kill-worker`` (SIGKILL)."""

    at: float
    kind: str
    down_seconds: float = 1.0


BENCH_FAULTS = (Fault(0.2, "postgres-restart", 2.0), Fault(0.45, "kill-worker"), Fault(0.7, "postgres-crash", 2.0))
SHORT_FAULTS = (Fault(0.25, "postgres-restart", 1.0), Fault(0.6, "kill-worker"))


# -- the faults ----------------------------------------------------------------------------------------------------

def worker_pids(supervisor: int) -> set[int]:
    """The uvicorn worker processes of the supervisor ``supervisor`` (its children running ``spawn_main``)."""
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == supervisor and b"spawn_main" in cmdline:
            found.add(int(entry.name))
    return found


def kill_a_worker(supervisor: int) -> dict[str, Any]:
    """SIGKILL one worker of ``supervisor``; :func:`wait_for_workers` then waits for its replacement."""
    before = worker_pids(supervisor)
    if not before:
        raise RuntimeError("no uvicorn worker process found to kill")
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    return {"killed": victim}


def wait_for_workers(supervisor: int, workers: int, killed: set[int], *, timeout: float) -> list[int] | None:
    """Wait until ``supervisor`` runs ``workers`` processes again, none of them ``killed``; their pids, or None.

    uvicorn's supervisor usually replaces a dead worker within a second, but one killed while the supervisor waited
    for its answer to a health-check ping is only noticed after ``timeout_worker_healthcheck`` (60 s in
    ``pejling serve``): the other workers serve meanwhile.
    """
    deadline = time.monotonic() + timeout
    while True:
        now = worker_pids(supervisor)
        if len(now) >= workers and not now & killed:
            return sorted(now)
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.1)


def strike(fault: Fault, cluster: PrivatePostgres, supervisor: int) -> dict[str, Any]:
    """Strike one fault (blocking: run it in a thread) and say what happened."""
    begun = time.monotonic()
    event: dict[str, Any] = {"kind": fault.kind}
    if fault.kind == "kill-worker":
        event.update(kill_a_worker(supervisor))
    elif fault.kind in ("postgres-restart", "postgres-crash"):
        cluster.stop("fast" if fault.kind == "postgres-restart" else "immediate")
        time.sleep(fault.down_seconds)
        cluster.start()
        event["down_seconds"] = fault.down_seconds
    else:
        raise ValueError(f"unknown fault {fault.kind!r}")
    event["seconds"] = round(time.monotonic() - begun, 3)
    return event


async def strike_in_turn(faults: Sequence[Fault], started: float, seconds: float, cluster: PrivatePostgres,
                         supervisor: int) -> list[dict[str, Any]]:
    events = []
    for fault in sorted(faults, key=lambda f: f.at):
        await asyncio.sleep(max(0.0, started + fault.at * seconds - time.monotonic()))
        event = await asyncio.to_thread(strike, fault, cluster, supervisor)
        event["at_seconds"] = round(time.monotonic() - started, 3)
        events.append(event)
    return events


# -- what was stored -----------------------------------------------------------------------------------------------

_ROLLUP_KEYS = {
    "insights_daily": ("store_id", "zone_id", "channel", "day", "mask"),
    "insights_statement_daily": ("store_id", "zone_id", "channel", "day", "statement_id"),
    "insights_store_daily": ("store_id", "day"),
}
Rollups = dict[str, dict[tuple[str, ...], dict[str, float]]]


def _summed_columns() -> dict[str, Sequence[str]]:
    from pejling.core.insights.columns import HISTOGRAM_COLUMNS, STORE_COLUMNS, SUM_COLUMNS

    return {"insights_daily": SUM_COLUMNS, "insights_statement_daily": HISTOGRAM_COLUMNS,
            "insights_store_daily": STORE_COLUMNS}


async def rollup_rows(database_url: str, tenant_id: str) -> Rollups:
    """Every rollup row of the tenant, by its key, with its summed columns."""
    import asyncpg

    columns = _summed_columns()
    found: Rollups = {}
    connection = await asyncpg.connect(asyncpg_url(database_url))
    try:
        for table, key in _ROLLUP_KEYS.items():
            rows = await connection.fetch(f"SELECT * FROM {table} WHERE tenant_id = $1",  # noqa: S608 - fixed names
                                          uuid.UUID(tenant_id))
            found[table] = {tuple(str(row[k]) for k in key): {c: float(row[c] or 0) for c in columns[table]}
                            for row in rows}
    finally:
        await connection.close()
    return found


def rollup_differences(kept: Rollups, recomputed: Rollups) -> list[str]:
    """Where the rollups kept by the ingest differ from a full recomputation (up to float rounding)."""
    differences = []
    for table, rows in recomputed.items():
        for key in sorted(rows.keys() ^ kept[table].keys()):
            differences.append(f"{table} {key}: {'missing' if key in rows else 'not in the recomputation'}")
        for key in sorted(rows.keys() & kept[table].keys()):
            for column, value in rows[key].items():
                if not math.isclose(kept[table][key][column], value, rel_tol=1e-9, abs_tol=1e-6):
                    differences.append(f"{table} {key} {column}: kept {kept[table][key][column]}, "
                                       f"recomputed {value}")
    return differences


async def stored_responses(database_url: str, tenant_id: str) -> tuple[list[str], dict[str, int]]:
    """The ids of the tenant's responses taken in by the ingest (every row, so a repeat would show), and the
    number of answer rows of each."""
    import asyncpg

    connection = await asyncpg.connect(asyncpg_url(database_url))
    try:
        ids = [str(row["id"]) for row in await connection.fetch(
            "SELECT id FROM survey_response WHERE tenant_id = $1 AND via = 'json'", uuid.UUID(tenant_id))]
        answers = {str(row["response_id"]): int(row["n"]) for row in await connection.fetch(
            "SELECT a.response_id, count(*) AS n FROM survey_answer a JOIN survey_response r ON r.id = a.response_id "
            "WHERE r.tenant_id = $1 AND r.via = 'json' GROUP BY a.response_id", uuid.UUID(tenant_id))}
    finally:
        await connection.close()
    return ids, answers


# -- the server ----------------------------------------------------------------------------------------------------

@contextmanager
def serving(env: dict[str, str], *, workers: int, log: Path,
            cwd: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``pejling serve --workers N`` on a free port for the block; yields its base URL and the supervisor."""
    port = free_port()
    command = pejling_command("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers))
    with running(command, port=port, env=env, cwd=cwd, log=log, attempts=600, stop_timeout=30) as (base, process):
        deadline = time.monotonic() + 120
        while len(worker_pids(process.pid)) < workers and time.monotonic() < deadline:
            time.sleep(0.1)
        yield base, process


async def _migrate_and_seed_shop() -> None:
    """Migrate, then seed a tenant with one store, a zone and its default survey (``--migrate-and-seed``: the short
    run's set-up, without the demo's thousands of responses)."""
    from tortoise import Tortoise

    from pejling.core.database import migrate, tortoise_config
    from pejling.core.settings import get_settings
    from pejling.core.surveys.survey import active_survey
    from pejling.tenants.models import Store, Zone
    from pejling.tenants.scope import tenant_scope
    from pejling.tenants.signup import create_tenant_with_owner

    await migrate(get_settings())
    await Tortoise.init(config=tortoise_config(get_settings()))
    try:
        tenant, _ = await create_tenant_with_owner(
            tenant_name="Fault Shop", tenant_slug=SEED_SLUG, email="owner@fault-shop.example",
            password=secrets.token_urlsafe(18))
        with tenant_scope(tenant.id):
            store = await Store.create(name="Main street", slug="main", default_language="da")
            await Zone.create(store=store, name="Checkout", kind="checkout")
            await active_survey()
    finally:
        await Tortoise.close_connections()


# -- one run -------------------------------------------------------------------------------------------------------

def run_faults(*, seconds: float = SECONDS, clients: int = CLIENTS, faults: Sequence[Fault] = BENCH_FAULTS,
               demo: bool = True, workers: int = WORKERS, environment: str = "production",
               keep_log: Path | None = None) -> dict[str, Any]:
    """One whole run (cluster, server, load, faults, comparison); returns the result (see :func:`judge`).

    ``demo`` seeds the demo tenant (``pejling demo``, thousands of responses); otherwise a bare shop is seeded.
    ``keep_log``: where to copy the server's log.
    """
    phases: dict[str, float] = {}
    begun = time.monotonic()
    with private_postgres() as cluster, tempfile.TemporaryDirectory(prefix="pejling-faults-") as folder:
        phases["cluster"] = time.monotonic() - begun
        asyncio.run(admin_sql(cluster.url(), f'CREATE DATABASE "{DATABASE}"'))
        database_url = cluster.url(DATABASE)
        var_dir = Path(folder)
        secret_key = secrets.token_urlsafe(32)
        env = server_environment(database_url, var_dir, secret_key, environment)
        # The short run migrates and seeds a bare shop in one process (one start-up less than two commands).
        commands = ([pejling_command("migrate"), pejling_command("demo")] if demo
                    else [[sys.executable, "-m", "tests.bench.fault_bench", "--migrate-and-seed"]])
        for command in commands:
            done = subprocess.run(command, env=env, cwd=var_dir, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"{' '.join(command[-2:])} failed: {done.stderr[-2000:]}")
            phases[command[-1].lstrip("-")] = time.monotonic() - begun - sum(phases.values())
        from pejling.tenants.demo import DEMO_SLUG

        log = var_dir / "server.log"
        with serving(env, workers=workers, log=log, cwd=var_dir) as (base, supervisor):
            phases["serve"] = time.monotonic() - begun - sum(phases.values())
            site = asyncio.run(read_site(database_url, base, DEMO_SLUG if demo else SEED_SLUG))
            tally, events = asyncio.run(_load_with_faults(site, cluster, supervisor.pid, seconds=seconds,
                                                          clients=clients, faults=faults, workers=workers))
            alive = supervisor.poll() is None
            phases["load"] = time.monotonic() - begun - sum(phases.values())
        if keep_log is not None:
            shutil.copyfile(log, keep_log)
        stored, answers = asyncio.run(stored_responses(database_url, site.tenant_id))
        kept = asyncio.run(rollup_rows(database_url, site.tenant_id))
        recompute = pejling_command("recompute-rollups", "--tenant", site.tenant_slug)
        subprocess.run(recompute, env=env, cwd=var_dir, capture_output=True, check=True)
        recomputed = asyncio.run(rollup_rows(database_url, site.tenant_id))
        result = judge(tally, stored, answers, kept, recomputed, taps=site.taps)
        phases["check"] = time.monotonic() - begun - sum(phases.values())
        result.update(seconds=seconds, clients=clients, workers=workers, faults=events, server_alive=alive,
                      date=datetime.now(UTC).isoformat(timespec="seconds"),
                      phase_seconds={name: round(value, 1) for name, value in phases.items()})
        if not alive or result["lost"] or result["unannounced"] or result["duplicates"]:
            result["server_log_tail"] = log.read_text(errors="replace").splitlines()[-40:]
        return result


async def _load_with_faults(site: Site, cluster: PrivatePostgres, supervisor: int, *, seconds: float, clients: int,
                            faults: Sequence[Fault], workers: int) -> tuple[Tally, list[dict[str, Any]]]:
    tally = Tally()
    started = time.monotonic()
    load = asyncio.create_task(clients_until(site, clients=clients, stop_at=started + seconds, tally=tally))
    try:
        events = await strike_in_turn(faults, started, seconds, cluster, supervisor)
    finally:
        await load
    killed = {event["killed"] for event in events if "killed" in event}
    if killed:
        from pejling.core.cli import WORKER_HEALTHCHECK_SECONDS

        now = await asyncio.to_thread(wait_for_workers, supervisor, workers, killed,
                                      timeout=WORKER_HEALTHCHECK_SECONDS + 30)
        for event in events:
            if "killed" in event:
                event["workers_after"] = now  # None: not replaced in time
    return tally, events


def judge(tally: Tally, stored: list[str], answers: dict[str, int], kept: Rollups, recomputed: Rollups, *,
          taps: int) -> dict[str, Any]:
    """Compare what the clients saw accepted with what is stored, and the kept rollups with the recomputed ones.

    ``lost``: accepted but not stored; ``unannounced``: stored but never answered 2xx (only possible for a
    submission a client gave up on); ``duplicates``: stored more than once; ``incomplete``: stored without all its
    answers. Nothing is lost when all of them, ``refused`` and ``rollup_differences`` are empty.
    """
    counts = Counter(stored)
    stored_ids = set(counts)
    differences = rollup_differences(kept, recomputed)
    return {
        "submitted": len(tally.submitted), "accepted": len(tally.accepted), "stored": len(stored),
        "accepted_as_resend": len(tally.accepted_as_resend), "given_up": sorted(tally.given_up),
        "refused": tally.refused, "attempts": tally.attempts, "failures": dict(tally.failures),
        "lost": sorted(tally.accepted - stored_ids), "unannounced": sorted(stored_ids - tally.accepted),
        "duplicates": sorted(i for i, n in counts.items() if n > 1),
        "incomplete": sorted(i for i in stored_ids if answers.get(i, 0) != taps),
        "rollup_rows": sum(len(rows) for rows in recomputed.values()),
        "rollup_differences": differences[:50], "rollup_difference_count": len(differences),
    }


def nothing_lost(result: dict[str, Any]) -> bool:
    """True when every accepted response is stored once with all its answers, nothing else is, and the rollups
    equal a full recomputation."""
    return not any(result[key] for key in ("lost", "unannounced", "duplicates", "incomplete", "refused",
                                           "given_up", "rollup_differences"))


def table(result: dict[str, Any]) -> str:
    """The printed summary."""
    faults = ", ".join(f"{e['kind']} at {e['at_seconds']:.1f} s" + (
        "" if "killed" not in e else " (replaced)" if e.get("workers_after") else " (NOT replaced)")
        for e in result["faults"])
    failures = ", ".join(f"{kind} x{n}" for kind, n in sorted(result["failures"].items())) or "none"
    rows = [
        f"faults: {faults}",
        f"{result['clients']} clients, {result['seconds']:g} s, {result['workers']} workers; "
        f"{result['attempts']} requests, failed attempts: {failures}",
        f"  submitted {result['submitted']:>7d}   accepted {result['accepted']:>7d}   stored {result['stored']:>7d}"
        f"   accepted as a resend {result['accepted_as_resend']}",
        f"  lost {len(result['lost'])}, stored unannounced {len(result['unannounced'])}, duplicates "
        f"{len(result['duplicates'])}, incomplete {len(result['incomplete'])}, refused {len(result['refused'])}, "
        f"given up {len(result['given_up'])}",
        f"  rollups ({result['rollup_rows']} rows) vs full recomputation: "
        + ("equal" if not result["rollup_difference_count"] else f"{result['rollup_difference_count']} differences"),
        "  nothing lost: " + ("yes" if nothing_lost(result) else "NO"),
        "  seconds spent: " + ", ".join(f"{name} {value:g}" for name, value in result.get("phase_seconds", {}).items()),
    ]
    return "\n".join(rows)


def write_result(result: dict[str, Any], folder: Path = RESULTS) -> Path:
    """Write ``<folder>/<date>-faults.json``; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = result["date"].replace(":", "-").replace("+00-00", "Z")
    path = folder / f"{stem}-faults.json"
    path.write_text(json.dumps({**result, "nothing_lost": nothing_lost(result)}, indent=2) + "\n")
    return path


def main() -> None:
    """Run the fault bench once (``make bench``)."""
    reason = unavailable()
    if reason is not None:
        print(f"fault bench skipped: {reason}")
        return
    if not Path("/proc").is_dir():
        print("fault bench skipped: needs /proc to find the uvicorn worker processes")
        return
    result = run_faults()
    path = write_result(result)
    print(table(result))
    print(f"  written: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--migrate-and-seed"]:
        asyncio.run(_migrate_and_seed_shop())
    else:
        main()

"""What row-level security costs (section ``row_security`` of ``make bench``); not a test.

    .venv/bin/python -m tests.bench row_security    # PEJLING_BENCH_DATABASE_URL: a PostgreSQL server (trust auth)

One throw-away database, migrated by its owner, one bench tenant grown by bulk SQL to ``BENCH_RLS_RESPONSES``
(100 000) responses. The same work is then measured by each of three ways in, in one run, alternating (``A B C A B
C``) so that a machine growing busier weighs on each alike:

* ``plain``: Tortoise's own asyncpg engine as the owner (a superuser): no tenant setting is sent and no policy is
  evaluated — Pejling before row-level security (in process only: ``pejling serve`` has no such engine);
* ``bypass``: Pejling's engine (:mod:`pejling.core.row_security`) as the owner: the tenant setting is sent, the
  policies are not evaluated (a superuser bypasses them);
* ``restricted``: Pejling's engine as the application role the deployment uses (no ``BYPASSRLS``, owns no table):
  the setting is sent and every statement is filtered by the policies.

Measured for each: the store insights engine cold over 90 days (p50/p99 of ``BENCH_REPEAT`` calls, in process)
and, with wrk, the public ingest of a served app (``bypass`` and ``restricted``; ``BENCH_INGEST=0`` leaves it
out). Ratios: restricted ÷ bypass (what the policies cost), bypass ÷ plain (what sending the setting costs),
restricted ÷ plain (both).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tests.bench import results
from tests.bench.insights_bench import INGEST, WORKERS, Bench, create_bench_tenant, grow, ingest_at, time_insights
from tests.bench.load import wrk_executable
from tests.bench.server_site import admin_sql, admin_url, running_server, server_environment, throwaway_database

RESPONSES = int(os.environ.get("BENCH_RLS_RESPONSES", "100000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "50"))
ROUNDS = int(os.environ.get("BENCH_RLS_ROUNDS", "2"))
APP_ROLE = "pejling_bench_app"
ARMS = ("plain", "bypass", "restricted")
SERVED_ARMS = ("bypass", "restricted")
LABELS = {
    "plain": "stock asyncpg engine, owner (no setting, no policy)",
    "bypass": "Pejling's engine, owner (setting sent, policies bypassed)",
    "restricted": "Pejling's engine, application role (policies enforced)",
}
RATIOS = (("restricted", "bypass"), ("bypass", "plain"), ("restricted", "plain"))


def as_role(url: str, role: str) -> str:
    """``url`` with another user (trust auth: no password)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port or 5432}"))


async def ensure_application_role(admin: str) -> None:
    """The restricted login role of the bench (cluster-wide, like the test suite's): created once, kept."""
    await admin_sql(admin, f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
          END IF;
        END $$""")


def settings_for(arm: str, owner_url: str, secret_key: str) -> Any:
    from pejling.core.settings import Settings

    url = as_role(owner_url, APP_ROLE) if arm == "restricted" else owner_url
    return Settings(environment="test", database_url=url, database_owner_url=owner_url, secret_key=secret_key,
                    run_worker_in_app=False, log_level="WARNING")


async def time_arm(arm: str, bench: Bench, settings: Any, repeat: int) -> dict[str, float]:
    """The insights engine cold over 90 days through one way in (Tortoise opened for it and closed after)."""
    from tortoise import Tortoise

    from pejling.core.database import tortoise_config

    config = tortoise_config(settings)
    if arm == "plain":
        config["connections"]["default"]["engine"] = "tortoise.backends.asyncpg"
        config["connections"]["default"]["credentials"].pop("per_transaction_only", None)
    await Tortoise.init(config=config)
    try:
        return (await time_insights(bench, settings, repeat))["engine_cold"]
    finally:
        await Tortoise.close_connections()


async def prepare(owner_url: str, secret_key: str, responses: int) -> Bench:
    """Migrate (the owner grants the application role), make the bench tenant and grow it."""
    from tortoise import Tortoise

    from pejling.core.database import migrate, tortoise_config

    owner = settings_for("bypass", owner_url, secret_key)
    await migrate(settings_for("restricted", owner_url, secret_key))
    await Tortoise.init(config=tortoise_config(owner))
    try:
        bench = await create_bench_tenant()
        await grow(bench, responses)
    finally:
        await Tortoise.close_connections()
    return bench


def summarise(samples: dict[str, list[dict[str, float]]], key: str) -> dict[str, float]:
    """The mean over the rounds of each arm's figure ``key``."""
    return {arm: sum(s[key] for s in runs) / len(runs) for arm, runs in samples.items() if runs}


def build_result(insights: dict[str, list[dict[str, float]]], ingest: dict[str, list[dict[str, float]]],
                 responses: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The section's data and table: each arm's insights p50/p99 and ingest rate, and the ratios."""
    p50 = summarise(insights, "p50_ms")
    p99 = summarise(insights, "p99_ms")
    rate = summarise(ingest, "ingest_per_s")
    ingest_p99 = summarise(ingest, "ingest_p99_ms")
    data: dict[str, Any] = {"responses": responses, "rounds": ROUNDS, "repeat": REPEAT, "insights": insights,
                            "ingest": ingest, "insights_p50_ms": p50, "insights_p99_ms": p99, "ingest_per_s": rate,
                            "ingest_p99_ms": ingest_p99, "ratios": {}}
    rows = [results.figure("responses", "stored responses", responses, ",.0f")]
    for arm in ARMS:
        rows.append(results.figure(f"insights_p50_{arm}", f"insights cold p50 ms, {LABELS[arm]}", p50.get(arm)))
        rows.append(results.figure(f"insights_p99_{arm}", f"insights cold p99 ms, {LABELS[arm]}", p99.get(arm)))
    for arm in SERVED_ARMS:
        rows.append(results.figure(f"ingest_{arm}", f"public ingest per s, {LABELS[arm]}", rate.get(arm), ".0f"))
        rows.append(results.figure(f"ingest_p99_{arm}", f"public ingest p99 ms, {LABELS[arm]}", ingest_p99.get(arm)))
    for numerator, denominator in RATIOS:
        for name, values in (("insights_p50", p50), ("ingest", rate)):
            if numerator in values and denominator in values and values[denominator] > 0:
                key = f"{name}_{numerator}_over_{denominator}"
                data["ratios"][key] = values[numerator] / values[denominator]
                rows.append(results.figure(key, f"{name.replace('_', ' ')}: {numerator} ÷ {denominator}",
                                           data["ratios"][key], ".3f"))
    return data, rows


async def measure(owner_url: str, folder: Path, secret_key: str, bench: Bench, *, serve: bool
                  ) -> tuple[dict[str, list[dict[str, float]]], dict[str, list[dict[str, float]]]]:
    insights: dict[str, list[dict[str, float]]] = {arm: [] for arm in ARMS}
    ingest: dict[str, list[dict[str, float]]] = {arm: [] for arm in SERVED_ARMS} if serve else {}
    await time_arm("bypass", bench, settings_for("bypass", owner_url, secret_key), 2)  # warm the buffers, untimed
    for round_number in range(ROUNDS):
        for arm in ARMS:
            settings = settings_for(arm, owner_url, secret_key)
            insights[arm].append(await time_arm(arm, bench, settings, REPEAT))
            if serve and arm in SERVED_ARMS:
                env = server_environment(settings.database_url, folder, secret_key)
                env["PEJLING_DATABASE_OWNER_URL"] = owner_url
                with running_server(env, workers=WORKERS, log=folder / f"server-{arm}.log") as base:
                    ingest[arm].append(await ingest_at(base, owner_url, secret_key, warm_up=True))
            print(f"  round {round_number + 1} {arm}: insights p50 {insights[arm][-1]['p50_ms']:.1f} ms"
                  + (f", ingest {ingest[arm][-1]['ingest_per_s']:.0f}/s" if arm in ingest else ""), flush=True)
    return insights, ingest


def main() -> None:
    """Run the section once (a throw-away database on ``PEJLING_BENCH_DATABASE_URL``'s server)."""
    admin = admin_url()
    asyncio.run(ensure_application_role(admin))
    secret_key = "bench-" + secrets.token_urlsafe(32)
    with throwaway_database(admin) as owner_url, tempfile.TemporaryDirectory(prefix="pejling-bench-") as folder:
        bench = asyncio.run(prepare(owner_url, secret_key, RESPONSES))
        serve = INGEST and wrk_executable() is not None
        insights, ingest = asyncio.run(measure(owner_url, Path(folder), secret_key, bench, serve=serve))
    results.record("row_security", *build_result(insights, ingest, RESPONSES))


if __name__ == "__main__":
    main()

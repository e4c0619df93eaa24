"""A job worker process for the tests: ``pejling worker`` plus a kind that records each run in a table.

Run as ``python tests/jobs/jobs_worker_process.py --concurrency 2 --poll 0.1``; the test process imports
it too, so both sides know the ``tests.jobs.record`` kind.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import Any

from tortoise import connections

from pejling.core.jobs import register_job

RUNS_TABLE = "jobs_test_run"


async def create_runs_table(owner_url: str = "") -> None:
    """The table each ``tests.jobs.record`` run adds a row to. On PostgreSQL the application's role may not create
    tables: the owner (``owner_url``) creates it and lets every role read and add rows."""
    create = (f"CREATE TABLE IF NOT EXISTS {RUNS_TABLE} "
              "(token VARCHAR(64) NOT NULL, n INTEGER NOT NULL, pid INTEGER NOT NULL)")
    if not owner_url:
        await connections.get("default").execute_script(create)
        return
    import asyncpg

    owner = await asyncpg.connect(owner_url.replace("postgres://", "postgresql://", 1))
    try:
        await owner.execute(f"{create}; GRANT SELECT, INSERT ON {RUNS_TABLE} TO PUBLIC")
    finally:
        await owner.close()


async def runs(token: str) -> list[tuple[int, int]]:
    """(n, pid) of every recorded run with this token."""
    client = connections.get("default")
    mark = "$1" if client.capabilities.dialect == "postgres" else "?"
    rows = await client.execute_query_dict(f"SELECT n, pid FROM {RUNS_TABLE} WHERE token = {mark}", [token])
    return [(int(row["n"]), int(row["pid"])) for row in rows]


@register_job("tests.jobs.record")
async def record(payload: dict[str, Any]) -> None:
    """Sleep ``sleep`` seconds, then record that job ``n`` of ``token`` ran in this process."""
    await asyncio.sleep(float(payload.get("sleep", 0)))
    client = connections.get("default")
    marks = "$1, $2, $3" if client.capabilities.dialect == "postgres" else "?, ?, ?"
    await client.execute_query(
        f"INSERT INTO {RUNS_TABLE} (token, n, pid) VALUES ({marks})", [payload["token"], payload["n"], os.getpid()]
    )


def main() -> None:
    from pejling.core.jobs.worker import run_worker_forever
    from pejling.core.logs import configure_logging
    from pejling.core.settings import Settings

    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--poll", type=float, default=0.1)
    args = parser.parse_args()
    settings = Settings()
    configure_logging(settings)
    # Without plugins: these processes test the queue, not whichever plugins the test venv holds right now.
    asyncio.run(run_worker_forever(settings, concurrency=args.concurrency, poll_interval=args.poll, with_plugins=False))


if __name__ == "__main__":
    main()

"""Taking due jobs off the queue, safely against other workers, in raw SQL.

PostgreSQL: ``FOR UPDATE SKIP LOCKED`` lets any number of workers share the queue without two of
them taking the same job. SQLite has one writer at a time: the single ``UPDATE … RETURNING``
statement claims atomically, and ``status = 'queued'`` is checked again by the write itself.

The job table is system work across tenants: its statements run through
:func:`pejling.tenants.scope.all_tenants_sql`, inside :func:`~pejling.tenants.scope.all_tenants`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from uuid import UUID

from tortoise import connections

from pejling.core.database import is_postgres
from pejling.tenants.scope import all_tenants, all_tenants_sql

_ERROR = "the worker running this job stopped responding"
_BURY = all_tenants_sql(
    "UPDATE job SET status = 'dead', finished_at = ?, last_error = ? "
    "WHERE status = 'running' AND locked_at < ? AND attempts >= max_attempts"
)
_REQUEUE = all_tenants_sql(
    "UPDATE job SET status = 'queued', run_at = ?, last_error = ?, locked_by = NULL, locked_at = NULL "
    "WHERE status = 'running' AND locked_at < ? AND attempts < max_attempts"
)


def _marks(count: int) -> str:
    return ", ".join("?" * count)


async def claim_due_jobs(*, worker: str, now: datetime, limit: int, kinds: Collection[str]) -> list[UUID]:
    """Mark up to ``limit`` due queued jobs of ``kinds`` as running by ``worker``; returns their ids."""
    if limit < 1 or not kinds:
        return []
    postgres = is_postgres(connections.get("default"))
    lock = " FOR UPDATE SKIP LOCKED" if postgres else ""
    # Only placeholders and a fixed clause are formatted into the statement.
    kind_marks = _marks(len(kinds))
    due = "SELECT id FROM job WHERE status = 'queued' AND run_at <= ? AND kind IN (" + kind_marks  # noqa: S608
    due += ") ORDER BY priority DESC, run_at, id LIMIT ?" + lock
    taken = "UPDATE job SET status = 'running', locked_by = ?, locked_at = ?, attempts = attempts + 1 "
    if postgres:
        # ARRAY(...) runs the locking sub-select exactly once, an IN (...) sub-select may be run again
        # for every row the planner looks at and then take more than ``limit`` jobs.
        sql = taken + "WHERE status = 'queued' AND id = ANY(ARRAY(" + due + ")) RETURNING id"  # noqa: S608
    else:
        sql = taken + "WHERE status = 'queued' AND id IN (" + due + ") RETURNING id"  # noqa: S608
    with all_tenants():
        rows = await all_tenants_sql(sql).rows([worker, now, now, *sorted(kinds), limit])
    return [row["id"] if isinstance(row["id"], UUID) else UUID(str(row["id"])) for row in rows]


async def reclaim_stale_jobs(*, now: datetime, stale_before: datetime) -> tuple[int, int]:
    """Take back jobs whose worker stopped reporting before ``stale_before``: requeue them, or bury them
    when they have no attempts left. Returns (requeued, dead)."""
    with all_tenants():
        dead = await _BURY.execute([now, _ERROR, stale_before])
        requeued = await _REQUEUE.execute([now, _ERROR, stale_before])
    return requeued, dead

"""Count the SQL statements one piece of work sends to the database (SQLite and PostgreSQL alike).

Every Tortoise client (SQLite, asyncpg, their transaction wrappers) logs each statement it executes to the
``tortoise.db_client`` logger at DEBUG, just before running it. :func:`counting_queries` listens there for as
long as it is open, and attributes a statement to itself only when it runs in the task that opened it or in
a task started from it (a context variable: DataLoader batches and ``asyncio.gather`` children inherit it),
so another request running at the same time is not counted. Neither are the plugins' ``response_received`` events,
told after the shopper's answer by a task of their own (:data:`pejling.core.surveys.hooks.DELIVERY_TASK`) that may
have been started from inside the block: they are not the request's cost, and when they run is up to the scheduler.

    async with counting_queries() as sql:
        await client.post("/graphql", json={"query": "{ stores { edges { node { zones { name } } } } }"})
    assert len(sql) == 4, sql.statements
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from tortoise.log import db_client_logger

from pejling.core.surveys.hooks import DELIVERY_TASK

_current: ContextVar[QueryLog | None] = ContextVar("pejling_query_log", default=None)

#: Messages the client logs at DEBUG that are not statements.
_NOT_STATEMENTS = ("Created connection pool", "Closed connection pool")


@dataclass
class QueryLog:
    """The statements seen, in order (the SQL text without its parameters)."""

    statements: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.statements)

    def matching(self, fragment: str) -> list[str]:
        """The statements containing ``fragment`` (case-insensitive)."""
        return [s for s in self.statements if fragment.lower() in s.lower()]


class _Collector(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        log = _current.get()
        if log is None or _in_delivery_task():
            return
        sql = record.args[0] if isinstance(record.args, tuple) and record.args else record.msg
        text = str(sql)
        if not text.startswith(_NOT_STATEMENTS):
            log.statements.append(text)


def _in_delivery_task() -> bool:
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no running event loop
        return False
    return task is not None and task.get_name() == DELIVERY_TASK


@asynccontextmanager
async def counting_queries() -> AsyncIterator[QueryLog]:
    """A :class:`QueryLog` filled with the statements executed inside the block (by this task and its children)."""
    log = QueryLog()
    token = _current.set(log)
    handler = _Collector(level=logging.DEBUG)
    previous_level, previous_propagate = db_client_logger.level, db_client_logger.propagate
    db_client_logger.addHandler(handler)
    db_client_logger.setLevel(logging.DEBUG)
    db_client_logger.propagate = False  # the statements go to the counter only, not to the test's stderr
    try:
        yield log
    finally:
        db_client_logger.removeHandler(handler)
        db_client_logger.setLevel(previous_level)
        db_client_logger.propagate = previous_propagate
        _current.reset(token)

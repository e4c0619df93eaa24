"""SQLite for Tortoise, counting only the rows a statement changed itself.

Tortoise's SQLite client answers an ``UPDATE``'s or ``DELETE``'s row count from the connection's
``total_changes``, which also counts every row a trigger changed. Pejling's content-stamp triggers
(:class:`pejling.core.migration_ops.ContentStampTriggers`) touch the tenant's row whenever a store, zone, survey or
plugin setting changes, so a ``Store.filter(...).update(...)`` of one row would answer 2, and code that reads a
count (a claim, "was it there?") would be misled. This engine answers the cursor's ``rowcount``, SQLite's
``sqlite3_changes()``: the rows of the statement itself, as PostgreSQL counts them. Everything else is Tortoise's.
"""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.backends.base.client import NestedTransactionContext, TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
    translate_exceptions,
)


async def _execute(client: SqliteClient, query: str, values: list | None) -> tuple[int, Sequence[dict]]:
    query = query.replace("\x00", "'||CHAR(0)||'")  # as Tortoise does: a NUL cannot be bound in SQLite text
    async with client.acquire_connection() as connection:
        client.log.debug("%s: %s", query, values)
        async with connection.execute(query, values) as cursor:
            rows = await cursor.fetchall()
            changed = cursor.rowcount  # -1 for a statement that changes nothing (a SELECT)
    return max(changed, 0) or len(rows), rows


class DirectChangesClient(SqliteClient):
    """Tortoise's SQLite client whose row counts leave out rows changed by triggers."""

    @translate_exceptions
    async def execute_query(self, query: str, values: list | None = None) -> tuple[int, Sequence[dict]]:
        return await _execute(self, query, values)

    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(DirectChangesTransaction(self), self._lock)


class DirectChangesTransaction(SqliteTransactionWrapper):
    """A transaction of :class:`DirectChangesClient` (savepoints nested in it count the same way)."""

    @translate_exceptions
    async def execute_query(self, query: str, values: list | None = None) -> tuple[int, Sequence[dict]]:
        return await _execute(self, query, values)

    def _in_transaction(self) -> TransactionContext:
        return NestedTransactionContext(DirectChangesTransaction(self))


#: Tortoise loads an engine module's ``client_class``.
client_class = DirectChangesClient

__all__ = ["DirectChangesClient", "DirectChangesTransaction", "client_class"]

"""Raw SQL for rollups on SQLite and PostgreSQL: placeholders, parameter types and result values.

Rollups are summed in the database (``SUM`` over narrow numeric columns), which is what keeps dashboards fast. Every
statement here names ``tenant_id`` explicitly: raw SQL bypasses the tenant-scoped managers, so callers pass the
tenant of the current scope (:func:`pejling.tenants.scope.current_tenant_id`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from pejling.core.database import is_postgres as database_is_postgres
from pejling.core.database import prepare_sql


def client() -> BaseDBAsyncClient:
    """The connection of the current context (a transaction when one is open)."""
    return connections.get("default")


def is_postgres(db: BaseDBAsyncClient | None = None) -> bool:
    return database_is_postgres(db or client())


def prepare(db: BaseDBAsyncClient, sql: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """``?`` placeholders become ``$n`` on PostgreSQL; UUIDs and dates become text on SQLite."""
    return prepare_sql(db, sql, values)


async def fetch(sql: str, values: Sequence[Any] = ()) -> list[dict[str, Any]]:
    db = client()
    query, params = prepare(db, sql, values)
    return list(await db.execute_query_dict(query, params))


async def execute(sql: str, values: Sequence[Any] = ()) -> None:
    db = client()
    query, params = prepare(db, sql, values)
    await db.execute_query(query, params)


async def execute_many(sql: str, rows: Sequence[Sequence[Any]]) -> None:
    if not rows:
        return
    db = client()
    query, _ = prepare(db, sql, rows[0])
    params = [prepare(db, sql, row)[1] for row in rows]
    await db.execute_many(query, params)


def marks(count: int) -> str:
    return ", ".join("?" * count)


def as_uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def as_datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def as_json(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str | bytes):
        return json.loads(value)
    return value


def number(value: Any) -> float:
    """A summed value as a float (PostgreSQL returns Decimal for sums of bigints)."""
    return 0.0 if value is None else float(value)

"""Raw SQL for rollups on SQLite and PostgreSQL: parameter types and result values.

Rollups are summed in the database (``SUM`` over narrow numeric columns), which is what keeps dashboards fast. Raw SQL
bypasses the tenant-scoped managers, so every statement runs through :func:`pejling.tenants.scope.tenant_sql`, which
binds the tenant of the current scope wherever the statement says ``{tenant}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from tortoise import connections

from pejling.core.database import is_postgres as database_is_postgres
from pejling.tenants.scope import TENANT, TenantScopeViolation, current_tenant_id, tenant_sql

_BOUND_TENANT = re.compile(r"(?<![\w.])((?:\w+\.)?tenant_id\s*=\s*)\?")


def is_postgres() -> bool:
    return database_is_postgres(connections.get("default"))


async def fetch(sql: str, values: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Rows of a SELECT on tenant rows, for statements written with ``tenant_id = ?`` and the tenant id among
    ``values`` (the insights readers). Each such value must be the current scope's tenant; the statement then runs
    through :func:`~pejling.tenants.scope.tenant_sql` with ``{tenant}`` in its place. New code writes ``{tenant}``
    and calls ``tenant_sql(...).rows(values)`` itself."""
    tenant = current_tenant_id()
    rest = list(values)
    bound = 0
    for match in _BOUND_TENANT.finditer(sql):
        at = sql.count("?", 0, match.end() - 1) - bound
        if at >= len(rest) or str(rest[at]) != str(tenant):
            raise TenantScopeViolation("raw SQL names another tenant than the current scope")
        del rest[at]
        bound += 1
    return await tenant_sql(_BOUND_TENANT.sub(lambda m: m.group(1) + TENANT, sql)).rows(rest)


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

"""PostgreSQL row-level security: the second wall of tenant isolation, below the ORM's scope.

The first wall is :mod:`pejling.tenants.scope`: every tenant-owned query is filtered to the scope's tenant, and an
unscoped one raises. This module makes the database hold the same line for whatever slips past the ORM, raw SQL
included:

* Every tenant table has ``ROW LEVEL SECURITY`` enabled and forced, with one policy that shows and accepts only rows
  whose ``tenant_id`` is the ``pejling.tenant`` setting of the transaction (``*`` shows every tenant: system work
  inside :func:`pejling.tenants.scope.all_tenants`). The policies are created by each app's migrations with
  :class:`pejling.core.migration_ops.TenantRowSecurity`.
* The application's connections (:class:`TenantConnection`, installed by ``engine: pejling.core.row_security`` in
  :func:`pejling.core.database.tortoise_config`) tell PostgreSQL the scope of the code that runs each statement: before
  a statement, when the connection's setting differs from :func:`pejling.tenants.scope.database_setting`, it sets it —
  with ``set_config(…, true)`` (this transaction only) inside a transaction, and for the session outside one. A
  connection back in the pool is reset (``RESET ALL``): the next borrower starts from "no tenant".
* Behind PgBouncer in transaction pooling a session setting could stay on a server connection another client gets
  next, so there the setting is only ever local to a transaction: a statement outside one that needs a tenant runs in
  a transaction of its own.
* The application connects as a role that owns no table and lacks ``BYPASSRLS``; migrations run as the owner
  (``PEJLING_DATABASE_OWNER_URL``), which then grants the application role what it needs and no more
  (:func:`grant_application_role`): no ``UPDATE`` or ``DELETE`` on append-only tables (the audit log).

What it does not stop: SQL injection could call ``set_config`` itself. Row-level security here guards against our own
mistakes (a forgotten filter, a raw statement on the wrong tenant), not against arbitrary SQL; the query builders and
:func:`pejling.tenants.scope.tenant_sql` keep values out of SQL text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import asyncpg
from tortoise.backends.asyncpg.client import AsyncpgDBClient

from pejling.tenants.scope import database_setting

#: The custom setting the policies read.
SETTING = "pejling.tenant"

#: The policy's condition: the row's tenant is the setting, or the setting is ``*`` (all tenants). An unset or empty
#: setting matches nothing. ``current_setting`` is stable, so PostgreSQL evaluates it once per statement and can use
#: the ``tenant_id`` index.
POLICY_CONDITION = (
    f"(current_setting('{SETTING}', true) = '*' "
    f"OR tenant_id = NULLIF(NULLIF(current_setting('{SETTING}', true), ''), '*')::uuid)"
)

#: Tortoise's record of applied migrations.
MIGRATIONS_TABLE = "tortoise_migrations"

_SET = f"SELECT set_config('{SETTING}', $1, $2)"
_UNKNOWN = object()  # a local setting a ROLLBACK TO SAVEPOINT may have undone
_ENDS_TRANSACTION = ("COMMIT", "END", "ROLLBACK", "ABORT")


def _control(query: str) -> str:
    """The first word of a transaction-control statement (``BEGIN``, ``COMMIT``, ``ROLLBACK TO`` …), else ``""``."""
    head = query.lstrip()[:20].upper()
    for word in ("BEGIN", "START", "SAVEPOINT", "RELEASE", *_ENDS_TRANSACTION):
        if head.startswith(word):
            if word == "ROLLBACK" and head.replace("ROLLBACK", "", 1).lstrip().startswith("TO"):
                return "ROLLBACK TO"
            return word
    return ""


class TenantConnection(asyncpg.connection.Connection):
    """An asyncpg connection that sets ``pejling.tenant`` to the running code's tenant scope before each statement
    (only when it changed), so the row-level security policies see exactly what the ORM's scope sees."""

    #: Behind PgBouncer in transaction pooling: never a session setting (see the module's docstring).
    per_transaction_only = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tenant_session = ""  # what the session carries outside transactions ("" = nothing visible)
        self._tenant_local: object | None = None  # what this transaction set, if anything

    def _in_effect(self) -> object:
        return self._tenant_session if self._tenant_local is None else self._tenant_local

    async def _apply_tenant(self) -> bool:
        """Bring the connection's setting to the current scope. Returns True when the statement must run in a
        transaction of its own (PgBouncer: a tenant is needed outside any transaction)."""
        wanted = database_setting()
        if self.is_in_transaction():
            if self._in_effect() != wanted:
                await super().fetchval(_SET, wanted, True)
                self._tenant_local = wanted
            return False
        if self.per_transaction_only:
            return wanted != ""
        if self._tenant_session != wanted:
            await super().fetchval(_SET, wanted, False)
            self._tenant_session = wanted
        return False

    def _note_control(self, query: str) -> None:
        word = _control(query)
        if word in _ENDS_TRANSACTION:
            self._tenant_local = None
        elif word == "ROLLBACK TO":
            self._tenant_local = _UNKNOWN

    async def _scoped(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        if await self._apply_tenant():
            async with self.transaction():
                await super().fetchval(_SET, database_setting(), True)
                self._tenant_local = database_setting()
                return await method(*args, **kwargs)
        return await method(*args, **kwargs)

    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str:  # noqa: ASYNC109 - asyncpg's own signature
        if not args and _control(query):
            try:
                return await super().execute(query, timeout=timeout)
            finally:
                self._note_control(query)
        return await self._scoped(super().execute, query, *args, timeout=timeout)

    async def executemany(self, command: str, args: Iterable[Any], *, timeout: float | None = None) -> None:  # noqa: ASYNC109 - asyncpg's own signature
        return await self._scoped(super().executemany, command, args, timeout=timeout)

    async def fetch(self, query: str, *args: Any, **kwargs: Any) -> list[Any]:
        return await self._scoped(super().fetch, query, *args, **kwargs)

    async def fetchrow(self, query: str, *args: Any, **kwargs: Any) -> Any:
        return await self._scoped(super().fetchrow, query, *args, **kwargs)

    async def fetchval(self, query: str, *args: Any, **kwargs: Any) -> Any:
        return await self._scoped(super().fetchval, query, *args, **kwargs)

    async def copy_records_to_table(self, table_name: str, **kwargs: Any) -> str:
        return await self._scoped(super().copy_records_to_table, table_name, **kwargs)

    async def prepare(self, query: str, **kwargs: Any) -> Any:
        # A prepared statement runs later without passing here: only inside the transaction (and scope) it was
        # prepared in, which is how asyncpg's cursors are used.
        await self._apply_tenant()
        return await super().prepare(query, **kwargs)

    async def reset(self, *, timeout: float | None = None) -> None:  # noqa: ASYNC109 - asyncpg's own signature
        """Back to the pool: asyncpg ends any transaction and sends ``RESET ALL``, which clears the setting."""
        try:
            await super().reset(timeout=timeout)
        finally:
            self._tenant_session, self._tenant_local = "", None


class PooledTenantConnection(TenantConnection):
    """:class:`TenantConnection` behind PgBouncer in transaction pooling."""

    per_transaction_only = True


class RowSecurityClient(AsyncpgDBClient):
    """Tortoise's asyncpg client with :class:`TenantConnection` connections. ``per_transaction_only=True`` in the
    credentials selects :class:`PooledTenantConnection` (``PEJLING_DATABASE_POOLER=pgbouncer``)."""

    def __init__(self, *args: Any, per_transaction_only: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault(
            "connection_class", PooledTenantConnection if per_transaction_only else TenantConnection,
        )
        super().__init__(*args, **kwargs)


#: Tortoise loads an engine module's ``client_class``.
client_class = RowSecurityClient


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def enable_row_security(client: Any, table: str) -> None:
    """Row-level security on ``table`` (which has ``tenant_id``): enabled, forced on the owner too, one policy."""
    name = _quoted(table)
    await client.execute_script(
        f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY;"
        f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY;"
        f"DROP POLICY IF EXISTS tenant_isolation ON {name};"
        f"CREATE POLICY tenant_isolation ON {name} USING {POLICY_CONDITION} WITH CHECK {POLICY_CONDITION};"
    )


async def disable_row_security(client: Any, table: str) -> None:
    """Undo :func:`enable_row_security` (a migration taken back)."""
    name = _quoted(table)
    await client.execute_script(
        f"DROP POLICY IF EXISTS tenant_isolation ON {name};"
        f"ALTER TABLE {name} NO FORCE ROW LEVEL SECURITY;"
        f"ALTER TABLE {name} DISABLE ROW LEVEL SECURITY;"
    )


async def grant_application_role(client: Any, role: str, append_only: Iterable[str]) -> None:
    """Give the application's role what it needs on every table and sequence of the schema, and take ``UPDATE``,
    ``DELETE`` and ``TRUNCATE`` off the append-only tables. Run by the owner after each migration."""
    who = _quoted(role)
    script = [
        f"GRANT USAGE ON SCHEMA public TO {who};",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {who};",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {who};",
        f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {who};",
    ]
    script += [f"REVOKE UPDATE, DELETE ON {_quoted(table)} FROM {who};" for table in sorted(append_only)]
    # The migrations' own record is the owner's: the application may read it, never change it.
    script.append(f"REVOKE INSERT, UPDATE, DELETE ON {_quoted(MIGRATIONS_TABLE)} FROM {who};")
    await client.execute_script("".join(script))

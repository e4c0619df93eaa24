"""PostgreSQL row-level security, the wall below the ORM (pejling.core.row_security): raw SQL without a tenant sees
nothing, a wrong tenant sees and changes nothing, and the application's role cannot step around it.

The suite itself runs as the restricted role on PostgreSQL (tests/conftest.py), so every other test proves the
policies let the application do its work."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import pytest
from tortoise import Tortoise, connections
from tortoise.transactions import in_transaction

from pejling.core.audit.models import AuditEntry
from pejling.core.row_security import MIGRATIONS_TABLE, PooledTenantConnection, TenantConnection
from pejling.core.settings import Settings
from pejling.tenants.models import Store, Tenant
from pejling.tenants.scope import TenantModel, all_tenants, append_only_tables, tenant_scope
from pejling.tenants.signup import create_tenant_with_owner
from tests.conftest import APP_ROLE, unique

pytestmark = pytest.mark.postgres_only


async def _tenant_with_store() -> Tenant:
    name = unique()
    tenant, _ = await create_tenant_with_owner(tenant_name=name, tenant_slug=name, email=f"{name}@example.com",
                                               password="correct horse battery")
    with tenant_scope(tenant.id):
        await Store.create(name=f"{name} main", slug="main")
    return tenant


def _dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


async def _as_owner(settings: Settings, sql: str, *args: Any) -> Any:
    """A value read by the tables' owner (a superuser here: row-level security does not apply to it)."""
    connection = await asyncpg.connect(_dsn(settings.database_owner_url))
    try:
        return await connection.fetchval(sql, *args)
    finally:
        await connection.close()


async def _count(sql: str, *values: Any) -> int:
    rows = await connections.get("default").execute_query_dict(sql, list(values))
    return int(rows[0]["n"])


async def test_every_tenant_table_has_forced_row_security_and_the_tenant_policy(database: Settings) -> None:
    tenant_tables = sorted({model._meta.db_table for app in Tortoise.apps.values() for model in app.values()
                            if issubclass(model, TenantModel)})
    assert len(tenant_tables) >= 20  # stores, responses, rollups, audit, the plugins' tables…
    rows = json.loads(await _as_owner(database, """
        SELECT json_agg(json_build_array(c.relname, c.relrowsecurity, c.relforcerowsecurity,
                                         EXISTS (SELECT 1 FROM pg_policies p
                                                 WHERE p.tablename = c.relname AND p.policyname = 'tenant_isolation')))
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname = ANY($1::text[])""", tenant_tables))
    assert sorted(row[0] for row in rows) == tenant_tables
    assert [row[0] for row in rows if row[1:] != [True, True, True]] == []


async def test_raw_sql_without_a_tenant_sees_nothing(database: Settings) -> None:
    tenant = await _tenant_with_store()
    assert await _as_owner(database, "SELECT count(*) FROM store WHERE tenant_id = $1", tenant.id) == 1
    # The ORM refuses an unscoped query; raw SQL on the connection is not stopped by it, but the database shows it
    # no tenant's rows and lets it change none.
    assert await _count("SELECT count(*) AS n FROM store") == 0
    assert await _count("SELECT count(*) AS n FROM store WHERE tenant_id = $1", tenant.id) == 0
    changed, _ = await connections.get("default").execute_query(
        "UPDATE store SET name = 'taken' WHERE tenant_id = $1", [tenant.id])
    assert changed == 0
    assert await _as_owner(database, "SELECT name FROM store WHERE tenant_id = $1", tenant.id) != "taken"


async def test_a_wrong_tenant_sees_and_changes_nothing_of_another(database: Settings) -> None:
    a, b = await _tenant_with_store(), await _tenant_with_store()
    client = connections.get("default")
    with tenant_scope(b.id):
        assert await _count("SELECT count(*) AS n FROM store") == 1  # its own, and only its own
        assert await _count("SELECT count(*) AS n FROM store WHERE tenant_id = $1", a.id) == 0
        changed, _ = await client.execute_query("DELETE FROM store WHERE tenant_id = $1", [a.id])
        assert changed == 0
        with pytest.raises(Exception, match="row-level security"):
            await client.execute_query(  # a copy of its own store, planted on the other tenant
                "INSERT INTO store SELECT (json_populate_record(s, json_build_object("
                "'id', gen_random_uuid(), 'tenant_id', $1::uuid, 'slug', 'planted'))).* "
                "FROM store s WHERE s.tenant_id = $2", [a.id, b.id])
        with pytest.raises(Exception, match="row-level security"):  # nor move its own rows to another tenant
            await client.execute_query("UPDATE store SET tenant_id = $1 WHERE tenant_id = $2", [a.id, b.id])
    assert await _as_owner(database, "SELECT count(*) FROM store WHERE tenant_id = $1", a.id) == 1
    assert await _as_owner(database, "SELECT count(*) FROM store WHERE tenant_id = $1", b.id) == 1
    with all_tenants():  # system work sees every tenant
        assert await _count("SELECT count(*) AS n FROM store WHERE tenant_id IN ($1, $2)", a.id, b.id) == 2


async def test_a_transaction_sees_the_scope_of_the_code_running_each_statement(database: Settings) -> None:
    a, b = await _tenant_with_store(), await _tenant_with_store()
    both = "SELECT count(*) AS n FROM store WHERE tenant_id IN ($1, $2)"
    with tenant_scope(a.id):
        async with in_transaction():
            assert await _count(both, a.id, b.id) == 1
            with tenant_scope(b.id):
                assert await _count("SELECT count(*) AS n FROM store WHERE tenant_id = $1", b.id) == 1
                assert await _count("SELECT count(*) AS n FROM store WHERE tenant_id = $1", a.id) == 0
            with all_tenants():
                assert await _count(both, a.id, b.id) == 2
            try:  # a savepoint rolled back after a change of scope: the next statement still gets the right one
                async with in_transaction():
                    with tenant_scope(b.id):
                        assert await _count(both, a.id, b.id) == 1
                        raise LookupError
            except LookupError:
                pass
            assert await _count("SELECT count(*) AS n FROM store WHERE tenant_id = $1", a.id) == 1
    assert await _count(both, a.id, b.id) == 0  # and after the transaction, outside any scope: nothing


async def test_the_application_role_owns_nothing_and_cannot_bypass_or_rewrite_the_log(database: Settings) -> None:
    client = connections.get("default")
    role = (await client.execute_query_dict(
        "SELECT current_user AS name, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"))[0]
    assert (role["name"], role["rolsuper"], role["rolbypassrls"]) == (APP_ROLE, False, False)
    owned = await client.execute_query_dict(
        "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user")
    assert owned[0]["n"] == 0
    audit = AuditEntry._meta.db_table
    assert audit in append_only_tables()
    with all_tenants():
        for sql in (f'UPDATE "{audit}" SET operation = operation', f'DELETE FROM "{audit}"',
                    f'TRUNCATE "{audit}"', f'INSERT INTO "{MIGRATIONS_TABLE}" (app, name, applied_at) '
                                           "VALUES ('x', 'y', now())",
                    'ALTER TABLE store DISABLE ROW LEVEL SECURITY', 'CREATE TABLE planted (id int)'):
            with pytest.raises(Exception, match="permission denied|must be owner"):
                await client.execute_script(sql)


async def test_a_pooled_connection_returns_to_no_tenant(database: Settings) -> None:
    tenant = await _tenant_with_store()
    connection = await asyncpg.connect(_dsn(database.database_url), connection_class=TenantConnection)
    try:
        with tenant_scope(tenant.id):
            assert await connection.fetchval("SELECT count(*) FROM store") == 1
        assert await connection.fetchval("SELECT count(*) FROM store") == 0  # scope left: the next statement resets
        with tenant_scope(tenant.id):
            await connection.fetchval("SELECT 1")
        await connection.reset()  # what the pool does on release: RESET ALL
        assert await connection.fetchval("SELECT current_setting('pejling.tenant', true)") in ("", None)
    finally:
        await connection.close()


async def test_behind_pgbouncer_the_tenant_never_outlives_its_transaction(database: Settings) -> None:
    tenant = await _tenant_with_store()
    connection = await asyncpg.connect(_dsn(database.database_url), connection_class=PooledTenantConnection)
    try:
        with tenant_scope(tenant.id):
            assert await connection.fetchval("SELECT count(*) FROM store") == 1
            assert not connection.is_in_transaction()
        # No session setting was made, so the next client PgBouncer hands this server connection to sees nothing.
        assert await connection.fetchval("SELECT current_setting('pejling.tenant', true)") in ("", None)
        assert await connection.fetchval("SELECT count(*) FROM store") == 0
    finally:
        await connection.close()

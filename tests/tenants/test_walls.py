"""The tenant walls below the ORM's single-row methods: raw SQL and bulk writes stay inside the scope's tenant."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from pejling.core.insights import sql as insights_sql
from pejling.tenants.models import Store, Tenant
from pejling.tenants.scope import (
    Statement,
    TenantScopeMissing,
    TenantScopeViolation,
    TenantSQLRefused,
    all_tenants,
    all_tenants_sql,
    tenant_scope,
    tenant_sql,
)
from pejling.tenants.signup import create_tenant_with_owner
from tests.conftest import unique

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 1, 1, tzinfo=UTC)


async def _tenant_with_stores(*slugs: str) -> Tenant:
    name = unique()
    tenant, _ = await create_tenant_with_owner(tenant_name=name, tenant_slug=name, email=f"{name}@example.com",
                                               password="correct horse battery")
    with tenant_scope(tenant.id):
        for slug in slugs:
            await Store.create(name=f"{name} {slug}", slug=slug)
    return tenant


async def _store_names(tenant: Tenant) -> set[str]:
    with tenant_scope(tenant.id):
        return {s.name for s in await Store.all()}


# ---------------------------------------------------------------------------------------------------------------------
# Raw SQL
# ---------------------------------------------------------------------------------------------------------------------

STORES = tenant_sql("SELECT id, name FROM store WHERE tenant_id = {tenant} ORDER BY name")


async def test_raw_sql_outside_a_tenant_scope_raises(database: object) -> None:
    await _tenant_with_stores("main")
    with pytest.raises(TenantScopeMissing):
        await STORES.rows()
    with pytest.raises(TenantScopeMissing):
        await tenant_sql("DELETE FROM store WHERE tenant_id = {tenant}").execute()
    with all_tenants(), pytest.raises(TenantScopeMissing):  # all tenants visible is not one tenant
        await STORES.rows()


async def test_raw_sql_in_a_scope_sees_and_changes_only_that_tenants_rows(database: object) -> None:
    a = await _tenant_with_stores("main", "outlet")
    b = await _tenant_with_stores("main")
    with tenant_scope(a.id):
        rows = await STORES.rows()
        assert sorted(r["name"] for r in rows) == sorted(await _store_names(a))
        assert {str(r["id"]) for r in rows} == {str(s.id) for s in await Store.all()}
        renamed = await tenant_sql("UPDATE store SET name = ? WHERE tenant_id = {tenant} AND slug = ?").execute(
            ["renamed", "main"]
        )
        assert renamed == 1
        joined = await tenant_sql(
            "SELECT s.slug FROM store s JOIN tenant t ON t.id = s.tenant_id AND s.tenant_id = {tenant} "
            "WHERE s.tenant_id = {tenant} AND (s.slug = ? OR s.slug = ?)"
        ).rows(["main", "outlet"])
        assert sorted(r["slug"] for r in joined) == ["main", "outlet"]
    assert await _store_names(a) == {"renamed", f"{a.name} outlet"}
    assert await _store_names(b) == {f"{b.name} main"}


async def test_raw_insert_takes_the_scope_tenant(database: object) -> None:
    a = await _tenant_with_stores()
    b = await _tenant_with_stores()
    insert = tenant_sql(
        "INSERT INTO store (id, tenant_id, name, slug, address, timezone, default_language, created_at) "
        "VALUES (?, {tenant}, ?, ?, '', 'UTC', 'en', ?)"
    )
    with tenant_scope(a.id):
        await insert.execute([uuid4(), "raw", "raw", NOW])
        await insert.execute_batch([[uuid4(), "one", "one", NOW],
                                   [uuid4(), "two", "two", NOW]])
    assert await _store_names(a) == {"raw", "one", "two"}
    assert await _store_names(b) == set()


@pytest.mark.parametrize(
    "text",
    [
        "SELECT id FROM store",
        "SELECT id FROM store WHERE name = ?",
        "SELECT id FROM store WHERE tenant_id = ?",  # a tenant id the caller chose
        "SELECT id FROM store WHERE tenant_id <> {tenant}",
        "SELECT id FROM store WHERE tenant_id IN ({tenant}, ?)",
        "SELECT id FROM store WHERE tenant_id = {tenant} OR 1 = 1",
        "SELECT id FROM store WHERE name = ? OR tenant_id = {tenant}",
        "SELECT id FROM store WHERE (tenant_id = {tenant}) OR 1 = 1",
        "SELECT s.id FROM store s JOIN zone z ON z.store_id = s.id WHERE s.tenant_id = {tenant}",
        "SELECT id FROM store WHERE tenant_id = {tenant} UNION SELECT id FROM zone",
        "SELECT id FROM store WHERE id IN (SELECT store_id FROM zone) AND tenant_id = {tenant}",
        "UPDATE store SET name = ?",
        "UPDATE store SET tenant_id = ? WHERE tenant_id = {tenant}",
        "DELETE FROM store WHERE id = ?",
        "DELETE FROM store WHERE tenant_id = {tenant}; DELETE FROM zone",
        "INSERT INTO store (id, tenant_id, name) VALUES (?, ?, ?)",
        "INSERT INTO store (id, tenant_id, name) VALUES ({tenant}, ?, ?)",
        "INSERT INTO store (id, name) VALUES (?, {tenant})",
        "INSERT INTO store (id, tenant_id, name) VALUES (?, {tenant}, ?) ON CONFLICT (id) DO UPDATE SET name = ?",
        "INSERT INTO store (id, tenant_id, name) VALUES (?, {tenant}, ?) ON CONFLICT DO UPDATE SET name = ?",
        "INSERT INTO store (id, tenant_id, name) SELECT id, {tenant}, name FROM store",
        "SELECT id FROM store WHERE tenant_id = {tenant} AND name = '?'",
        "DROP TABLE store",
        "",
    ],
)
def test_raw_sql_that_could_reach_another_tenant_is_refused(text: str) -> None:
    with pytest.raises(TenantSQLRefused):
        tenant_sql(text)
    with pytest.raises(TenantSQLRefused):  # no way round the check
        Statement(text, cross_tenant=False)


@pytest.mark.parametrize(
    "text",
    [
        "SELECT id FROM store WHERE tenant_id = {tenant}",
        "select id from store where tenant_id = {tenant} and (name = ? or slug = ?)",
        "SELECT a.id FROM survey_answer a WHERE a.tenant_id = {tenant} AND a.response_id >= ?",
        "SELECT s.id FROM store s JOIN zone z ON z.tenant_id = {tenant} AND z.store_id = s.id "
        "WHERE s.tenant_id = {tenant}",
        "UPDATE store SET name = ? WHERE tenant_id = {tenant} AND id = ?",
        "DELETE FROM store WHERE tenant_id = {tenant} AND id IN (SELECT store_id FROM zone WHERE tenant_id = {tenant})",
        "INSERT INTO insights_rollup_state (id, tenant_id, version) VALUES (?, {tenant}, 1) "
        "ON CONFLICT (tenant_id) DO UPDATE SET version = insights_rollup_state.version + 1",
    ],
)
def test_raw_sql_filtered_to_the_tenant_is_accepted(text: str) -> None:
    assert tenant_sql(text).sql == text


async def test_a_statement_takes_exactly_its_values(database: object) -> None:
    a = await _tenant_with_stores()
    with tenant_scope(a.id), pytest.raises(TypeError):
        await tenant_sql("SELECT id FROM store WHERE tenant_id = {tenant} AND slug = ?").rows([])


async def test_cross_tenant_sql_runs_only_inside_all_tenants(database: object) -> None:
    a = await _tenant_with_stores("main")
    b = await _tenant_with_stores("main")
    every_store = all_tenants_sql("SELECT tenant_id FROM store")
    with pytest.raises(TenantScopeMissing):
        await every_store.rows()
    with tenant_scope(a.id), pytest.raises(TenantScopeMissing):
        await every_store.rows()
    with all_tenants():
        tenants = {str(r["tenant_id"]) for r in await every_store.rows()}
    assert {str(a.id), str(b.id)} <= tenants
    with pytest.raises(TenantSQLRefused):
        all_tenants_sql("SELECT id FROM store WHERE tenant_id = {tenant}")


async def test_insights_readers_may_name_only_the_scope_tenant(database: object) -> None:
    a = await _tenant_with_stores("main")
    b = await _tenant_with_stores("main")
    text = "SELECT name FROM store WHERE tenant_id = ? AND slug = ?"
    with pytest.raises(TenantScopeMissing):
        await insights_sql.fetch(text, [a.id, "main"])
    with tenant_scope(a.id):
        assert [r["name"] for r in await insights_sql.fetch(text, [a.id, "main"])] == [f"{a.name} main"]
        with pytest.raises(TenantScopeViolation):
            await insights_sql.fetch(text, [b.id, "main"])
        with pytest.raises(TenantSQLRefused):
            await insights_sql.fetch("SELECT name FROM store WHERE slug = ?", ["main"])


# ---------------------------------------------------------------------------------------------------------------------
# Bulk writes
# ---------------------------------------------------------------------------------------------------------------------


async def test_bulk_create_outside_a_scope_raises(database: object) -> None:
    a = await _tenant_with_stores()
    with pytest.raises(TenantScopeMissing):
        await Store.bulk_create([Store(name="x", slug="x", tenant_id=a.id)])
    with all_tenants(), pytest.raises(TenantScopeMissing):  # a new row needs a tenant
        await Store.bulk_create([Store(name="x", slug="x")])
    assert await _store_names(a) == set()
    with all_tenants():  # system work that names the tenant may
        await Store.bulk_create([Store(name="system", slug="system", tenant_id=a.id)])
    assert await _store_names(a) == {"system"}


async def test_bulk_create_in_a_scope_takes_its_tenant_and_refuses_another(database: object) -> None:
    a = await _tenant_with_stores()
    b = await _tenant_with_stores()
    with tenant_scope(a.id):
        await Store.bulk_create([Store(name="one", slug="one"), Store(name="two", slug="two", tenant_id=a.id)])
        with pytest.raises(TenantScopeViolation):
            await Store.bulk_create([Store(name="mine", slug="mine"), Store(name="theirs", slug="x", tenant_id=b.id)])
        with pytest.raises(TenantScopeViolation):  # an upsert on the id alone could overwrite another tenant's row
            await Store.bulk_create([Store(id=uuid4(), name="u", slug="u")], on_conflict=["id"], update_fields=["name"])
        await Store.bulk_create([Store(name="up", slug="one")], on_conflict=["tenant_id", "slug"],
                                update_fields=["name"])
    assert await _store_names(a) == {"up", "two"}
    assert await _store_names(b) == set()


async def test_bulk_update_and_update_cannot_reach_or_move_to_another_tenant(database: object) -> None:
    a = await _tenant_with_stores("main")
    b = await _tenant_with_stores("main")
    with tenant_scope(a.id):
        store_a = await Store.get(slug="main")
    with tenant_scope(b.id):
        store_a.name = "from b"
        with pytest.raises(TenantScopeViolation):
            await Store.bulk_update([store_a], fields=["name"])
        store_b = await Store.get(slug="main")
        store_b.tenant_id = a.id
        with pytest.raises(TenantScopeViolation):
            await Store.bulk_update([store_b], fields=["tenant_id"])
        with pytest.raises(TenantScopeViolation):
            await Store.filter(id=store_b.id).update(tenant_id=a.id)
        with pytest.raises(TenantScopeViolation):
            await Store.all().update(tenant=a)
        assert await Store.filter(id=store_a.id).update(name="from b") == 0
        assert await Store.filter(id=store_a.id).delete() == 0
        assert await Store.filter(id=store_b.id).update(name="b's own", tenant_id=b.id) == 1
    assert await _store_names(a) == {f"{a.name} main"}
    assert await _store_names(b) == {"b's own"}


async def test_tenant_models_have_no_raw_escape_hatch(database: object) -> None:
    a = await _tenant_with_stores()
    with tenant_scope(a.id), pytest.raises(TenantSQLRefused):
        await Store.raw("SELECT * FROM store")


# ---------------------------------------------------------------------------------------------------------------------
# One way to run raw SQL
# ---------------------------------------------------------------------------------------------------------------------

#: Calls that run SQL text or bulk-copy rows on a connection, bypassing the tenant-scoped managers (the driver's own
#: connection, with its execute / fetch / copy methods, is reached only through acquire_connection).
RAW_CALLS = {"execute_query", "execute_query_dict", "execute_many", "execute_script", "execute_insert",
             "executemany", "acquire_connection", "copy_records_to_table", "copy_to_table", "raw"}

#: Where raw SQL may run outside tenant_sql / all_tenants_sql, and why.
RAW_SQL_HOMES = {
    "tenants/scope.py": "the helper itself (Statement, copy_tenant_rows)",
    "core/database.py": "the readiness probe's and still_committable's SELECT 1, which read no table",
    "core/row_security.py": "the connection's own set_config, and the owner's policies and grants (DDL, no rows)",
    "core/migration_ops.py": "the migrations' operations: row-security policies and content-stamp triggers (DDL)",
    "core/sqlite_engine.py": "the SQLite engine itself, which runs every statement",
    "core/surveys/page_cache.py": "the survey page's content stamp, read from the global tenant table (no tenant rows)",
    "core/auth/sessions.py": "the session of a cookie with the person's memberships, before a tenant is chosen (one "
                             "statement per request; the memberships read inside all_tenants(), under its policies)",
}

#: Modules that run cross-tenant raw SQL (all_tenants_sql), and why.
CROSS_TENANT_SQL = {
    "core/jobs/claims.py": "the job queue: workers claim and reclaim jobs of every tenant",
    "core/audit/retention.py": "the purge of failed logins of no tenant (a SECURITY DEFINER function)",
    "plugins/billing/stripe_events.py": "a lock per Stripe subscription (pg_advisory_xact_lock), no table",
}


def raw_sql_calls(source: str) -> list[str]:
    """The raw-SQL calls in ``source``: connection methods that run SQL text, tortoise's RawSQL, Model.raw."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in RAW_CALLS or name == "RawSQL" or name == "all_tenants_sql":
                found.append((node.lineno, name))
    return [f"{name}@{line}" for line, name in sorted(found)]


def _sources() -> dict[str, str]:
    return {
        path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
        for folder in ("core", "tenants", "plugins")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "migrations" not in path.parts  # schema changes, not tenant rows
    }


def test_raw_sql_runs_only_through_the_tenant_helper() -> None:
    stray = {}
    for rel, source in _sources().items():
        calls = raw_sql_calls(source)
        raw = [c for c in calls if not c.startswith("all_tenants_sql")]
        cross = [c for c in calls if c.startswith("all_tenants_sql")]
        if raw and rel not in RAW_SQL_HOMES:
            stray[rel] = raw
        if cross and rel not in CROSS_TENANT_SQL and rel != "tenants/scope.py":
            stray[rel] = cross
    assert stray == {}, "raw SQL outside tenant_sql (tenants/scope.py); list cross-tenant SQL in CROSS_TENANT_SQL"
    sources = _sources()
    assert all(raw_sql_calls(sources[rel]) for rel in [*RAW_SQL_HOMES, *CROSS_TENANT_SQL])  # no stale entries


def test_the_raw_sql_check_sees_each_way_in() -> None:
    source = (
        "async def f(db: Any, Model: Any) -> None:\n"
        "    await db.execute_query('DELETE FROM store')\n"
        "    await connections.get('default').execute_query_dict('SELECT * FROM store')\n"
        "    await Model.raw('SELECT * FROM store')\n"
        "    async with db.acquire_connection() as connection:\n"
        "        await connection.copy_records_to_table('store', records=[])\n"
        "    await Model.annotate(x=RawSQL('1')).all()\n"
        "    await all_tenants_sql('SELECT id FROM store').rows()\n"
        "    await tenant_sql('SELECT id FROM store WHERE tenant_id = {tenant}').rows()\n"
    )
    assert raw_sql_calls(source) == ["execute_query@2", "execute_query_dict@3", "raw@4", "acquire_connection@5",
                                     "copy_records_to_table@6", "RawSQL@7", "all_tenants_sql@8"]

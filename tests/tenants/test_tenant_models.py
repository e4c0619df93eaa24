"""Every model whose rows belong to a tenant is a TenantModel, and every TenantModel's table carries the tenant.

A new tenant-owned model that subclasses plain ``Model`` would be queried without the tenant filter; this test is the
wall that stops it. The check runs over every model Tortoise knows after start-up, against the real tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest
from tortoise import Tortoise, connections, fields
from tortoise.manager import Manager
from tortoise.models import Model

from pejling.core.database import is_postgres
from pejling.tenants.scope import TenantManager, TenantModel, TenantScopeMissing

#: Models with a ``tenant_id`` that are deliberately not tenant-scoped, and why.
SYSTEM_ROWS = {
    # The durable job queue: the worker claims jobs of every tenant (core/jobs/claims.py, through all_tenants_sql);
    # tenant_id only says in which tenant's scope the handler then runs.
    "jobs.Job",
}


def _name(model: type[Model]) -> str:
    return f"{model._meta.app}.{model.__name__}"


def _names_the_tenant(model: type[Model]) -> bool:
    """A foreign key to the tenant, or a ``tenant_id`` column (also before Tortoise has initialised the model)."""
    points_at_tenant = any(
        getattr(field, "model_name", None) == "tenants.Tenant" for field in model._meta.fields_map.values()
    )
    return points_at_tenant or "tenant_id" in model._meta.fields_db_projection.values()


def breaches(models: Iterable[type[Model]], columns_of: Callable[[str], set[str]]) -> list[str]:
    """What is wrong with ``models``: tenant rows outside a TenantModel, a TenantModel without the scoped manager, or a
    TenantModel whose table (``columns_of(table)``) has no tenant_id."""
    found = []
    for model in models:
        name = _name(model)
        if issubclass(model, TenantModel):
            if not isinstance(model._meta.manager, TenantManager):
                found.append(f"{name}: a TenantModel without the tenant-scoped manager")
            if "tenant_id" not in columns_of(model._meta.db_table):
                found.append(f"{name}: table {model._meta.db_table} has no tenant_id column")
        elif _names_the_tenant(model) and name not in SYSTEM_ROWS:
            found.append(f"{name}: has a tenant but subclasses Model, not TenantModel (queries would see every tenant)")
    return found


def _models() -> list[type[Model]]:
    return [model for app in Tortoise.apps.values() for model in app.values()]


async def _table_columns() -> dict[str, set[str]]:
    client = connections.get("default")
    if is_postgres(client):
        rows = await client.execute_query_dict(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
        )
        return _group(rows)
    tables = await client.execute_query_dict("SELECT name FROM sqlite_master WHERE type = 'table'")
    rows = []
    for table in tables:
        for column in await client.execute_query_dict(f"PRAGMA table_info('{table['name']}')"):
            rows.append({"table_name": table["name"], "column_name": column["name"]})
    return _group(rows)


def _group(rows: Iterable[dict[str, Any]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for row in rows:
        out.setdefault(row["table_name"], set()).add(row["column_name"])
    return out


async def test_every_tenant_owned_model_is_a_tenant_model_with_a_tenant_column(database: object) -> None:
    columns = await _table_columns()
    models = _models()
    assert len([m for m in models if issubclass(m, TenantModel)]) >= 20  # the walk really saw the apps
    assert breaches(models, lambda table: columns.get(table, set())) == []


async def test_every_tenant_model_refuses_queries_outside_a_scope(database: object) -> None:
    for model in _models():
        if issubclass(model, TenantModel):
            with pytest.raises(TenantScopeMissing):
                await model.all().count()


def test_the_check_catches_a_tenant_owned_model_on_plain_model(database: object) -> None:
    # Defined here and never passed to Tortoise.init: nothing global learns about these classes.
    class LeakyNote(Model):
        id = fields.UUIDField(primary_key=True)
        tenant: Any = fields.ForeignKeyField("tenants.Tenant", related_name=False)

        class Meta:
            app = "walls"
            table = "leaky_note"

    class LeakyTally(Model):
        id = fields.UUIDField(primary_key=True)
        tenant_id = fields.UUIDField()

        class Meta:
            app = "walls"
            table = "leaky_tally"

    assert breaches([LeakyNote, LeakyTally], lambda table: {"id", "tenant_id"}) == [
        "walls.LeakyNote: has a tenant but subclasses Model, not TenantModel (queries would see every tenant)",
        "walls.LeakyTally: has a tenant but subclasses Model, not TenantModel (queries would see every tenant)",
    ]
    assert all("walls" not in app for app in Tortoise.apps)


def test_the_check_catches_a_tenant_model_without_its_column_or_manager(database: object) -> None:
    class Untenanted(TenantModel):
        id = fields.UUIDField(primary_key=True)
        # Its own foreign key: a class built here must not bind the shared one of the abstract base to itself (the
        # ORM's later queries through ``tenant__…`` of the real models then failed with KeyError 'tenant_id').
        tenant = fields.ForeignKeyField("tenants.Tenant", on_delete=fields.CASCADE)

        class Meta:
            app = "walls"
            table = "untenanted"

    assert breaches([Untenanted], lambda table: {"id", "tenant_id"}) == []
    assert breaches([Untenanted], lambda table: {"id"}) == [
        "walls.Untenanted: table untenanted has no tenant_id column"
    ]
    Untenanted._meta.manager = Manager(Untenanted)
    assert breaches([Untenanted], lambda table: {"id", "tenant_id"}) == [
        "walls.Untenanted: a TenantModel without the tenant-scoped manager"
    ]

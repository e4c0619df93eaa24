"""Tenant-owned rows are reachable only inside their tenant's scope."""

from __future__ import annotations

import pytest

from pejling.tenants.models import Store, Zone
from pejling.tenants.scope import TenantScopeMissing, TenantScopeViolation, all_tenants, tenant_scope
from pejling.tenants.signup import create_tenant_with_owner
from tests.conftest import unique


async def _tenant() -> object:
    slug = unique()
    tenant, _ = await create_tenant_with_owner(tenant_name=slug, tenant_slug=slug, email=f"{slug}@example.com",
                                               password="correct horse battery")
    return tenant


async def test_query_outside_a_scope_raises(database: object) -> None:
    with pytest.raises(TenantScopeMissing):
        await Store.all()
    with pytest.raises(TenantScopeMissing):
        await Store.filter(name="x").count()
    with pytest.raises(TenantScopeMissing):
        await Store.get_or_none(slug="x")
    with pytest.raises(TenantScopeMissing):
        await Store.create(name="x", slug="x")


async def test_scope_shows_only_its_own_rows(database: object) -> None:
    a, b = await _tenant(), await _tenant()
    with tenant_scope(a.id):  # type: ignore[attr-defined]
        store_a = await Store.create(name="A", slug="main")
    with tenant_scope(b.id):  # type: ignore[attr-defined]
        store_b = await Store.create(name="B", slug="main")
        assert [s.id for s in await Store.all()] == [store_b.id]
        assert await Store.get_or_none(id=store_a.id) is None
        assert not await Store.exists(id=store_a.id)
        # Updates and deletes through a query cannot reach the other tenant either.
        assert await Store.filter(id=store_a.id).update(name="hijacked") == 0
        assert await Store.filter(id=store_a.id).delete() == 0
    with tenant_scope(a.id):  # type: ignore[attr-defined]
        assert (await Store.get(id=store_a.id)).name == "A"


async def test_writing_another_tenants_row_inside_a_scope_is_refused(database: object) -> None:
    a, b = await _tenant(), await _tenant()
    with tenant_scope(a.id):  # type: ignore[attr-defined]
        store = await Store.create(name="A", slug="main")
    with tenant_scope(b.id):  # type: ignore[attr-defined]
        store.name = "changed from b"
        with pytest.raises(TenantScopeViolation):
            await store.save()
        with pytest.raises(TenantScopeViolation):
            await store.delete()
        with pytest.raises(TenantScopeViolation):
            await Zone.create(store=store, name="sneaky", tenant_id=a.id)  # type: ignore[attr-defined]
    with tenant_scope(a.id):  # type: ignore[attr-defined]
        assert (await Store.get(id=store.id)).name == "A"


async def test_new_rows_take_the_scope_tenant(database: object) -> None:
    a = await _tenant()
    with tenant_scope(a.id):  # type: ignore[attr-defined]
        store = await Store.create(name="A", slug="main")
        assert store.tenant_id == a.id  # type: ignore[attr-defined]
    with all_tenants():
        assert await Store.filter(id=store.id).count() == 1

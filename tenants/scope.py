"""The tenant scope: which tenant's rows a piece of code may touch.

Tenant-owned models (:class:`TenantModel`) can only be queried inside a scope. A query made without
one raises :class:`TenantScopeMissing` instead of returning every tenant's rows. The web layer
sets the scope per request (:mod:`pejling.tenants.middleware`); jobs and CLI commands set it
explicitly with :func:`tenant_scope`, and the rare code that must see all tenants says so with
:func:`all_tenants`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from tortoise import fields
from tortoise.manager import Manager
from tortoise.models import Model, ModelMeta
from tortoise.queryset import QuerySet

_ALL = object()
_scope: ContextVar[UUID | object | None] = ContextVar("pejling_tenant_scope", default=None)


class TenantScopeMissing(RuntimeError):
    """A tenant-owned model was queried or saved outside any tenant scope."""


class TenantScopeViolation(RuntimeError):
    """A row of one tenant was about to be written inside another tenant's scope."""


@contextmanager
def tenant_scope(tenant_id: UUID | str) -> Iterator[UUID]:
    """Run the block with ``tenant_id`` as the only tenant whose rows are visible."""
    value = tenant_id if isinstance(tenant_id, UUID) else UUID(str(tenant_id))
    token = _scope.set(value)
    try:
        yield value
    finally:
        _scope.reset(token)


@contextmanager
def all_tenants() -> Iterator[None]:
    """Run the block with every tenant visible: system jobs, migrations, sign-up. Use sparingly."""
    token = _scope.set(_ALL)
    try:
        yield
    finally:
        _scope.reset(token)


def current_tenant_id() -> UUID:
    """The tenant of the current scope; raises when there is none (or when all tenants are visible)."""
    value = _scope.get()
    if isinstance(value, UUID):
        return value
    raise TenantScopeMissing("this code needs a tenant scope (pejling.tenants.scope.tenant_scope)")


def current_tenant_id_or_none() -> UUID | None:
    value = _scope.get()
    return value if isinstance(value, UUID) else None


def _scoped_filter() -> UUID | None:
    value = _scope.get()
    if value is None:
        raise TenantScopeMissing(
            "tenant-owned rows queried outside a tenant scope; wrap the code in tenant_scope(...) "
            "or, for system work across tenants, all_tenants()"
        )
    return value if isinstance(value, UUID) else None


class TenantManager(Manager):
    """Every query of a tenant-owned model starts filtered to the current tenant."""

    def get_queryset(self) -> QuerySet:
        tenant_id = _scoped_filter()
        queryset = QuerySet(self._model)
        if tenant_id is not None:
            queryset = queryset.filter(tenant_id=tenant_id)
        return queryset


class TenantModelMeta(ModelMeta):
    """Gives every concrete tenant-owned model the scoped manager (Tortoise does not inherit ``Meta.manager``)."""

    def __new__(mcs, name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> Any:  # noqa: N804
        cls: Any = super().__new__(mcs, name, bases, attrs)
        if not cls._meta.abstract:
            cls._meta.manager = TenantManager(cls)
        return cls


class TenantModel(Model, metaclass=TenantModelMeta):
    """Base of every model whose rows belong to one tenant (``tenant_id`` on each row)."""

    tenant: Any = fields.ForeignKeyField("tenants.Tenant", on_delete=fields.CASCADE, db_index=True)

    class Meta:
        abstract = True

    async def save(self, *args: Any, **kwargs: Any) -> None:
        scope = _scoped_filter()
        own = getattr(self, "tenant_id", None)
        if own is None:
            if scope is None:
                raise TenantScopeMissing("a new tenant-owned row needs a tenant scope or an explicit tenant")
            self.tenant_id = scope
        elif scope is not None and UUID(str(own)) != scope:
            raise TenantScopeViolation("this row belongs to another tenant than the current scope")
        await super().save(*args, **kwargs)

    async def delete(self, *args: Any, **kwargs: Any) -> None:
        scope = _scoped_filter()
        if scope is not None and UUID(str(self.tenant_id)) != scope:
            raise TenantScopeViolation("this row belongs to another tenant than the current scope")
        await super().delete(*args, **kwargs)

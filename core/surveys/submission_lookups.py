"""The lookups of concurrent submissions, shared: one query for all of them instead of one each.

Every submission reads its store (by the address), the response stored under its id (a resend?), its survey version,
its zone and the tenant's statements. Submissions that arrive together (the ones a group-commit batch gathers) ask at
the same moment, so each lookup here collects the keys asked for during one turn of the event loop and answers them
all with one query per tenant (:class:`SharedLookup`, a small DataLoader). The answers are the same rows each
submission would have read on its own; a failure (the database away, say) is raised to every submission that asked.

A caller inside an open transaction (a test, a job, an import) reads directly, in its own transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from uuid import UUID
from weakref import WeakKeyDictionary

from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient

from pejling.core.surveys.bank import BankStatement
from pejling.core.surveys.models import Response, SurveyVersion
from pejling.core.surveys.survey import available_statements
from pejling.tenants.models import Store, Zone
from pejling.tenants.scope import all_tenants, current_tenant_id, tenant_scope

_K = TypeVar("_K", bound=Hashable)
_V = TypeVar("_V")

Fetch = Callable[[list[_K]], Awaitable[Mapping[_K, _V]]]


def _in_transaction() -> bool:
    return isinstance(connections.get("default"), TransactionalDBClient)


@dataclass
class SharedLookup(Generic[_K, _V]):
    """Answers :meth:`get` for every key asked during one turn of the event loop with one call of ``fetch``.

    ``fetch`` gets the distinct keys (in the order asked) and returns the found values by key; a key it leaves out
    is answered None. ``queries`` counts the calls of ``fetch`` (for tests and metrics).
    """

    fetch: Fetch[_K, _V]
    queries: int = 0
    _pending: dict[_K, asyncio.Future[_V | None]] = field(default_factory=dict)
    _scheduled: bool = False

    async def get(self, key: _K) -> _V | None:
        """The value of ``key`` (None: not found), read together with the other keys asked at the same time."""
        if _in_transaction():
            self.queries += 1
            return (await self.fetch([key])).get(key)
        future = self._pending.get(key)
        if future is None:
            future = self._pending[key] = asyncio.get_running_loop().create_future()
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush_soon)
        return await asyncio.shield(future)

    def _flush_soon(self) -> None:
        pending, self._pending, self._scheduled = self._pending, {}, False
        if pending:
            task = asyncio.get_running_loop().create_task(self._answer(pending))
            _running.add(task)
            task.add_done_callback(_running.discard)

    async def _answer(self, pending: dict[_K, asyncio.Future[_V | None]]) -> None:
        try:
            self.queries += 1
            found = await self.fetch(list(pending))
        except Exception as exc:  # noqa: BLE001 - handed to every submission that asked
            for future in pending.values():
                if not future.done():
                    future.set_exception(exc)
            return
        except BaseException:  # cancelled (shutdown): nobody is left waiting forever
            for future in pending.values():
                future.cancel()
            raise
        for key, future in pending.items():
            if not future.done():
                future.set_result(found.get(key))


_running: set[asyncio.Task[None]] = set()


def _by_tenant(keys: Iterable[tuple[UUID, _V]]) -> dict[UUID, list[_V]]:
    groups: dict[UUID, list[_V]] = {}
    for tenant_id, value in keys:
        groups.setdefault(tenant_id, []).append(value)
    return groups


StoreKey = tuple[str, str]
"""A store by its address: (tenant slug, store slug)."""


async def _stores(keys: list[StoreKey]) -> dict[StoreKey, Store]:
    found: dict[StoreKey, Store] = {}
    slugs: dict[str, list[str]] = {}
    for tenant_slug, store_slug in keys:
        slugs.setdefault(tenant_slug, []).append(store_slug)
    with all_tenants():  # the address names the tenant: nothing is in scope yet
        for tenant_slug, store_slugs in slugs.items():
            for store in await Store.filter(tenant__slug=tenant_slug, slug__in=store_slugs).select_related("tenant"):
                found[(tenant_slug, store.slug)] = store
    return found


async def _responses(ids: list[UUID]) -> dict[UUID, Response]:
    with all_tenants():  # response ids are global: a known id is answered alike wherever it is stored
        return {r.id: r for r in await Response.filter(id__in=ids)}


VersionAndStatements = tuple[SurveyVersion, dict[str, BankStatement]]


async def _versions(keys: list[tuple[UUID, UUID]]) -> dict[tuple[UUID, UUID], VersionAndStatements]:
    """The survey versions asked for, each with its tenant's statements (read once per tenant: every submission
    needs both, so they are read in the same turn)."""
    found: dict[tuple[UUID, UUID], VersionAndStatements] = {}
    for tenant_id, ids in _by_tenant(keys).items():
        with tenant_scope(tenant_id):
            versions = await SurveyVersion.filter(id__in=ids)
            statements = await available_statements() if versions else {}
            for version in versions:
                found[(tenant_id, version.id)] = (version, statements)
    return found


async def _zones(keys: list[tuple[UUID, UUID]]) -> dict[tuple[UUID, UUID], Zone]:
    found: dict[tuple[UUID, UUID], Zone] = {}
    for tenant_id, ids in _by_tenant(keys).items():
        with tenant_scope(tenant_id):
            for zone in await Zone.filter(id__in=ids):
                found[(tenant_id, zone.id)] = zone
    return found


async def _statements(tenants: list[UUID]) -> dict[UUID, dict[str, BankStatement]]:
    found: dict[UUID, dict[str, BankStatement]] = {}
    for tenant_id in tenants:
        with tenant_scope(tenant_id):
            found[tenant_id] = await available_statements()
    return found


@dataclass
class SubmissionLookups:
    """The shared lookups of one event loop."""

    stores: SharedLookup[StoreKey, Store] = field(default_factory=lambda: SharedLookup(_stores))
    responses: SharedLookup[UUID, Response] = field(default_factory=lambda: SharedLookup(_responses))
    versions: SharedLookup[tuple[UUID, UUID], VersionAndStatements] = field(
        default_factory=lambda: SharedLookup(_versions)
    )
    zones: SharedLookup[tuple[UUID, UUID], Zone] = field(default_factory=lambda: SharedLookup(_zones))
    statements: SharedLookup[UUID, dict[str, BankStatement]] = field(
        default_factory=lambda: SharedLookup(_statements)
    )


_lookups: WeakKeyDictionary[asyncio.AbstractEventLoop, SubmissionLookups] = WeakKeyDictionary()


def lookups() -> SubmissionLookups:
    """The shared lookups of the running event loop (made at its first use)."""
    loop = asyncio.get_running_loop()
    found = _lookups.get(loop)
    if found is None:
        found = _lookups[loop] = SubmissionLookups()
    return found


async def store_at(tenant_slug: str, store_slug: str) -> Store | None:
    """The store at this address, with its tenant (any tenant: the address names it)."""
    return await lookups().stores.get((tenant_slug, store_slug))


async def response_under(response_id: UUID) -> Response | None:
    """The response stored under this id, in any tenant (response ids are global)."""
    return await lookups().responses.get(response_id)


async def survey_version(version_id: UUID) -> VersionAndStatements | None:
    """The current tenant's survey version of this id, with every statement the tenant may use."""
    return await lookups().versions.get((current_tenant_id(), version_id))


async def zone_of_store(zone_id: UUID, store_id: UUID | None) -> Zone | None:
    """The current tenant's zone of this id, when it is a zone of ``store_id`` (None: of any store)."""
    zone = await lookups().zones.get((current_tenant_id(), zone_id))
    return zone if zone is not None and (store_id is None or zone.store_id == store_id) else None


async def tenant_statements() -> dict[str, BankStatement]:
    """Every statement the current tenant may use (:func:`pejling.core.surveys.survey.available_statements`)."""
    statements = await lookups().statements.get(current_tenant_id())
    assert statements is not None
    return statements

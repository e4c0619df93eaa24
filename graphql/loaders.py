"""Per-request DataLoaders. Made fresh for each request and keyed by its tenant, so nothing cached
can leak to another request or tenant.

Stores and zones as an actor may see them are loaded by ``pejling.graphql.tenants.types.VisibleStores``;
``tests/graphql/test_query_counts.py`` holds the main list operations to a number of SQL statements that
does not grow with the rows they list."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from strawberry.dataloader import DataLoader

from pejling.tenants.models import Store, User


class Loaders:
    """Batch loaders for one request in one tenant (``tenant_id`` is only part of the identity)."""

    def __init__(self, tenant_id: UUID | None) -> None:
        self.tenant_id = tenant_id
        self.store: DataLoader[UUID, Store | None] = DataLoader(self._stores)
        self.user: DataLoader[UUID, User | None] = DataLoader(self._users)

    async def _stores(self, ids: Sequence[UUID]) -> list[Store | None]:
        found = {store.id: store for store in await Store.filter(id__in=list(ids))}
        return [found.get(i) for i in ids]

    async def _users(self, ids: Sequence[UUID]) -> list[User | None]:
        found = {user.id: user for user in await User.filter(id__in=list(ids))}
        return [found.get(i) for i in ids]

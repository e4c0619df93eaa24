"""Per-request DataLoaders. Made fresh for each request and keyed by its tenant, so nothing cached
can leak to another request or tenant."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from uuid import UUID

from strawberry.dataloader import DataLoader

from pejling.tenants.models import Store, User, Zone


class Loaders:
    """Batch loaders for one request in one tenant (``tenant_id`` is only part of the identity)."""

    def __init__(self, tenant_id: UUID | None) -> None:
        self.tenant_id = tenant_id
        self.zones_by_store: DataLoader[UUID, list[Zone]] = DataLoader(self._zones_by_store)
        self.store: DataLoader[UUID, Store | None] = DataLoader(self._stores)
        self.user: DataLoader[UUID, User | None] = DataLoader(self._users)

    async def _zones_by_store(self, store_ids: Sequence[UUID]) -> list[list[Zone]]:
        grouped: dict[UUID, list[Zone]] = defaultdict(list)
        for zone in await Zone.filter(store_id__in=list(store_ids)).order_by("created_at", "name"):
            grouped[zone.store_id].append(zone)
        return [grouped.get(store_id, []) for store_id in store_ids]

    async def _stores(self, ids: Sequence[UUID]) -> list[Store | None]:
        found = {store.id: store for store in await Store.filter(id__in=list(ids))}
        return [found.get(i) for i in ids]

    async def _users(self, ids: Sequence[UUID]) -> list[User | None]:
        found = {user.id: user for user in await User.filter(id__in=list(ids))}
        return [found.get(i) for i in ids]

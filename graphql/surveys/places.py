"""The store (and optionally one of its zones) a survey mutation acts on, from the caller's global ids."""

from __future__ import annotations

from pejling.graphql.errors import UserError, not_found
from pejling.graphql.relay_ids import decode_id
from pejling.tenants.models import Store, Zone


async def store_and_zone(
    store_id: object, zone_id: object | None
) -> tuple[Store | None, Zone | None, UserError | None]:
    """The caller's store and, when ``zone_id`` is given, its zone; or the not-found error to answer instead.

    Runs in the caller's tenant scope, so another tenant's store or a zone of another store is simply not found.
    """
    store_uuid = decode_id(str(store_id), "Store")
    store = await Store.get_or_none(id=store_uuid) if store_uuid else None
    if store is None:
        return None, None, not_found("storeId", "No store of yours has this id.")
    if zone_id is None:
        return store, None, None
    zone_uuid = decode_id(str(zone_id), "Zone")
    zone = await Zone.get_or_none(id=zone_uuid, store_id=store.id) if zone_uuid else None
    if zone is None:
        return store, None, not_found("zoneId", "No zone of this store has this id.")
    return store, zone, None

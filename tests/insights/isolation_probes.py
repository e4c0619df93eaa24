"""Cross-tenant probes for the insights root fields, in the shape of ``tests/graphql/test_tenant_isolation.py``.

``INSIGHT_PROBES`` maps each root field of ``graphql/insights`` to a probe taking that module's ``Walk``
(``w.a`` owns the data, ``w.b`` attacks it). Add them with ``**INSIGHT_PROBES`` in its ``PROBES``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from pejling.core.insights.models import StoreChange
from pejling.tenants.scope import tenant_scope

Probe = Callable[[Any], Awaitable[None]]
PERIOD = {"from": "2026-01-01", "to": "2026-03-31"}


async def _seed(w: Any) -> None:
    """A logged store change in tenant A (made once per walk)."""
    if "store_change" in w.ids:
        return
    with tenant_scope(w.a.tenant.id):
        change = await StoreChange.create(store_id=w.a.stores[0].id, date=date(2026, 3, 3), description="A's change")
    w.ids["store_change"] = str(change.id)


async def _insights(w: Any) -> None:
    query = "query($s: InsightScopeInput!, $p: PeriodInput!) { insights(scope: $s, period: $p) { n } }"
    for scope in ({"kind": "STORE", "ids": [w.ids["store"]]}, {"kind": "STORES", "ids": [w.ids["store"]]},
                  {"kind": "ZONE", "ids": [w.ids["zone"]]}):
        result = await w.as_b(query, s=scope, p=PERIOD)
        assert result["data"] is None and result["errors"][0]["extensions"]["code"] == "NOT_FOUND", result
    own = await w.as_b(query, s={"kind": "CHAIN"}, p=PERIOD)
    assert own["data"]["insights"]["n"] == 0


async def _store_changes(w: Any) -> None:
    await _seed(w)
    result = await w.as_b("query($id: ID) { storeChanges(storeId: $id) { description } }", id=w.ids["store"])
    assert result["data"] is None and result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    result = await w.as_b("{ storeChanges { description } }")
    assert result["data"]["storeChanges"] == []


async def _log_store_change(w: Any) -> None:
    result = await w.as_b(
        "mutation($i: LogStoreChangeInput!) { logStoreChange(input: $i) { storeChange { id } errors { code } } }",
        i={"storeId": w.ids["store"], "date": "2026-03-04", "description": "B was here"},
    )
    assert [e["code"] for e in result["data"]["logStoreChange"]["errors"]] == ["not_found"]
    with tenant_scope(w.a.tenant.id):
        assert not await StoreChange.filter(description="B was here").exists()


INSIGHT_PROBES: dict[str, Probe] = {
    "insights": _insights,
    "storeChanges": _store_changes,
    "logStoreChange": _log_store_change,
}

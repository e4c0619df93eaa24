"""The ingest's SQL statements per batch grow far slower than the batch: the lookups of concurrent submissions are
shared (:mod:`pejling.core.surveys.submission_lookups`), the inserts are set-based, the rollup deltas and scores merged
per batch, and ``response_received`` is told after the shopper's answer (counted with tests/support/query_count)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from pejling.core.contracts import ShopperResponse
from pejling.core.hookspecs import hookimpl
from pejling.core.plugin_manager import Plugins, load_plugins
from pejling.core.surveys.group_commit import GroupCommit
from pejling.core.surveys.hooks import response_events, response_events_delivered
from pejling.core.surveys.ingest import IngestRefused, IngestResult
from pejling.core.surveys.models import Response
from pejling.tenants.scope import current_tenant_id, tenant_scope
from tests.support.query_count import counting_queries

from .conftest import Shop, submit_as

#: What one batch may cost beyond its fixed statements, per submission in it: nothing today; a little slack for
#: statements split into chunks.
PER_SUBMISSION = 0.125


async def _batch(shop: Shop, plugins: Plugins, batches: GroupCommit, payloads: list[dict[str, Any]],
                 start: int, stored: int | None = None) -> tuple[list[str], list[IngestResult | IngestRefused]]:
    """The statements of submitting ``payloads`` at the same time (one batch of ``stored``, default all), and their
    results."""
    batches.max_batch = len(payloads) if stored is None else stored
    async with counting_queries() as sql:
        results = await asyncio.gather(*(submit_as(shop, plugins, p, start + i, network="10.7")
                                         for i, p in enumerate(payloads)))
    return sql.statements, list(results)


@pytest.fixture
async def quiet(shop: Shop, plugins: Plugins) -> AsyncIterator[None]:
    """The follow-up rules switched off for the shop, so that no plugin event's statement (told in the background,
    after the answers) is counted among the ingest's."""
    await plugins.disable_plugin(shop.tenant.id, "followups")
    yield
    await response_events_delivered()


async def test_statements_per_batch_grow_far_slower_than_the_batch(
    shop: Shop, plugins: Plugins, batches: GroupCommit, quiet: None
) -> None:
    await _batch(shop, plugins, batches, [shop.payload()], 0)  # the tenant's first: fills its caches (plugins, …)
    told = response_events().told
    one, (result,) = await _batch(shop, plugins, batches, [shop.payload()], 1)
    assert isinstance(result, IngestResult) and not result.duplicate
    n = 32
    payloads = [shop.payload(comment=f"batch {i}", outcome=i % 11, zone_id=None if i % 3 else str(shop.zone.id))
                for i in range(n)]
    many, results = await _batch(shop, plugins, batches, payloads, 100)
    assert all(isinstance(r, IngestResult) and not r.duplicate for r in results), results
    assert batches.batch_sizes[-1] == n

    # One response costs about a dozen statements; 32 at once cost the same dozen, not 32 dozen.
    assert len(one) <= 14, one
    assert len(many) <= len(one) + PER_SUBMISSION * n, many
    for table in ('"store"', '"survey_response"', '"survey_version"', '"zone"', '"survey_statement"'):
        assert len([s for s in many if s.startswith("SELECT") and f"FROM {table}" in s]) == 1, (table, many)
    for table in ('"survey_response"', '"survey_answer"', '"insights_score"', "insights_daily ",
                  "insights_statement_daily ", "insights_store_daily ", "insights_rollup_state "):
        assert len([s for s in many if s.startswith(f"INSERT INTO {table}")]) == 1, (table, many)

    # Everything is stored, and the plugins heard of every response once their events were delivered.
    await response_events_delivered()
    assert response_events().told >= told + n + 1
    with tenant_scope(shop.tenant.id):
        assert await Response.filter(id__in=[p["id"] for p in payloads]).count() == n


async def test_resends_and_refusals_in_one_batch_share_the_lookups(
    shop: Shop, plugins: Plugins, batches: GroupCommit, quiet: None
) -> None:
    first = [shop.payload(comment=f"first {i}") for i in range(4)]
    _, earlier = await _batch(shop, plugins, batches, first, 200)
    assert all(isinstance(r, IngestResult) for r in earlier)
    fresh = [shop.payload(comment=f"fresh {i}") for i in range(12)]
    bad_zone = shop.payload(zone_id=str(shop.other_store.id))  # not a zone of the store
    payloads = [*fresh, *[dict(p) for p in first], shop.payload(id=first[0]["id"], outcome=0), bad_zone]
    statements, results = await _batch(shop, plugins, batches, payloads, 300, stored=len(fresh))

    assert all(isinstance(r, IngestResult) and not r.duplicate for r in results[:12])
    for before, again in zip(earlier, results[12:16], strict=True):
        assert isinstance(before, IngestResult) and isinstance(again, IngestResult)
        assert again.duplicate and again.receipt_code == before.receipt_code
    conflict, zone = results[16], results[17]
    assert isinstance(conflict, IngestRefused) and (conflict.status, conflict.code) == (409, "id_conflict")
    assert isinstance(zone, IngestRefused) and (zone.status, zone.code) == (422, "unknown_zone")
    # The 18 submissions' resend lookups are one query (and one more for the refused one's look for a twin stored
    # meanwhile); the 12 stored ones one insert.
    assert len([s for s in statements if s.startswith("SELECT") and 'FROM "survey_response"' in s]) == 2, statements
    assert len([s for s in statements if s.startswith('INSERT INTO "survey_response"')]) == 1, statements
    with tenant_scope(shop.tenant.id):
        assert await Response.all().count() == 16


class _Slow:
    """A plugin whose ``response_received`` waits until the test lets it go."""

    def __init__(self) -> None:
        self.go = asyncio.Event()
        self.received: list[tuple[Any, Any]] = []

    @hookimpl
    async def response_received(self, tenant_id: Any, response: ShopperResponse) -> None:
        await self.go.wait()
        self.received.append((response.id, current_tenant_id()))


async def test_response_received_is_told_after_the_answer_and_never_dropped(database: Any, shop: Shop) -> None:
    slow = _Slow()
    plugins = await load_plugins(database, builtin_plugins=("pejling.plugins.channels.qr",), entry_points=False,
                                 extra_plugins=[("slow", slow)])
    await plugins.enable_plugin(shop.tenant.id, "slow")
    payloads = [shop.payload(comment=f"told {i}") for i in range(3)]
    results = [await submit_as(shop, plugins, p, 400 + i, network="10.7") for i, p in enumerate(payloads)]
    # The shoppers were answered (stored) while the plugin had not yet been told anything.
    assert all(isinstance(r, IngestResult) and not r.duplicate for r in results)
    assert slow.received == []
    with tenant_scope(shop.tenant.id):
        assert await Response.filter(id__in=[p["id"] for p in payloads]).count() == 3
    slow.go.set()
    await response_events_delivered()
    assert sorted(str(i) for i, _ in slow.received) == sorted(p["id"] for p in payloads)
    assert {scope for _, scope in slow.received} == {shop.tenant.id}

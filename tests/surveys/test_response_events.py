"""The stored responses are told to the plugins a tenant's batch at once, and the responses waiting are bounded
(:class:`pejling.core.surveys.hooks.ResponseEvents`)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from pejling.core.contracts import ShopperResponse
from pejling.core.hookspecs import hookimpl
from pejling.core.plugin_manager import Plugins, load_plugins
from pejling.core.surveys.hooks import ResponseEvents, response_events_delivered
from pejling.core.surveys.ingest import IngestResult
from pejling.core.surveys.models import Response
from pejling.tenants.scope import current_tenant_id, tenant_scope

from .conftest import Shop, submit_as

QR_ONLY = ("pejling.plugins.channels.qr",)


class BatchListener:
    """Implements the batch form; waits for ``go`` before returning."""

    def __init__(self) -> None:
        self.go = asyncio.Event()
        self.go.set()
        self.calls: list[list[str]] = []
        self.scopes: list[Any] = []

    @hookimpl
    async def responses_received(self, tenant_id: Any, responses: Sequence[ShopperResponse]) -> None:
        await self.go.wait()
        self.calls.append([str(r.id) for r in responses])
        self.scopes.append(current_tenant_id())


class OneByOne:
    """Implements only ``response_received``: told each response of a batch on its own."""

    def __init__(self) -> None:
        self.received: list[str] = []

    @hookimpl
    async def response_received(self, tenant_id: Any, response: ShopperResponse) -> None:
        self.received.append(str(response.id))


async def _listening(database: Any, shop: Shop) -> tuple[Plugins, BatchListener, OneByOne]:
    batch, single = BatchListener(), OneByOne()
    plugins = await load_plugins(database, builtin_plugins=QR_ONLY, entry_points=False,
                                 extra_plugins=[("batch", batch), ("single", single)])
    await plugins.enable_plugin(shop.tenant.id, "batch")
    await plugins.enable_plugin(shop.tenant.id, "single")
    return plugins, batch, single


async def _stored(shop: Shop, plugins: Plugins, n: int, start: int) -> list[Response]:
    results = [await submit_as(shop, plugins, shop.payload(comment=f"event {i}"), start + i, network="10.8")
               for i in range(n)]
    assert all(isinstance(r, IngestResult) for r in results), results
    await response_events_delivered()  # the ingest's own events are told before the test's listeners switch on
    ids = [r.response_id for r in results if isinstance(r, IngestResult)]
    with tenant_scope(shop.tenant.id):
        found = {str(r.id): r for r in await Response.filter(id__in=ids)}
    return [found[i] for i in ids]


async def test_responses_handed_over_together_are_told_in_one_call(database: Any, shop: Shop) -> None:
    plugins, batch, single = await _listening(database, shop)
    await plugins.disable_plugin(shop.tenant.id, "batch")  # the ingest's own events are not the test's
    await plugins.disable_plugin(shop.tenant.id, "single")
    responses = await _stored(shop, plugins, 5, 0)
    await plugins.enable_plugin(shop.tenant.id, "batch")
    await plugins.enable_plugin(shop.tenant.id, "single")
    events = ResponseEvents()
    for response in responses:  # no turn of the event loop between them: one batch
        await events.tell(plugins, shop.tenant.id, response, [])
    await events.delivered()
    ids = [str(r.id) for r in responses]
    assert batch.calls == [ids] and batch.scopes == [shop.tenant.id]
    assert single.received == ids  # the plugin without the batch form heard of each, in order
    assert events.told == 5 and events.batches == [5] and events.waiting == 0


async def test_the_responses_waiting_are_bounded_and_a_full_queue_holds_the_caller(database: Any, shop: Shop) -> None:
    plugins, batch, _ = await _listening(database, shop)
    await plugins.disable_plugin(shop.tenant.id, "batch")
    responses = await _stored(shop, plugins, 3, 100)
    await plugins.enable_plugin(shop.tenant.id, "batch")
    batch.go.clear()
    events = ResponseEvents(max_waiting=2)
    await events.tell(plugins, shop.tenant.id, responses[0], [])
    for _ in range(20):  # the delivery takes the first response and waits in the plugin
        await asyncio.sleep(0)
    await events.tell(plugins, shop.tenant.id, responses[1], [])  # two waiting: still room
    assert events.held == 0
    third = asyncio.create_task(events.tell(plugins, shop.tenant.id, responses[2], []))
    for _ in range(20):
        await asyncio.sleep(0)
    assert not third.done() and events.held == 1 and events.waiting == 3  # queued, its caller held
    batch.go.set()
    await third
    await events.delivered()
    assert batch.calls == [[str(responses[0].id)], [str(responses[1].id), str(responses[2].id)]]
    assert events.told == 3 and events.most_waiting == 3 and events.waiting == 0

"""Plugin hooks of the survey: a reward from an enabled plugin, response_received after storage, failures contained."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pejling.core.contracts import Reward, ShopperResponse
from pejling.core.hookspecs import hookimpl
from pejling.core.plugin_manager import load_plugins
from pejling.core.surveys.hooks import response_events_delivered
from pejling.core.surveys.ingest import ingest_response
from pejling.core.surveys.models import Response
from pejling.tenants.scope import current_tenant_id, tenant_scope

from .conftest import Shop

#: The one built-in these tests need: the channel the fixture's submissions come through.
QR_ONLY = ("pejling.plugins.channels.qr",)


class Rewarder:
    """A plugin that offers a discount code and records what it was told."""

    def __init__(self) -> None:
        self.received: list[ShopperResponse] = []
        self.scopes: list[Any] = []

    @hookimpl
    async def reward_for_response(self, tenant_id: Any, response: ShopperResponse) -> Reward:
        return Reward(
            code=f"THANKS-{str(response.id)[:4]}",
            description={"en": "10 % off", "da": "10 % rabat"},
            expires_at=datetime(2027, 1, 1, tzinfo=UTC),
        )

    @hookimpl
    async def response_received(self, tenant_id: Any, response: ShopperResponse) -> None:
        self.received.append(response)
        self.scopes.append(current_tenant_id())


class Broken:
    @hookimpl
    def response_received(self, tenant_id: Any, response: ShopperResponse) -> None:
        raise RuntimeError("plugin bug")


async def test_reward_and_response_received(database: Any, shop: Shop) -> None:
    rewarder = Rewarder()
    plugins = await load_plugins(
        database, builtin_plugins=QR_ONLY, entry_points=False,
        extra_plugins=[("rewarder", rewarder), ("broken", Broken())],
    )
    await plugins.enable_plugin(shop.tenant.id, "rewarder")
    await plugins.enable_plugin(shop.tenant.id, "broken")
    payload = shop.payload()
    kwargs: dict[str, Any] = dict(
        tenant_slug=shop.tenant.slug,
        store_slug=shop.store.slug,
        client_address="10.1.1.1",
        user_agent="",
        via="json",
        settings=database,
        plugins=plugins,
    )
    result = await ingest_response(payload, **kwargs)
    assert result.reward == {
        "code": f"THANKS-{payload['id'][:4]}",
        "description": {"en": "10 % off", "da": "10 % rabat"},
        "expires_at": "2027-01-01T00:00:00+00:00",
    }
    await response_events_delivered()  # response_received runs after the answer (docs/ingest.md)
    assert len(rewarder.received) == 1  # the broken plugin did not stop the others or the response
    seen = rewarder.received[0]
    assert str(seen.id) == payload["id"] and seen.store_id == shop.store.id and seen.language == "da"
    # Plugins see every statement answer, then the outcome question as "nps-recommend".
    assert [a.statement_id for a in seen.answers] == [a["statement_id"] for a in payload["answers"]] + ["nps-recommend"]
    assert [a.reaction_time_ms for a in seen.answers] == [a["reaction_ms"] for a in payload["answers"]] + [None]
    assert seen.answers[-1].value == payload["outcome"]
    assert rewarder.scopes == [shop.tenant.id]
    again = await ingest_response(payload, **kwargs)
    assert again.duplicate and again.reward == result.reward  # the stored reward, not a second one
    await response_events_delivered()
    assert len(rewarder.received) == 1
    with tenant_scope(shop.tenant.id):
        assert (await Response.get(id=payload["id"])).reward == result.reward


async def test_plugins_not_enabled_for_the_tenant_are_not_called(database: Any, shop: Shop) -> None:
    rewarder = Rewarder()
    plugins = await load_plugins(
        database, builtin_plugins=QR_ONLY, entry_points=False, extra_plugins=[("rewarder", rewarder)]
    )
    result = await ingest_response(
        shop.payload(),
        tenant_slug=shop.tenant.slug,
        store_slug=shop.store.slug,
        client_address="10.1.1.2",
        user_agent="",
        via="json",
        settings=database,
        plugins=plugins,
    )
    await response_events_delivered()
    assert result.reward is None and rewarder.received == []

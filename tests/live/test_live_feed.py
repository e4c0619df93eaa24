"""The live feed ``GET /api/live/responses``: who may listen, what they hear, heartbeats and hanging up (in process)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from asgi_lifespan import LifespanManager

from pejling.core.live_feed import global_id, topic_for
from pejling.core.pubsub import current_broker
from pejling.core.settings import Settings
from pejling.tenants.models import Role, Store
from pejling.tenants.scope import tenant_scope
from tests.live.sse import SseClient
from tests.support.tenancy import PASSWORD, member, token_for
from tests.surveys.conftest import Shop, make_shop

PATH = "/api/live/responses"
LOGIN = """mutation($email: String!, $password: String!) { login(email: $email, password: $password) {
  me { csrfToken } errors { code } } }"""


@pytest.fixture(scope="module")
async def live_app(database: Settings) -> AsyncIterator[Any]:
    """The app with a short heartbeat, so a test hears one in a fraction of a second."""
    from pejling.core.app import create_app

    application = create_app(database.model_copy(update={"live_heartbeat_seconds": 0.2}), manage_database=False)
    async with LifespanManager(application) as manager:
        yield manager.app


@pytest.fixture
async def http(live_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=live_app), base_url="http://testserver") as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def owner_token(shop: Shop) -> str:
    with tenant_scope(shop.tenant.id):
        from pejling.tenants.models import Membership

        owner = await Membership.get(role=Role.OWNER)
    return await token_for(shop.tenant, await owner.user)


async def submit(http: httpx.AsyncClient, shop: Shop, store: Store | None = None, **changes: Any) -> str:
    """Store one response submitted just now; its global id."""
    now = datetime.now(UTC)
    times = {"started_at": (now - timedelta(seconds=45)).isoformat(),
             "submitted_at": (now - timedelta(seconds=5)).isoformat()}
    payload = shop.payload(**{**times, **changes})
    if store is not None and store.id != shop.store.id:
        payload["zone_id"] = None
    reply = await http.post(f"/s/{shop.tenant.slug}/{(store or shop.store).slug}/responses", json=payload,
                            headers={"user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"})
    assert reply.status_code in (200, 201), reply.text
    return global_id("Response", UUID(payload["id"]))


@pytest.fixture
async def shop(database: Settings) -> Shop:
    return await make_shop()


async def test_anonymous_gets_401_and_a_foreign_or_unknown_store_404(http: httpx.AsyncClient, shop: Shop) -> None:
    assert (await http.get(PATH)).status_code == 401
    other = await make_shop()
    foreign = await owner_token(other)
    store = global_id("Store", shop.store.id)
    assert (await http.get(PATH, params={"store": store}, headers=bearer(foreign))).status_code == 404
    assert (await http.get(PATH, params={"store": "not-an-id"}, headers=bearer(foreign))).status_code == 404
    zone_id = global_id("Zone", shop.zone.id)
    assert (await http.get(PATH, params={"store": zone_id}, headers=bearer(await owner_token(shop)))).status_code == 404
    assert (await http.get(PATH, headers=bearer("pjl_nonsense"))).status_code == 401


async def test_a_member_hears_todays_count_then_each_new_response_without_shopper_text(
    live_app: Any, http: httpx.AsyncClient, shop: Shop
) -> None:
    await submit(http, shop)
    await submit(http, shop, started_at=(datetime.now(UTC) - timedelta(days=2)).isoformat(),
                 submitted_at=(datetime.now(UTC) - timedelta(days=2) + timedelta(seconds=40)).isoformat())
    token = await owner_token(shop)
    store = global_id("Store", shop.store.id)
    async with SseClient(live_app, f"{PATH}?store={store}", bearer(token)) as feed:
        assert feed.status == 200
        assert feed.response_headers["content-type"].startswith("text/event-stream")
        assert "content-length" not in feed.response_headers  # a stream without end
        today = await feed.next_named("today")
        assert today.data["count"] == 1  # the one of two days ago is not today's
        assert today.data["stores"] == [store]
        await submit(http, shop, store=shop.other_store)  # another store of the tenant: not this feed's
        response_id = await submit(http, shop, comment="Meget personlig tekst")
        event = await feed.next_named("response")
        assert event.id == response_id and event.data["id"] == response_id
        assert event.data["store"] == store and event.data["zone"] == global_id("Zone", shop.zone.id)
        assert event.data["channel"] == "qr"
        assert "Meget" not in str(event.data) and "comment" not in event.data


async def test_the_whole_tenant_feed_with_a_session_cookie_and_a_store_manager_hears_only_their_store(
    live_app: Any, http: httpx.AsyncClient, shop: Shop
) -> None:
    manager = await member(shop.tenant, Role.STORE_MANAGER, [str(shop.other_store.id)])
    login = await http.post("/graphql", json={"query": LOGIN, "variables": {"email": manager.email,
                                                                           "password": PASSWORD}})
    assert login.json()["data"]["login"]["errors"] == [], login.text
    cookie = "; ".join(f"{name}={value}" for name, value in http.cookies.items())
    assert (await http.get(PATH, params={"store": global_id("Store", shop.store.id)})).status_code == 404
    async with SseClient(live_app, PATH, {"cookie": cookie}) as feed:
        today = await feed.next_named("today")
        assert today.data["stores"] == [global_id("Store", shop.other_store.id)]
        await submit(http, shop)  # the store they do not manage
        theirs = await submit(http, shop, store=shop.other_store)
        assert (await feed.next_named("response")).id == theirs


async def test_another_tenant_hears_nothing_and_everyone_gets_heartbeats(
    live_app: Any, http: httpx.AsyncClient, shop: Shop
) -> None:
    other = await make_shop()
    async with SseClient(live_app, PATH, bearer(await owner_token(other))) as feed:
        assert (await feed.next_named("today")).data["count"] == 0
        await submit(http, shop)
        await submit(http, shop)
        for _ in range(3):  # heartbeats come while nothing of this tenant happens
            event = await feed.next()
            assert event is not None and event.name == "heartbeat", event


async def test_hanging_up_ends_the_stream_and_its_subscription(live_app: Any, shop: Shop) -> None:
    topic = topic_for(shop.tenant.id)
    broker = current_broker()
    async with SseClient(live_app, PATH, bearer(await owner_token(shop))) as feed:
        await feed.next_named("today")
        assert broker.listeners(topic) == 1
        await feed.disconnect()
        assert feed.ended
    assert broker.listeners(topic) == 0


async def test_a_stream_ends_by_itself_after_its_lifetime(database: Settings, shop: Shop) -> None:
    from pejling.core.app import create_app

    short = create_app(database.model_copy(update={"live_heartbeat_seconds": 0.1, "live_stream_seconds": 0.5}),
                       manage_database=False)
    async with LifespanManager(short) as manager:
        async with SseClient(manager.app, PATH, bearer(await owner_token(shop))) as feed:
            await feed.next_named("today")
            while (event := await feed.next()) is not None:
                assert event.name == "heartbeat"
            assert current_broker().listeners(topic_for(shop.tenant.id)) == 0


async def test_a_member_of_two_tenants_names_one_in_the_query_as_an_event_source_cannot_send_headers(
    live_app: Any, http: httpx.AsyncClient, shop: Shop
) -> None:
    from pejling.tenants.models import Membership

    other = await make_shop()
    person = await member(shop.tenant, Role.ANALYST)
    with tenant_scope(other.tenant.id):
        await Membership.create(user=person, role=Role.ANALYST, store_ids=[])
    login = await http.post("/graphql", json={"query": LOGIN, "variables": {"email": person.email,
                                                                           "password": PASSWORD}})
    assert login.json()["data"]["login"]["errors"] == [], login.text
    cookie = {"cookie": "; ".join(f"{name}={value}" for name, value in http.cookies.items())}
    assert (await http.get(PATH)).status_code == 404  # which tenant? none is chosen for them
    assert (await http.get(PATH, params={"tenant": "no-such-shop-x"})).status_code == 404
    async with SseClient(live_app, f"{PATH}?tenant={other.tenant.slug}", cookie) as feed:
        assert (await feed.next_named("today")).data["stores"] == sorted(
            global_id("Store", store.id) for store in (other.store, other.other_store))
        await submit(http, shop)  # their first tenant's: not this feed's
        theirs = await submit(http, other)
        assert (await feed.next_named("response")).id == theirs

"""A store's survey page served without reading the stamp while this process hears the content-stamp notices
(core/change_notices.py, core/surveys/page_cache.py ``HeardStamps``): a change committed anywhere reaches the page
once its notice arrives, a lost listener falls back to reading the stamp and trusts again once it hears again, and
one tenant's notice leaves another tenant's page alone. PostgreSQL only (SQLite has no NOTIFY, and never listens)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest

from pejling.core.change_notices import change_notices
from pejling.core.surveys.page_cache import HeardStamps, store_pages
from tests.support.query_count import counting_queries
from tests.survey_page.conftest import Shop, make_shop, wait_until

postgres_only = pytest.mark.postgres_only


@pytest.fixture
async def shopper(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client that does not wait for the notices (unlike the suite's ``client``): it sees what a shopper sees."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def elsewhere(database: Any) -> AsyncIterator[asyncpg.Connection]:
    """A connection of its own, as another process's: what it commits no hook of this process hears of."""
    connection = await asyncpg.connect(database.database_owner_url.replace("postgres://", "postgresql://", 1))
    yield connection
    await connection.close()


async def _page(client: httpx.AsyncClient, url: str) -> str:
    response = await client.get(url, headers={"accept-language": "en"})
    assert response.status_code == 200, response.text
    return response.text


async def _trusted(client: httpx.AsyncClient, shop: Shop) -> None:
    """Serve the shop's page until it comes without a query (the listener connected, the stamp read once)."""
    await wait_until(lambda: change_notices.listening)
    for _ in range(3):
        await _page(client, shop.url)
    async with counting_queries() as sql:
        await _page(client, shop.url)
    assert len(sql) == 0, sql.statements


async def _queries(client: httpx.AsyncClient, url: str) -> int:
    async with counting_queries() as sql:
        await _page(client, url)
    return len(sql)


async def _rename(connection: asyncpg.Connection, shop: Shop, name: str) -> None:
    await connection.execute("UPDATE store SET name = $1 WHERE id = $2", name, shop.store.id)


@postgres_only
async def test_a_page_already_served_costs_no_query(shopper: httpx.AsyncClient, shop: Shop) -> None:
    await _trusted(shopper, shop)
    loads = store_pages.loads
    for _ in range(5):
        assert await _queries(shopper, shop.url) == 0
    assert store_pages.loads == loads


@postgres_only
async def test_a_change_committed_elsewhere_reaches_the_page(shopper: httpx.AsyncClient, shop: Shop,
                                                            elsewhere: asyncpg.Connection) -> None:
    """The page is served from the copy without asking (no query) until the notice comes: only the notice can
    bring the new name, so without it the wait below fails."""
    await _trusted(shopper, shop)
    await _rename(elsewhere, shop, "Nordlys Aarhus Syd")
    seen: list[str] = []

    async def renamed() -> bool:
        seen.append(await _page(shopper, shop.url))
        return "Nordlys Aarhus Syd" in seen[-1]

    await wait_until(renamed)
    assert "Nordlys Aarhus Syd" in await _page(shopper, shop.url)
    assert await _queries(shopper, shop.url) == 0  # trusted again after one read of the new stamp


@postgres_only
async def test_one_tenants_change_leaves_another_tenants_page(shopper: httpx.AsyncClient, database: Any,
                                                             elsewhere: asyncpg.Connection) -> None:
    first, second = await make_shop(), await make_shop()
    await _trusted(shopper, first)
    await _trusted(shopper, second)
    theirs = [key for key in store_pages._pages if key[0] == second.tenant.id]
    assert theirs
    loads = store_pages.loads
    await _rename(elsewhere, first, "Nordlys Aarhus Nord")
    assert await change_notices.caught_up()  # the notice of the first tenant's change has been heard
    assert all(key in store_pages._pages for key in theirs)
    assert not [key for key in store_pages._pages if key[0] == first.tenant.id]  # its copies dropped at the notice
    assert await _queries(shopper, second.url) == 0
    assert store_pages.loads == loads
    assert "Nordlys Aarhus Nord" in await _page(shopper, first.url)
    assert store_pages.loads == loads + 1


@postgres_only
async def test_a_stopped_listener_falls_back_to_reads(shopper: httpx.AsyncClient, shop: Shop,
                                                     elsewhere: asyncpg.Connection) -> None:
    await _trusted(shopper, shop)
    await change_notices.stop()
    try:
        assert not change_notices.listening
        assert await _queries(shopper, shop.url) == 1  # the stamp read, as on SQLite
        await _rename(elsewhere, shop, "Nordlys Aarhus Vest")  # no one hears its notice
        assert "Nordlys Aarhus Vest" in await _page(shopper, shop.url)  # at once: the read found the new stamp
    finally:
        change_notices.start()
    await wait_until(lambda: change_notices.listening)
    assert await _queries(shopper, shop.url) == 1  # connected again: read once before trusting
    assert await _queries(shopper, shop.url) == 0


@postgres_only
async def test_a_lost_listener_connects_again_and_resynchronises(shopper: httpx.AsyncClient, shop: Shop,
                                                                elsewhere: asyncpg.Connection) -> None:
    """The listener's session ended by the server; a change committed meanwhile (its notice maybe never heard)
    reaches the page, and once connected again the page is served without a query again."""
    await _trusted(shopper, shop)
    connects = change_notices.connects
    pid = change_notices._connection.get_server_pid()
    assert await elsewhere.fetchval("SELECT pg_terminate_backend($1)", pid)
    await _rename(elsewhere, shop, "Nordlys Aarhus Øst")

    async def renamed() -> bool:
        return "Nordlys Aarhus Øst" in await _page(shopper, shop.url)

    await wait_until(renamed)
    await wait_until(lambda: change_notices.connects > connects and change_notices.listening)
    await _page(shopper, shop.url)  # the one read after connecting
    assert await _queries(shopper, shop.url) == 0
    assert "Nordlys Aarhus Øst" in await _page(shopper, shop.url)


@postgres_only
async def test_a_deleted_tenant_is_gone_at_its_notice(shopper: httpx.AsyncClient, database: Any) -> None:
    from pejling.core.tenant_deletion import delete_tenant

    shop = await make_shop()
    await _trusted(shopper, shop)
    await delete_tenant(shop.tenant, database)

    async def gone() -> bool:
        return (await shopper.get(shop.url)).status_code == 404

    await wait_until(gone)


@postgres_only
async def test_a_renamed_tenant_address_is_gone_at_its_notice(shopper: httpx.AsyncClient, shop: Shop,
                                                              elsewhere: asyncpg.Connection) -> None:
    await _trusted(shopper, shop)
    await elsewhere.execute("UPDATE tenant SET slug = $1 WHERE id = $2", shop.tenant.slug + "-n", shop.tenant.id)

    async def gone() -> bool:
        return (await shopper.get(shop.url)).status_code == 404

    await wait_until(gone)
    assert "Nordlys Aarhus" in await _page(shopper, f"/s/{shop.tenant.slug}-n/{shop.store.slug}")


async def test_the_app_listens_on_postgres_only(database: Any, shop: Shop, client: httpx.AsyncClient) -> None:
    if database.is_postgres:
        await wait_until(lambda: change_notices.listening)
        return
    assert not change_notices.listening and change_notices.connects == 0
    await _page(client, shop.url)  # the tenant's first page makes its default survey: a change of the stamp
    await _page(client, shop.url)
    assert await _queries(client, shop.url) == 1


def _heard(*, listening: bool = True) -> HeardStamps:
    heard = HeardStamps()
    if listening:
        heard.connected()
    return heard


def test_a_read_older_than_a_notice_heard_is_not_trusted() -> None:
    """A read sent before a change committed and back after its notice came: its stamp is already old."""
    tenant = uuid4()
    heard = _heard()
    epoch = heard.epoch
    heard.notice(f"{tenant}:8")
    heard.learned("nordlys", (tenant, 7), epoch)
    assert heard.trusted("nordlys") is None
    heard.learned("nordlys", (tenant, 8), epoch)
    assert heard.trusted("nordlys") == (tenant, 8)


def test_a_read_across_a_reconnect_or_while_not_listening_is_not_trusted() -> None:
    tenant = uuid4()
    heard = _heard(listening=False)
    heard.learned("nordlys", (tenant, 3), heard.epoch)
    assert heard.trusted("nordlys") is None
    heard.connected()
    epoch = heard.epoch
    heard.disconnected()
    heard.connected()  # notices may have been missed in between
    heard.learned("nordlys", (tenant, 3), epoch)
    assert heard.trusted("nordlys") is None
    heard.learned("nordlys", (tenant, 3), heard.epoch)
    assert heard.trusted("nordlys") == (tenant, 3)
    heard.disconnected()
    assert heard.trusted("nordlys") is None


def test_a_newer_notice_ends_the_trust_of_that_tenant_only() -> None:
    one, two = uuid4(), uuid4()
    dropped: list[UUID] = []
    heard = HeardStamps(on_newer=dropped.append)
    heard.connected()
    heard.learned("one", (one, 5), heard.epoch)
    heard.learned("two", (two, 9), heard.epoch)
    heard.notice(f"{one}:5")  # a stamp already known: nothing to drop
    assert heard.trusted("one") == (one, 5) and dropped == []
    heard.notice(f"{one}:6")
    assert heard.trusted("one") is None and dropped == [one]
    assert heard.trusted("two") == (two, 9)
    heard.notice(f"{one}:7")  # no longer trusted: nothing more to drop
    assert dropped == [one]


def test_where_the_listener_connects() -> None:
    from pejling.core.change_notices import notice_url
    from pejling.core.settings import Settings

    direct = "postgres://app@db:5432/pejling"
    assert notice_url(Settings(database_url="sqlite:///tmp/p.sqlite3")) is None
    assert notice_url(Settings(database_url=direct)) == direct
    pooled = Settings(database_url="postgres://app@pool:6432/pejling", database_pooler="pgbouncer")
    assert notice_url(pooled) is None  # PgBouncer in transaction pooling cannot keep a LISTEN
    assert notice_url(pooled.model_copy(update={"database_notice_url": direct})) == direct

"""The survey page of a store served from this process's copy (:mod:`.page_copy`), without loading the page.

**A store's page without loading it** (:class:`StorePages`, ``GET /s/<tenant>/<store>``): loading the page takes
about seven queries (tenant, store, plugins, zone, survey, statements), more than rendering cost. So the loaded page
and its copy are kept too, keyed by the tenant's **content stamp** (``tenant.content_stamp``), which database
triggers count up on every insert, update or delete of the tenant's row, stores, zones, plugin settings, surveys,
survey versions and own statements, whoever writes them (``pejling.core.migration_ops.ContentStampTriggers``). Each
request reads the stamp with one query of the tenant's unique slug (the ``tenant`` table is global, so no tenant
scope is needed for it), which concurrent requests of the tenant share when it was sent after they all arrived
(:class:`StampReads`); a stamp this process has not seen for the tenant misses, forgets the tenant's older
entries and its plugins' cached enabled set, and loads the page afresh. A write committed in another process is
seen at the next request here, as the stamp is the database's.

**Without reading the stamp** (:class:`HeardStamps`, on PostgreSQL): the stamp read was most of what a served page
still cost (a pool acquire, the query, asyncpg's reset on release). So each process also listens to the notices a
trigger sends for every new stamp (``pejling.core.migration_ops.ContentStampNotices``, one ``LISTEN`` connection
per process, :mod:`pejling.core.change_notices`). While it is connected, a tenant's stamp read once (after
``LISTEN`` was in effect) is trusted until a notice of a newer one comes: the request makes no query at all, and
the notice drops the tenant's entries, so its next request reads the stamp and loads the page again. The freshness
this trades: a change committed elsewhere is seen here **once its notice has arrived** (it is sent at the commit;
about a round trip to the database later), no longer "no request older than its arrival": a request that comes
between the commit and the notice gets the page as it was. Not connected (SQLite, start-up, PgBouncer without
``PEJLING_DATABASE_NOTICE_URL``, a lost connection: a closed socket at once, a silent one at the next ping, within
ten seconds, :data:`~pejling.core.change_notices.PING_SECONDS`), it trusts nothing and reads per request as above;
every (re)connect and every loss forgets what was trusted, as notices may have been missed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from uuid import UUID

from markupsafe import escape
from starlette.requests import Request
from starlette.responses import Response

from pejling.core.change_notices import CONTENT_STAMP_CHANNEL, change_notices
from pejling.core.surveys.page_copy import MAX_COPIES, PageCopy, page_copies

_STAMP_SQL = "SELECT id, content_stamp FROM tenant WHERE slug = ?"


async def content_stamp(tenant_slug: str) -> tuple[UUID, int] | None:
    """The tenant's id and content stamp, by its slug (one query of the unique index); None for no such tenant.

    The ``tenant`` table is not a tenant table (no row-level security), so this runs in whatever scope the caller
    has, and outside any it costs PostgreSQL no ``set_config`` first."""
    from tortoise import connections

    from pejling.core.database import prepare_sql

    client = connections.get("default")
    query, params = prepare_sql(client, _STAMP_SQL, [tenant_slug])
    rows = await client.execute_query_dict(query, params)
    if not rows:
        return None
    tenant_id = rows[0]["id"]
    return (tenant_id if isinstance(tenant_id, UUID) else UUID(str(tenant_id))), int(rows[0]["content_stamp"])


class StampReads:
    """Concurrent requests of one tenant share a read of its stamp, but only a read **sent after each of them
    arrived**: a request that finds a read already on its way waits for the next one, which starts when that read
    is back and serves every request that came meanwhile. So no request gets a stamp older than its own arrival (a
    change committed before a shopper's request is on that shopper's page), while a busy process sends about one
    read per tenant per round trip instead of one per request. ``reads`` counts the reads sent."""

    def __init__(self) -> None:
        self.reads = 0
        self._waiting: dict[str, asyncio.Future[tuple[UUID, int] | None]] = {}  # the next read, not sent yet
        self._running: set[str] = set()  # slugs with a read on its way

    async def stamp(self, tenant_slug: str) -> tuple[UUID, int] | None:
        """The tenant's id and stamp as the database has them now, or later (None: no such tenant)."""
        future = self._waiting.get(tenant_slug)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._waiting[tenant_slug] = future
            if tenant_slug not in self._running:
                self._send(tenant_slug)
        return await asyncio.shield(future)

    def _send(self, tenant_slug: str) -> None:
        future = self._waiting.pop(tenant_slug)
        self._running.add(tenant_slug)
        self.reads += 1
        asyncio.ensure_future(self._read(tenant_slug, future))

    async def _read(self, tenant_slug: str, future: asyncio.Future[tuple[UUID, int] | None]) -> None:
        try:
            result = await content_stamp(tenant_slug)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:  # noqa: BLE001 - every request waiting for this read gets its error, whatever it is
            if not future.done():
                future.set_exception(exc)
        else:
            if not future.done():
                future.set_result(result)
        finally:
            self._running.discard(tenant_slug)
            if tenant_slug in self._waiting:  # requests came while this read was on its way: their own read now
                self._send(tenant_slug)


class HeardStamps:
    """The tenants' content stamps this process may trust without reading them, while it hears their notices.

    A :class:`~pejling.core.change_notices.Watcher` of :data:`~pejling.core.change_notices.CONTENT_STAMP_CHANNEL`.
    A stamp read from the database (:meth:`learned`) is trusted when the listener was connected before the read was
    sent and has not been lost since (so every later change is told here), and it is not older than a notice already
    heard for the tenant. It stays trusted until a notice of a newer stamp of the tenant comes (:meth:`notice`: the
    next request reads the stamp again) or the listener may have missed notices (:meth:`connected`,
    :meth:`disconnected`: everything is forgotten). Not listening (SQLite, start-up, a lost connection) trusts
    nothing, so every request reads, as before.
    """

    def __init__(self, on_newer: Callable[[UUID], None] | None = None) -> None:
        self.listening = False
        self.epoch = 0  # counts connects and losses: a read trusted only when sent and back in the same epoch
        self._on_newer = on_newer
        self._slugs: dict[str, UUID] = {}  # trusted: slug -> tenant id
        self._trusted: dict[UUID, tuple[str, int]] = {}  # tenant id -> (slug, stamp)
        self._heard: dict[UUID, int] = {}  # the newest stamp heard of each tenant since connecting

    def connected(self) -> None:
        self._forget(listening=True)

    def disconnected(self) -> None:
        self._forget(listening=False)

    def _forget(self, *, listening: bool) -> None:
        self.listening = listening
        self.epoch += 1
        self._slugs.clear()
        self._trusted.clear()
        self._heard.clear()

    def notice(self, payload: str) -> None:
        tenant, _, stamp = payload.partition(":")
        tenant_id, value = UUID(tenant), int(stamp)
        if value <= self._heard.get(tenant_id, -1):
            return
        self._heard[tenant_id] = value
        trusted = self._trusted.get(tenant_id)
        if trusted is not None and trusted[1] < value:
            del self._trusted[tenant_id]
            self._slugs.pop(trusted[0], None)
            if self._on_newer is not None:
                self._on_newer(tenant_id)

    def trusted(self, tenant_slug: str) -> tuple[UUID, int] | None:
        """The tenant's id and stamp without a read, or None: read it (and tell :meth:`learned`)."""
        tenant_id = self._slugs.get(tenant_slug)
        if tenant_id is None:
            return None
        return tenant_id, self._trusted[tenant_id][1]

    def learned(self, tenant_slug: str, found: tuple[UUID, int], epoch: int) -> None:
        """A read of the tenant's stamp, sent after :attr:`epoch` was ``epoch``, came back with ``found``."""
        tenant_id, stamp = found
        if not self.listening or epoch != self.epoch or stamp < self._heard.get(tenant_id, -1):
            return
        previous = self._trusted.get(tenant_id)
        if previous is not None and previous[0] != tenant_slug:
            self._slugs.pop(previous[0], None)
        self._slugs[tenant_slug] = tenant_id
        self._trusted[tenant_id] = (tenant_slug, max(stamp, previous[1] if previous else stamp))


@dataclasses.dataclass(frozen=True)
class _StorePage:
    """A loaded store page (statements as loaded, the shuffled run in a canonical order) and its copy."""

    page: Any
    copy: PageCopy
    ids: tuple[str, ...] = ()  # the statements' ids in the page's order
    shuffled: tuple[int, ...] = ()  # the places of the run every shopper gets in an order of their own

    def shopper_order(self) -> list[str]:
        """The statement ids in a fresh order for one shopper (as ``page_data.shopper_order`` orders statements)."""
        ids = list(self.ids)
        if len(self.shuffled) >= 2:
            run = [ids[index] for index in self.shuffled]
            random.shuffle(run)
            for index, sid in zip(self.shuffled, run, strict=True):
                ids[index] = sid
        return ids


class StorePages:
    """The loaded store pages of this process and their copies, by tenant, content stamp and request (see the module).

    The key is the tenant's id and stamp, the template, the path and query (store, zone, channel, ``lang``, the
    channel's parameters) and the language the request asks for (None: the store's default), so an entry is never
    shared between tenants, and every ``Accept-Language`` header that picks the same language shares one entry.
    """

    def __init__(self, limit: int = MAX_COPIES) -> None:
        self.limit = limit
        self.loads = 0  # pages loaded from the database so far: how the tests see a hit from a miss
        self._pages: OrderedDict[Any, _StorePage] = OrderedDict()
        self._stamps: dict[UUID, int] = {}
        self.reads = StampReads()
        self.heard = HeardStamps(on_newer=self._drop_tenant)

    def clear(self) -> None:
        """Forget every page (the next request of each loads it again)."""
        self._pages.clear()
        self._stamps.clear()

    def __len__(self) -> int:
        return len(self._pages)

    def _drop_tenant(self, tenant_id: UUID) -> None:
        """A notice of a newer stamp of ``tenant_id``: its entries can never be served again."""
        for key in [key for key in self._pages if key[0] == tenant_id]:
            del self._pages[key]

    def _new_stamp(self, tenant_id: UUID, stamp: int, plugins: Any | None) -> None:
        """A stamp of ``tenant_id`` this process has not served: drop its older entries and its cached plugins."""
        for key in [key for key in self._pages if key[0] == tenant_id and key[1] != stamp]:
            del self._pages[key]
        self._stamps[tenant_id] = stamp
        if plugins is not None and hasattr(plugins, "invalidate"):
            plugins.invalidate(tenant_id)  # another process may have changed them: read the set the stamp vouches for

    async def page_for(
        self, request: Request, tenant_slug: str, language: str | None, load: Callable[[], Awaitable[Any]],
        *, template: str = "survey.html", plugins: Any | None = None,
    ) -> tuple[Any, PageCopy, list[str]] | None:
        """The page (its shuffled run in a canonical order), its copy and a fresh order of its statement ids for
        this shopper, loaded with ``load`` only when this process has none for the tenant's current stamp; None for
        an unknown tenant. ``load`` raises what
        :func:`~pejling.core.surveys.page_data.load_survey_page` raises (nothing is kept then)."""
        from pejling.core.surveys.bank import current_bank

        found = self.heard.trusted(tenant_slug)
        if found is None:
            epoch = self.heard.epoch
            found = await self.reads.stamp(tenant_slug)
            if found is None:
                return None
            self.heard.learned(tenant_slug, found, epoch)
        tenant_id, stamp = found
        key = (tenant_id, stamp, template, request.url.path, tuple(request.query_params.multi_items()), language,
               id(current_bank()))
        entry = self._pages.get(key)
        if entry is None:
            if self._stamps.get(tenant_id) != stamp:
                self._new_stamp(tenant_id, stamp, plugins)
            loaded = await load()
            self.loads += 1
            canonical = dataclasses.replace(loaded, statements=_canonical(loaded.statements, loaded.shuffled_ids))
            ids = tuple(statement.id for statement in canonical.statements)
            run = set(canonical.shuffled_ids)
            entry = _StorePage(canonical, page_copies.copy_for(request, canonical, template), ids,
                               tuple(index for index, sid in enumerate(ids) if sid in run))
            self._pages[key] = entry
            while len(self._pages) > self.limit:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(key)
        return entry.page, entry.copy, entry.shopper_order()


def _canonical(statements: Sequence[Any], shuffled_ids: Sequence[str]) -> list[Any]:
    """The loaded statements with the shuffled run put back in the order of its ids (what every shopper reshuffles)."""
    shuffled = set(shuffled_ids)
    positions = [index for index, statement in enumerate(statements) if statement.id in shuffled]
    run = sorted((statements[index] for index in positions), key=lambda statement: statement.id)
    ordered = list(statements)
    for index, statement in zip(positions, run, strict=True):
        ordered[index] = statement
    return ordered


#: This process's loaded store pages.
store_pages = StorePages()
change_notices.watch(CONTENT_STAMP_CHANNEL, store_pages.heard)


def accepts_gzip(request: Request) -> bool:
    """Whether the client takes gzip (the same test as the application's gzip middleware)."""
    return "gzip" in request.headers.get("accept-encoding", "")


def cached_survey(
    request: Request,
    page: Any,
    *,
    response_id: str,
    started_at: str,
    nonce: str,
    template: str = "survey.html",
    copy: PageCopy | None = None,
    order: Sequence[str] | None = None,
) -> Response:
    """The survey page from this process's copy, with this request's response id, start time, nonce and order.

    ``order``: the statement ids in the order this shopper gets (:meth:`StorePages.page_for`); None: the order of
    ``page.statements`` (:func:`~pejling.core.surveys.page_data.load_survey_page` shuffled it). ``copy``: the page's
    copy when the caller has it (:class:`StorePages`), else found or rendered now.
    """
    from pejling.core.surveys.pages import page_headers, page_language

    copy = copy if copy is not None else page_copies.copy_for(request, page, template)
    order = [s.id for s in page.statements] if order is None else order
    texts = {"response_id": response_id, "started_at": started_at, "nonce": nonce, "order": ",".join(order)}
    values = {name: str(escape(text)).encode("utf-8") for name, text in texts.items()}  # as the template escapes
    headers = page_headers(nonce, page_language(page))
    headers["Vary"] = "Accept-Language, Accept-Encoding"
    if accepts_gzip(request):
        headers["Content-Encoding"] = "gzip"
        body = copy.gzipped(values, order)
    else:
        body = copy.plain(values, order)
    return Response(body, headers=headers, media_type="text/html")

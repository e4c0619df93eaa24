"""PostgreSQL's ``NOTIFY``, heard by one ``LISTEN`` connection per process: a change committed anywhere, told here.

A :class:`ChangeNotices` keeps one asyncpg connection of its own (not one of the pool's) that ``LISTEN``\\ s on the
channels its :class:`Watcher`\\ s name, hands every notice's payload to the watchers of its channel, and tells them
when it starts hearing (:meth:`Watcher.connected`, once ``LISTEN`` is in effect) and when it may have stopped
(:meth:`Watcher.disconnected`: the connection closed, a ping failed or the process is stopping). Between the two a
watcher hears every notice committed on its channel, in commit order; outside them it hears nothing, so a watcher
must trust what it learnt from notices only while connected and forget it at both calls (notices may have been
missed in between). A connection lost without a word is found by a ping every :data:`PING_SECONDS`; it is made
again after :data:`RECONNECT_SECONDS`.

Not started on SQLite (no ``NOTIFY``) nor behind PgBouncer in transaction pooling
(``PEJLING_DATABASE_POOLER=pgbouncer``: a ``LISTEN`` would hold a server connection the pooler hands to others,
``docs/deployment.md``) unless ``PEJLING_DATABASE_NOTICE_URL`` names PostgreSQL directly (:func:`notice_url`): its
watchers are then never connected and do what they did without it.

Who writes notices: database triggers (``pejling.core.migration_ops.ContentStampNotices``), so every writer is
heard, whatever it is. The survey page cache watches :data:`CONTENT_STAMP_CHANNEL`
(:mod:`pejling.core.surveys.page_cache`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from typing import Any, Protocol

from pejling.core.settings import Settings

log = logging.getLogger(__name__)

#: The channel the content-stamp triggers notify: payload ``<tenant id>:<stamp>`` (a deleted tenant: its last stamp
#: plus one), or ``sync:<token>`` (:meth:`ChangeNotices.caught_up`).
CONTENT_STAMP_CHANNEL = "pejling_content_stamp"
#: Seconds between two pings of the listening connection (how long a silently lost connection goes unnoticed).
PING_SECONDS = 5.0
#: Seconds a ping or the connecting may take before the connection counts as lost.
TIMEOUT_SECONDS = 5.0
#: The waits between attempts to make the connection again (the last one repeats).
RECONNECT_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)
_SYNC = "sync:"


class Watcher(Protocol):
    """What :class:`ChangeNotices` tells the code that watches a channel (all called in the event loop, quickly)."""

    def connected(self) -> None:
        """``LISTEN`` is in effect: every notice committed from now on reaches :meth:`notice`."""

    def disconnected(self) -> None:
        """Notices may be missed from now on, until the next :meth:`connected`."""

    def notice(self, payload: str) -> None:
        """One notice of the channel, in commit order."""


class ChangeNotices:
    """One process's ``LISTEN`` connection and the watchers of its channels (see the module).

    ``connects`` counts the connections made so far and ``notices`` the notices heard (the tests wait on them)."""

    def __init__(self) -> None:
        self.connects = 0
        self.notices = 0
        self._watchers: dict[str, list[Watcher]] = {}
        self._connection: Any = None
        self._ready = False  # LISTEN in effect on _connection
        self._task: asyncio.Task[None] | None = None
        self._connect: dict[str, Any] | None = None
        self._lost: asyncio.Event | None = None
        self._syncs: dict[str, asyncio.Future[None]] = {}
        self._busy = asyncio.Lock()  # one statement at a time on the connection (the ping, a sync notice)

    @property
    def listening(self) -> bool:
        """Whether notices are heard now (the connection is up and ``LISTEN`` in effect)."""
        return self._ready and self._connection is not None and not self._connection.is_closed()

    def watch(self, channel: str, watcher: Watcher) -> None:
        """Tell ``watcher`` the notices of ``channel`` (from the next connection on; watch before starting)."""
        self._watchers.setdefault(channel, []).append(watcher)

    @contextlib.asynccontextmanager
    async def running(self, settings: Settings) -> AsyncIterator[ChangeNotices]:
        """Listen while the block runs (the application's lifespan); nothing on SQLite or behind PgBouncer."""
        url = notice_url(settings)
        started = self._task is None and url is not None
        if url is not None and started:
            setting = "PEJLING_DATABASE_NOTICE_URL" if settings.database_notice_url else "PEJLING_DATABASE_URL"
            self.start(_connect_arguments(url, setting))
        try:
            yield self
        finally:
            if started:  # another application of this process that started it stops it
                await self.stop()

    def start(self, connect: dict[str, Any] | None = None) -> None:
        """Start listening in a task of its own with asyncpg's ``connect(**connect)`` (None: as the last start did);
        it keeps trying until stopped."""
        self._connect = connect if connect is not None else self._connect
        if self._task is None and self._connect is not None:
            self._task = asyncio.ensure_future(self._listen(self._connect))

    async def stop(self) -> None:
        """Stop listening (the watchers are told :meth:`Watcher.disconnected`)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def caught_up(self, wait_seconds: float = 10.0) -> bool:
        """Wait until every notice committed before this call has been handed to the watchers: a notice of our own,
        sent now on the listening connection, comes after them (PostgreSQL delivers notices in commit order). False
        when not listening, or when it did not come within ``wait_seconds``."""
        if not self.listening:
            return False
        token = secrets.token_hex(8)
        future = asyncio.get_running_loop().create_future()
        self._syncs[token] = future
        try:
            async with self._busy:
                await self._connection.execute(f"SELECT pg_notify('{CONTENT_STAMP_CHANNEL}', '{_SYNC}{token}')")
            await asyncio.wait_for(asyncio.shield(future), wait_seconds)
        except Exception:  # noqa: BLE001 - lost, closed or too slow: not caught up
            return False
        finally:
            self._syncs.pop(token, None)
        return True

    async def _listen(self, connect: dict[str, Any]) -> None:
        import asyncpg

        attempt = 0
        try:
            while True:
                try:
                    await self._connected(await asyncpg.connect(**connect, timeout=TIMEOUT_SECONDS))
                    attempt = 0
                    await self._hold()
                    log.warning("change notices: the connection was closed; listening again")
                except Exception as exc:  # noqa: BLE001 - whatever went wrong, listen again in a moment
                    log.warning("change notices: not listening (%s); trying again", exc)
                finally:
                    await self._closed()
                await asyncio.sleep(RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)])
                attempt += 1
        except asyncio.CancelledError:
            await self._closed()
            raise

    async def _connected(self, connection: Any) -> None:
        self._connection = connection
        self._lost = asyncio.Event()
        lost = self._lost
        connection.add_termination_listener(lambda _connection: lost.set())
        for channel in self._watchers:
            await connection.add_listener(channel, self._heard)  # LISTEN, in effect when it returns
        self.connects += 1
        self._ready = True
        for watchers in self._watchers.values():
            for watcher in watchers:
                watcher.connected()

    async def _hold(self) -> None:
        """Until the connection is lost: ping it every :data:`PING_SECONDS`."""
        assert self._lost is not None
        while not self._lost.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), PING_SECONDS)
                return
            async with self._busy:
                await self._connection.fetchval("SELECT 1", timeout=TIMEOUT_SECONDS)

    async def _closed(self) -> None:
        connection, self._connection, self._ready = self._connection, None, False
        if connection is None:
            return
        for watchers in self._watchers.values():
            for watcher in watchers:
                watcher.disconnected()
        for future in self._syncs.values():
            if not future.done():
                future.set_exception(TimeoutError())
        if not connection.is_closed():
            connection.terminate()  # no goodbye needed: the server drops its LISTEN with the session

    def _heard(self, _connection: Any, _pid: int, channel: str, payload: str) -> None:
        self.notices += 1
        if payload.startswith(_SYNC):
            future = self._syncs.get(payload.removeprefix(_SYNC))
            if future is not None and not future.done():
                future.set_result(None)
            return
        for watcher in self._watchers.get(channel, ()):
            try:
                watcher.notice(payload)
            except Exception:  # one watcher's bug must not stop the others hearing
                log.exception("change notices: the watcher of %s failed on %r", channel, payload)


def notice_url(settings: Settings) -> str | None:
    """The database URL the listener connects to, or None: nothing listens (SQLite; PgBouncer without
    ``database_notice_url``)."""
    if settings.database_notice_url:
        return settings.database_notice_url
    if settings.is_postgres and settings.database_pooler != "pgbouncer":
        return settings.resolved_database_url
    return None


def _connect_arguments(url: str, setting: str = "PEJLING_DATABASE_URL") -> dict[str, Any]:
    """asyncpg ``connect`` arguments for the application's database URL (host, port, user, password, database, ssl);
    the password is read again at each reconnection when the URL came from its secret file."""
    from pejling.core.database import postgres_connection

    credentials = postgres_connection(url, setting=setting)["credentials"]
    keys = ("host", "port", "user", "password", "database", "ssl")
    arguments = {key: credentials[key] for key in keys if credentials.get(key) not in (None, "")}
    arguments["statement_cache_size"] = 0  # it only ever says LISTEN and SELECT 1
    arguments["server_settings"] = {"application_name": "pejling change notices"}
    return arguments


#: This process's listener (started by the application's lifespan, :func:`pejling.core.app.create_app`).
change_notices = ChangeNotices()

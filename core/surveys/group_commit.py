"""Group commit: the submissions this process takes at the same time are written in one transaction.

The first submission opens a batch; others join it for :data:`WINDOW_SECONDS` or until :data:`MAX_BATCH` are
waiting; one transaction then writes them all (:func:`.response_writing.write_responses`: one insert of the
responses, one of their answers, the rollup deltas merged per row) and the tenant's rollup version is raised once.
While a batch is being written the next one gathers, so under load batches grow by themselves and an idle server
adds at most the window to a response. Each shopper is answered only after the batch holding their response
committed: a 2xx still means stored.

When anything stops the batch (an id taken meanwhile, a receipt-code clash, an invitation claimed twice), nothing of
it is stored and each submission is written on its own instead (:func:`.response_writing.write_response`), so the
one at fault gets its own answer and the others are stored as before. When the database is away (restarting,
crashed, unreachable: :func:`pejling.core.database.database_unavailable`) the submissions are answered 503 ``busy``
with ``Retry-After``, never dropped and never answered 2xx: the client sends them again with the same id, and one
whose commit did happen although its answer was lost is then recognised as a resend (``tests/bench/fault_bench.py``
restarts PostgreSQL and kills app processes under load to show that nothing is lost).

A caller already inside a transaction (a test, a job) writes directly: its response must be part of its transaction.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar
from weakref import WeakKeyDictionary

from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient

from pejling.core.database import database_unavailable
from pejling.core.live_feed import announce_response
from pejling.core.surveys.models import Response
from pejling.core.surveys.refusals import IngestRefused
from pejling.core.surveys.response_writing import Submission, write_response, write_responses

log = logging.getLogger(__name__)
_P = ParamSpec("_P")
_T = TypeVar("_T")

WINDOW_SECONDS = 0.002
"""How long the first submission of a batch waits for others to join (when no batch is being written)."""
MAX_BATCH = 64
"""The most submissions one transaction writes."""


@dataclass
class _Waiting:
    submission: Submission
    done: asyncio.Future[Response]


@dataclass
class GroupCommit:
    """The collector of one event loop: queues submissions and writes them batch by batch, one batch at a time."""

    window_seconds: float = WINDOW_SECONDS
    max_batch: int = MAX_BATCH
    batch_sizes: list[int] = field(default_factory=list)
    """The size of every batch written (the last 1 000), for tests and metrics."""
    fallbacks: int = 0
    """How many batches were written one by one after the batch failed."""
    _queue: list[_Waiting] = field(default_factory=list)
    _full: asyncio.Event = field(default_factory=asyncio.Event)
    _writer: asyncio.Task[None] | None = None

    async def store(self, submission: Submission) -> Response:
        """Queue ``submission`` and return its stored response once its batch committed (or raise its refusal)."""
        waiting = _Waiting(submission, asyncio.get_running_loop().create_future())
        self._queue.append(waiting)
        if len(self._queue) >= self.max_batch:
            self._full.set()
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_batches())
        # The batch goes on when this caller is cancelled (the shopper left): the others wait for it.
        return await asyncio.shield(waiting.done)

    async def _write_batches(self) -> None:
        try:
            fresh = True
            while self._queue:
                if fresh and len(self._queue) < self.max_batch:
                    try:
                        await asyncio.wait_for(self._full.wait(), self.window_seconds)
                    except TimeoutError:
                        pass
                fresh = False
                batch, self._queue = self._queue[:self.max_batch], self._queue[self.max_batch:]
                if len(self._queue) < self.max_batch:
                    self._full.clear()
                await self._write(batch)
        finally:
            self._writer = None
            for waiting in self._queue:  # cancelled (shutdown): nobody is left waiting forever
                if not waiting.done.done():
                    waiting.done.set_exception(_busy())
            self._queue = []

    async def _write(self, batch: list[_Waiting]) -> None:
        self.batch_sizes.append(len(batch))
        del self.batch_sizes[:-1000]
        try:
            try:
                responses = await write_responses([w.submission for w in batch])
            except Exception:  # noqa: BLE001 - one submission's fault: write each on its own
                if len(batch) > 1:
                    log.info("a batch of %d responses failed; writing them one by one", len(batch))
                self.fallbacks += 1
                await self._one_by_one(batch)
                return
            for waiting, response in zip(batch, responses, strict=True):
                announce_response(response)  # committed: the live feeds hear of it (in the background)
                if not waiting.done.done():
                    waiting.done.set_result(response)
        finally:
            for waiting in batch:  # cancelled midway (shutdown): nobody is left waiting forever
                if not waiting.done.done():
                    waiting.done.set_exception(_busy())

    @staticmethod
    async def _one_by_one(batch: list[_Waiting]) -> None:
        away = False
        for waiting in batch:
            if away:  # the database is away: the rest are answered "send it again" without trying each
                if not waiting.done.done():
                    waiting.done.set_exception(_busy(retry_after=1))
                continue
            try:
                response = await write_response(waiting.submission)
            except Exception as exc:  # noqa: BLE001 - handed to the one waiting for this submission
                away = database_unavailable(exc)
                if away:
                    log.warning("the database is unavailable; the rest of a batch of %d is answered 503", len(batch))
                if not waiting.done.done():
                    waiting.done.set_exception(_busy(retry_after=1) if away else exc)
            else:
                announce_response(response)
                if not waiting.done.done():
                    waiting.done.set_result(response)


def _busy(retry_after: int | None = None) -> IngestRefused:
    return IngestRefused(503, "busy", "Could not store the response; send it again.", None, retry_after=retry_after)


def busy_while_database_away(
    ingest: Callable[_P, Coroutine[Any, Any, _T]],
) -> Callable[_P, Coroutine[Any, Any, _T]]:
    """Wrap an ingest entry point so that a database that is away (:func:`pejling.core.database.database_unavailable`)
    is answered 503 ``busy`` with ``Retry-After`` (send it again: the response id makes that safe) instead of an
    internal error."""

    @functools.wraps(ingest)
    async def answered(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return await ingest(*args, **kwargs)
        except Exception as exc:
            if database_unavailable(exc):
                raise _busy(retry_after=1) from exc
            raise

    return answered


_collectors: WeakKeyDictionary[asyncio.AbstractEventLoop, GroupCommit] = WeakKeyDictionary()


def collector() -> GroupCommit:
    """The group commit of the running event loop (made at its first submission)."""
    loop = asyncio.get_running_loop()
    found = _collectors.get(loop)
    if found is None:
        found = _collectors[loop] = GroupCommit()
    return found


def in_transaction_now() -> bool:
    """True inside an open transaction of the default connection."""
    return isinstance(connections.get("default"), TransactionalDBClient)


async def store_submission(submission: Submission) -> Response:
    """Store a checked submission: in the next batch of this process, or directly when already in a transaction.

    Raises what :func:`.response_writing.write_response` raises for it (:class:`.response_writing.AlreadyStored`,
    :class:`IngestRefused`).
    """
    if in_transaction_now():
        return await write_response(submission)
    return await collector().store(submission)

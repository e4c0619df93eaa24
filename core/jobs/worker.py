"""The worker: takes due jobs, runs their handlers, records the outcome.

One runs inside the web app by default (:meth:`Worker.running` in the lifespan); ``pejling worker``
runs one on its own (:func:`run_worker_forever`). Any number may share a PostgreSQL database.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import re
import secrets
import signal
import socket
import time
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager, nullcontext
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from tortoise import Tortoise

from pejling.core.jobs import queue
from pejling.core.jobs.claims import claim_due_jobs, reclaim_stale_jobs
from pejling.core.jobs.metrics import JOB_SECONDS, JOBS_DEAD, JOBS_FAILED, JOBS_RECLAIMED, JOBS_SUCCEEDED
from pejling.core.jobs.models import Job, JobStatus
from pejling.core.jobs.registry import HOURLY_JOBS, PermanentJobError, job_kinds, load_job_kinds
from pejling.core.settings import Settings
from pejling.tenants.scope import tenant_scope

if TYPE_CHECKING:
    from pejling.core.loaded_plugins import Plugins

log = logging.getLogger("pejling.jobs")

MAX_ERROR_LENGTH = 2000
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)[^@\s]+@")


def describe_error(exc: BaseException) -> str:
    """The error kept on a job: type and message, passwords in URLs masked, truncated. Never a traceback."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    text = _URL_PASSWORD.sub(r"\1***@", text)
    return text if len(text) <= MAX_ERROR_LENGTH else text[: MAX_ERROR_LENGTH - 1] + "…"


class Worker:
    """Runs queued jobs, up to ``concurrency`` at a time, looking for due work every ``poll_interval`` seconds.

    ``kinds`` limits the worker to some job kinds (default: every kind registered when it claims).
    A running job whose worker has not reported for ``visibility_timeout`` seconds is taken back.
    Failed attempts wait ``backoff_base * 2**(attempts-1)`` seconds (±10 %), at most ``backoff_cap``.
    ``clock`` replaces the current time (tests); it must return timezone-aware datetimes.
    ``housekeeping`` queues an hourly purge of succeeded jobs older than a week (the app and ``pejling worker``).
    ``plugins``: the loaded plugins handed to jobs registered ``needs_plugins`` (the app's own, or what ``pejling
    worker`` loaded); a worker given none loads them once, the first time such a job runs.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        concurrency: int = 4,
        poll_interval: float = 1.0,
        *,
        kinds: Collection[str] | None = None,
        visibility_timeout: float = 600.0,
        backoff_base: float = 5.0,
        backoff_cap: float = 3600.0,
        drain_timeout: float = 30.0,
        clock: Callable[[], datetime] = queue.utcnow,
        name: str | None = None,
        housekeeping: bool = False,
        plugins: Plugins | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if poll_interval <= 0 or visibility_timeout <= 0:
            raise ValueError("poll_interval and visibility_timeout must be positive")
        self.settings = settings
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.kinds = frozenset(kinds) if kinds is not None else None
        self.visibility_timeout = visibility_timeout
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.drain_timeout = drain_timeout
        self.clock = clock
        self.housekeeping = housekeeping
        self.plugins = plugins
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._inflight: dict[asyncio.Task[None], UUID] = {}
        self._wake = asyncio.Event()
        self._stopping = False
        self._forced = asyncio.Event()

    # -- one pass, used by tests and by the loop --------------------------------------------------------

    async def run_once(self) -> int:
        """Take back stale jobs, then claim the due jobs (up to ``concurrency``) and run them to their outcome.

        Returns how many jobs were run.
        """
        await self.reclaim_stale()
        ids = await self._claim(self.concurrency)
        if ids:
            await asyncio.gather(*(self._run(job_id) for job_id in ids))
        return len(ids)

    async def reclaim_stale(self) -> None:
        """Requeue (or bury) jobs left running by a worker that stopped reporting."""
        now = self.clock()
        stale_before = now - timedelta(seconds=self.visibility_timeout)
        requeued, dead = await reclaim_stale_jobs(now=now, stale_before=stale_before)
        if requeued or dead:
            JOBS_RECLAIMED.inc(requeued + dead)
            log.warning("took back %d stale running jobs (%d requeued, %d dead)", requeued + dead, requeued, dead)

    async def _claim(self, limit: int) -> list[UUID]:
        wanted = self.kinds if self.kinds is not None else job_kinds.keys()
        kinds = [kind for kind in wanted if kind in job_kinds]
        return await claim_due_jobs(worker=self.name, now=self.clock(), limit=limit, kinds=kinds)

    async def _run(self, job_id: UUID) -> None:
        job = await Job.get(id=job_id)
        kind = job_kinds[job.kind]
        started = time.perf_counter()
        deadline = asyncio.timeout(kind.timeout_seconds)
        try:
            async with deadline:
                with tenant_scope(job.tenant_id) if job.tenant_id else nullcontext():
                    if kind.needs_plugins:
                        await kind.handler(dict(job.payload), await self.loaded_plugins())
                    else:
                        await kind.handler(dict(job.payload))
        except asyncio.CancelledError:
            await self._release(job)
            raise
        except Exception as exc:  # noqa: BLE001 - any handler failure is recorded on the job
            if isinstance(exc, TimeoutError) and deadline.expired():
                exc = TimeoutError(f"attempt ran longer than {kind.timeout_seconds:g} seconds")
            await self._failed(job, exc)
        else:
            await self._finish(job, status=JobStatus.SUCCEEDED, finished_at=self.clock())
            JOBS_SUCCEEDED.labels(job.kind).inc()
        finally:
            JOB_SECONDS.labels(job.kind).observe(time.perf_counter() - started)

    async def loaded_plugins(self) -> Plugins:
        """The plugins this worker hands to its jobs: the ones it was given, else loaded once for it."""
        if self.plugins is None:
            from pejling.core.plugin_manager import load_plugins
            from pejling.core.settings import get_settings

            self.plugins = await load_plugins(self.settings or get_settings())
        return self.plugins

    async def _failed(self, job: Job, exc: Exception) -> None:
        JOBS_FAILED.labels(job.kind).inc()
        error = describe_error(exc)
        if isinstance(exc, PermanentJobError) or job.attempts >= job.max_attempts:
            log.error("%s failed for good after %d attempts: %s", job, job.attempts, error, exc_info=exc)
            await self._finish(job, status=JobStatus.DEAD, finished_at=self.clock(), last_error=error)
            JOBS_DEAD.labels(job.kind).inc()
            return
        delay = queue.retry_delay(job.attempts, base=self.backoff_base, cap=self.backoff_cap, random=random.random())
        log.warning("%s failed (attempt %d of %d), retrying in %.0f s: %s", job, job.attempts, job.max_attempts,
                    delay, error, exc_info=exc)
        await self._finish(job, status=JobStatus.QUEUED, run_at=self.clock() + timedelta(seconds=delay),
                           last_error=error, locked_by=None, locked_at=None)

    async def _release(self, job: Job) -> None:
        """Put back a job interrupted by shutdown: the attempt does not count."""
        await self._finish(job, status=JobStatus.QUEUED, attempts=max(0, job.attempts - 1), locked_by=None,
                           locked_at=None)
        log.warning("%s interrupted by shutdown, queued again", job)

    async def _finish(self, job: Job, **changes: object) -> None:
        # Only while this worker still holds the job: a job taken back as stale is someone else's now.
        changed = await Job.filter(id=job.id, status=JobStatus.RUNNING, locked_by=self.name).update(**changes)
        if not changed:
            log.warning("%s was taken back from this worker before it finished, outcome not recorded", job)

    async def heartbeat(self) -> None:
        """Tell other workers that the jobs running here are alive."""
        if self._inflight:
            await Job.filter(id__in=list(self._inflight.values()), status=JobStatus.RUNNING,
                             locked_by=self.name).update(locked_at=self.clock())

    # -- the long-running loop ---------------------------------------------------------------------

    async def run_until_stopped(self) -> None:
        """Run jobs as they come due until :meth:`stop`, then let the running ones finish (up to ``drain_timeout``)."""
        events = queue._local_workers
        events.add(self._wake)
        log.info("job worker %s started (concurrency %d)", self.name, self.concurrency)
        last_reclaim = last_heartbeat = last_housekeeping = -float("inf")
        pause = 0.0
        try:
            while not self._stopping:
                if pause:
                    await self._sleep(pause)
                    pause = 0.0
                    continue
                try:
                    now = time.monotonic()
                    if now - last_reclaim >= min(60.0, self.visibility_timeout / 4):
                        await self.reclaim_stale()
                        last_reclaim = now
                    if now - last_heartbeat >= self.visibility_timeout / 4:
                        await self.heartbeat()
                        last_heartbeat = now
                    if self.housekeeping and now - last_housekeeping >= 3600:
                        await self._queue_housekeeping()
                        last_housekeeping = now
                    free = self.concurrency - len(self._inflight)
                    ids = await self._claim(free) if free > 0 else []
                except Exception:  # noqa: BLE001 - a database hiccup must not end the worker
                    log.exception("job worker %s could not reach the queue, trying again", self.name)
                    pause = max(self.poll_interval, 5.0)
                    continue
                for job_id in ids:
                    task = asyncio.create_task(self._run(job_id), name=f"job {job_id}")
                    self._inflight[task] = job_id
                    task.add_done_callback(self._done)
                if free > 0 and len(ids) == free:
                    continue  # more may be due right now
                await self._sleep(self.poll_interval)
        finally:
            events.discard(self._wake)
            await self._drain()
            log.info("job worker %s stopped", self.name)

    async def _queue_housekeeping(self) -> None:
        # One run per hour across every worker: the idempotency key names the hour.
        hour = f"{self.clock():%Y-%m-%dT%H}"
        for kind, payload in HOURLY_JOBS.items():
            if kind in job_kinds:
                await queue.enqueue(kind, payload, priority=-10, idempotency_key=f"{kind}:{hour}")

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.pop(task, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("job task %s crashed", task.get_name(), exc_info=task.exception())
        self._wake.set()

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            pass
        self._wake.clear()

    async def _drain(self) -> None:
        tasks = set(self._inflight)
        if not tasks:
            return
        log.info("job worker %s waiting for %d running jobs", self.name, len(tasks))
        all_done = asyncio.ensure_future(asyncio.wait(tasks))
        forced = asyncio.ensure_future(self._forced.wait())
        try:
            await asyncio.wait({all_done, forced}, timeout=self.drain_timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            all_done.cancel()
            forced.cancel()
        pending = {task for task in tasks if not task.done()}
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    def stop(self) -> None:
        """Stop taking jobs and let the running ones finish; a second call interrupts them (they are queued again)."""
        if self._stopping:
            self._forced.set()
        self._stopping = True
        self._wake.set()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Worker]:
        """Run the worker in the background for the duration of the block (the web app lifespan)."""
        load_job_kinds()
        task = asyncio.create_task(self.run_until_stopped(), name=f"job worker {self.name}")
        try:
            yield self
        finally:
            self.stop()
            await task


async def run_worker_forever(
    settings: Settings, *, concurrency: int = 4, poll_interval: float = 1.0, with_plugins: bool = True
) -> None:
    """``pejling worker``: run a worker on its own until SIGTERM or SIGINT, then finish the running jobs.

    Plugins are loaded as in the web app (unless ``with_plugins`` is false), so the job kinds they
    register are handled here too; the worker hands that one handle to the jobs that call hooks.
    """
    from pejling.core.database import tortoise_config
    from pejling.core.plugin_manager import load_plugins

    worker = Worker(settings, concurrency=concurrency, poll_interval=poll_interval, housekeeping=True)
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
    try:
        if with_plugins:
            worker.plugins = await load_plugins(settings)
    except BaseException:
        await Tortoise.close_connections()
        raise
    kinds = load_job_kinds()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, worker.stop)
    log.info("job worker %s handles %s", worker.name, ", ".join(kinds))
    try:
        await worker.run_until_stopped()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await Tortoise.close_connections()

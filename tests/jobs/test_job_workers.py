"""Workers for real: in the web app's lifespan, as ``pejling worker`` processes, and many at once on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from asgi_lifespan import LifespanManager

from pejling.core.jobs import Job, JobStatus, enqueue, get_job, load_job_kinds, register_job
from pejling.core.jobs.worker import Worker
from pejling.core.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from jobs_worker_process import create_runs_table, runs  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
HELPER = Path(__file__).parent / "jobs_worker_process.py"
T = TypeVar("T")

pytestmark = pytest.mark.usefixtures("database")


async def eventually(check: Callable[[], Awaitable[T]], *, within: float = 30.0) -> T:
    """Poll ``check`` until it returns something truthy; fail after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = await check()
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(0.05)


def worker_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "PEJLING_DATABASE_URL": settings.resolved_database_url,
        "PEJLING_DATABASE_OWNER_URL": settings.database_owner_url,
        "PEJLING_ENVIRONMENT": "test",
        "PEJLING_VAR_DIR": str(settings.var_dir),
        "PEJLING_SECRET_KEY": settings.secret_key.get_secret_value(),
        "PEJLING_LOG_LEVEL": "INFO",
        "PEJLING_LOG_JSON": "false",
        "PEJLING_RUN_WORKER_IN_APP": "false",
    }


@asynccontextmanager
async def worker_processes(
    settings: Settings, tmp_path: Path, command: list[str], count: int = 1
) -> AsyncIterator[list[asyncio.subprocess.Process]]:
    """Start ``count`` worker processes and wait until each is taking jobs (and handling SIGTERM).

    Whatever the test leaves running is killed at the end.
    """
    processes, logs = [], []
    try:
        for index in range(count):
            logs.append(tmp_path / f"worker-{index}.log")
            with logs[-1].open("wb") as log:
                processes.append(await asyncio.create_subprocess_exec(
                    *command, cwd=ROOT, env=worker_env(settings), stdout=log, stderr=log,
                ))

        async def all_started() -> bool:
            assert all(process.returncode is None for process in processes), read_logs(tmp_path)
            return all(" started (concurrency" in read_logs(log) for log in logs)

        await eventually(all_started, within=120)  # imports take seconds on a busy machine
        yield processes
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()


async def stop(process: asyncio.subprocess.Process, tmp_path: Path) -> str:
    """SIGTERM the process, wait for it, and return its log."""
    process.send_signal(signal.SIGTERM)
    await asyncio.wait_for(process.wait(), timeout=30)
    return read_logs(tmp_path)


def read_logs(where: Path) -> str:
    """The text of one log file, or of every worker log in a folder."""
    paths = sorted(where.glob("worker-*.log")) if where.is_dir() else [where]
    return "\n".join(path.read_text() for path in paths)


async def status_of(job: Job) -> JobStatus:
    return (await get_job(job.id)).status


async def test_pejling_worker_runs_a_job_and_stops_cleanly_on_sigterm(database: Settings, tmp_path: Path) -> None:
    load_job_kinds()
    # Jobs earlier tests left queued (a Stripe event whose localstripe is gone, say) are theirs: this worker's log
    # must show its own job only.
    await Job.filter(status=JobStatus.QUEUED).delete()
    job = await enqueue("jobs.purge_succeeded", {"older_than_days": 3650}, priority=100)
    command = [str(ROOT / ".venv/bin/pejling"), "worker", "--concurrency", "2"]
    async with worker_processes(database, tmp_path, command) as (process,):
        await eventually(lambda: _is(job, JobStatus.SUCCEEDED), within=60)
        done = await get_job(job.id)
        assert done.locked_by is not None and f":{process.pid}:" in done.locked_by
        log = await stop(process, tmp_path)
        assert process.returncode == 0, log
        assert "Traceback" not in log


async def _is(job: Job, status: JobStatus) -> bool:
    return await status_of(job) is status


@pytest.mark.postgres_only  # the same code on SQLite, where a worker process start costs seconds of the run
async def test_sigterm_lets_the_running_job_finish(database: Settings, tmp_path: Path) -> None:
    await create_runs_table(database.database_owner_url)
    token = secrets.token_hex(6)
    job = await enqueue("tests.jobs.record", {"token": token, "n": 1, "sleep": 1.0}, priority=100)
    command = [sys.executable, str(HELPER), "--concurrency", "1", "--poll", "0.1"]
    async with worker_processes(database, tmp_path, command) as (process,):
        await eventually(lambda: _is(job, JobStatus.RUNNING), within=60)
        log = await stop(process, tmp_path)
        assert process.returncode == 0, log
    assert await status_of(job) is JobStatus.SUCCEEDED
    assert await runs(token) == [(1, process.pid)]


async def test_in_app_worker_runs_jobs_and_drains_on_shutdown(database: Settings) -> None:
    from pejling.core.app import create_app

    kind = f"tests.jobs.app{secrets.token_hex(4)}"
    started, finished = asyncio.Event(), []

    @register_job(kind)
    async def slow(payload: dict[str, Any]) -> None:
        started.set()
        await asyncio.sleep(payload["sleep"])
        finished.append(payload["n"])

    app = create_app(database.model_copy(update={"run_worker_in_app": True}), manage_database=False)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60):
        assert isinstance(app.state.job_worker, Worker)
        quick = await enqueue(kind, {"n": 1, "sleep": 0})
        await eventually(lambda: _is(quick, JobStatus.SUCCEEDED), within=60)
        started.clear()
        slow_job = await enqueue(kind, {"n": 2, "sleep": 0.5})
        await asyncio.wait_for(started.wait(), timeout=30)
    assert finished == [1, 2], "shutdown waited for the running job"
    assert await status_of(slow_job) is JobStatus.SUCCEEDED


@pytest.mark.postgres_only
async def test_worker_processes_share_the_queue_without_running_a_job_twice(
    database: Settings, tmp_path: Path
) -> None:
    await create_runs_table(database.database_owner_url)
    token, count = secrets.token_hex(6), 60
    command = [sys.executable, str(HELPER), "--concurrency", "3", "--poll", "0.05"]
    async with worker_processes(database, tmp_path, command, count=2) as processes:
        jobs = [await enqueue("tests.jobs.record", {"token": token, "n": n, "sleep": 0.02}) for n in range(count)]
        ids = [job.id for job in jobs]

        async def all_succeeded() -> bool:
            return await Job.filter(id__in=ids, status=JobStatus.SUCCEEDED).count() == count

        await eventually(all_succeeded, within=60)
        for process in processes:
            log = await stop(process, tmp_path)
            assert process.returncode == 0, log
    recorded = await runs(token)
    assert sorted(n for n, _ in recorded) == list(range(count)), "every job ran exactly once"
    assert len({pid for _, pid in recorded}) >= 2, "the work was shared between processes"
    assert {job.attempts for job in await Job.filter(id__in=ids)} == {1}


@pytest.mark.postgres_only
async def test_concurrent_claimers_on_separate_connections_never_take_the_same_job() -> None:
    kind, count = f"tests.jobs.race{secrets.token_hex(4)}", 80
    runs_by_n: dict[int, int] = {}

    @register_job(kind)
    async def handler(payload: dict[str, Any]) -> None:
        await asyncio.sleep(0.005)
        runs_by_n[payload["n"]] = runs_by_n.get(payload["n"], 0) + 1

    for n in range(count):
        await enqueue(kind, {"n": n})
    workers = [Worker(kinds=[kind], concurrency=3) for _ in range(4)]

    async def drain(worker: Worker) -> int:
        total = 0
        while ran := await worker.run_once():
            total += ran
        return total

    totals = await asyncio.gather(*(drain(worker) for worker in workers))
    assert sum(totals) == count and runs_by_n == {n: 1 for n in range(count)}
    assert sum(1 for total in totals if total) >= 2


async def test_job_still_running_after_the_drain_timeout_is_queued_again_without_using_an_attempt() -> None:
    kind = f"tests.jobs.stuck{secrets.token_hex(4)}"
    started = asyncio.Event()

    @register_job(kind)
    async def stuck(payload: dict[str, Any]) -> None:
        started.set()
        await asyncio.sleep(3600)

    job = await enqueue(kind, {})
    worker = Worker(kinds=[kind], drain_timeout=0.2, poll_interval=0.05)
    try:
        async with worker.running():
            await asyncio.wait_for(started.wait(), timeout=30)
            assert await status_of(job) is JobStatus.RUNNING
        again = await get_job(job.id)
        assert again.status is JobStatus.QUEUED and again.attempts == 0 and again.locked_by is None
        assert again.last_error is None
    finally:
        await Job.filter(id=job.id).delete()  # no later worker in this run may pick up an hour-long job


async def test_second_stop_interrupts_the_running_jobs_at_once() -> None:
    kind = f"tests.jobs.stuck{secrets.token_hex(4)}"
    started = asyncio.Event()

    @register_job(kind)
    async def stuck(payload: dict[str, Any]) -> None:
        started.set()
        await asyncio.sleep(3600)

    job = await enqueue(kind, {})
    worker = Worker(kinds=[kind], drain_timeout=3600, poll_interval=0.05)
    loop = asyncio.create_task(worker.run_until_stopped())
    try:
        await asyncio.wait_for(started.wait(), timeout=30)
        worker.stop()
        await asyncio.sleep(0.1)
        assert not loop.done(), "the first stop waits for the running job"
        worker.stop()
        await asyncio.wait_for(loop, timeout=30)
        assert (await get_job(job.id)).status is JobStatus.QUEUED
    finally:
        await Job.filter(id=job.id).delete()  # no later worker in this run may pick up an hour-long job


def test_worker_command_refuses_a_concurrency_below_one(database: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from pejling.core.cli import cmd_worker

    assert cmd_worker(database, argparse.Namespace(concurrency=0)) == 2
    assert "--concurrency must be at least 1" in capsys.readouterr().err

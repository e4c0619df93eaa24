"""The job queue in one process: enqueue, run, retry with back-off, dead letters, idempotency, stale jobs."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from prometheus_client import REGISTRY
from tortoise import Tortoise, connections

from pejling.core.database import tortoise_config
from pejling.core.jobs import (
    Job,
    JobNotFound,
    JobStatus,
    PermanentJobError,
    enqueue,
    enqueue_each,
    get_job,
    list_jobs,
    register_job,
    retry_dead,
)
from pejling.core.jobs.claims import claim_due_jobs
from pejling.core.jobs.queue import retry_delay, utcnow
from pejling.core.jobs.worker import Worker, describe_error
from pejling.core.settings import Settings
from pejling.tenants.scope import current_tenant_id_or_none

pytestmark = pytest.mark.usefixtures("database")


class Clock:
    """A hand-moved clock, so back-off can be checked without waiting for it."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


def new_kind() -> str:
    return f"tests.jobs.k{secrets.token_hex(4)}"


def worker_for(kind: str, clock: Callable[[], datetime] | None = None, **options: Any) -> Worker:
    return Worker(kinds=[kind], clock=clock or utcnow, **options)


def counter(name: str, kind: str) -> float:
    return REGISTRY.get_sample_value(name, {"kind": kind}) or 0.0


async def test_enqueued_job_runs_once_in_its_tenant_scope() -> None:
    kind, seen = new_kind(), []

    @register_job(kind)
    async def handler(payload: dict[str, Any]) -> None:
        seen.append((payload, current_tenant_id_or_none()))

    tenant_id = uuid4()
    job = await enqueue(kind, {"to": "anna@example.com", "n": 3}, tenant_id=tenant_id)
    assert job.status is JobStatus.QUEUED and job.attempts == 0

    assert await worker_for(kind).run_once() == 1
    assert seen == [({"to": "anna@example.com", "n": 3}, tenant_id)]
    done = await get_job(job.id)
    assert done.status is JobStatus.SUCCEEDED and done.attempts == 1
    assert done.finished_at is not None and done.last_error is None
    assert await worker_for(kind).run_once() == 0, "a succeeded job never runs again"
    assert counter("pejling_jobs_succeeded_total", kind) == 1


async def test_job_without_tenant_runs_outside_any_scope() -> None:
    kind, seen = new_kind(), []

    @register_job(kind)
    async def handler(payload: dict[str, Any]) -> None:
        seen.append(current_tenant_id_or_none())

    await enqueue(kind, {})
    assert await worker_for(kind).run_once() == 1
    assert seen == [None]


async def test_failed_attempts_back_off_exponentially_then_succeed() -> None:
    kind, calls = new_kind(), []

    @register_job(kind)
    async def flaky(payload: dict[str, Any]) -> None:
        calls.append(payload["n"])
        if len(calls) < 3:
            raise RuntimeError(f"mail server said no ({len(calls)})")

    clock = Clock()
    worker = worker_for(kind, clock, backoff_base=5.0)
    job = await enqueue(kind, {"n": 1}, run_at=clock.now)

    for attempt, expected_delay in ((1, 5.0), (2, 10.0)):
        assert await worker.run_once() == 1
        failed = await get_job(job.id)
        assert failed.status is JobStatus.QUEUED and failed.attempts == attempt
        assert failed.last_error == f"RuntimeError: mail server said no ({attempt})"
        assert failed.locked_by is None
        delay = (failed.run_at - clock.now).total_seconds()
        assert expected_delay * 0.9 - 0.01 <= delay <= expected_delay * 1.1 + 0.01
        assert await worker.run_once() == 0, "not due before its back-off has passed"
        clock.now = failed.run_at

    assert await worker.run_once() == 1
    done = await get_job(job.id)
    assert done.status is JobStatus.SUCCEEDED and done.attempts == 3 and calls == [1, 1, 1]
    assert counter("pejling_jobs_failed_total", kind) == 2


def test_retry_delay_doubles_and_is_capped() -> None:
    assert [retry_delay(n, base=5, jitter=0) for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert retry_delay(30, base=5, cap=3600, jitter=0) == 3600
    assert retry_delay(10_000, base=5, cap=3600, jitter=0) == 3600
    assert retry_delay(1, base=10, jitter=0.1, random=0.0) == pytest.approx(9.0)
    assert retry_delay(1, base=10, jitter=0.1, random=0.999999) == pytest.approx(11.0, abs=1e-4)


async def test_job_goes_dead_after_max_attempts_with_its_last_error() -> None:
    kind = new_kind()
    attempts = []

    @register_job(kind)
    async def broken(payload: dict[str, Any]) -> None:
        attempts.append(1)
        if payload.get("fixed") is not True or len(attempts) < 3:
            raise ValueError(f"cannot reach postgres://pejling:hunter2@db.internal/prod (try {len(attempts)})")

    clock = Clock()
    worker = worker_for(kind, clock)
    job = await enqueue(kind, {"fixed": True}, max_attempts=2, run_at=clock.now)
    assert await worker.run_once() == 1
    clock.now = (await get_job(job.id)).run_at
    assert await worker.run_once() == 1

    dead = await get_job(job.id)
    assert dead.status is JobStatus.DEAD and dead.attempts == 2 and dead.finished_at is not None
    assert dead.last_error is not None and dead.last_error.startswith("ValueError: cannot reach postgres://pejling:***@")
    assert "hunter2" not in dead.last_error and "(try 2)" in dead.last_error
    assert await worker.run_once() == 0, "dead jobs are never taken"
    assert [j.id for j in await list_jobs(status="dead", kind=kind)] == [job.id]
    assert await list_jobs(status=JobStatus.QUEUED, kind=kind) == []
    assert counter("pejling_jobs_dead_total", kind) == 1

    retried = await retry_dead(job.id, now=clock.now)
    assert retried.status is JobStatus.QUEUED and retried.attempts == 0 and retried.finished_at is None
    assert retried.last_error == dead.last_error, "the old error stays visible until the next run"
    with pytest.raises(ValueError, match="only dead jobs"):
        await retry_dead(job.id)
    assert await worker.run_once() == 1
    assert (await get_job(job.id)).status is JobStatus.SUCCEEDED


async def test_permanent_error_buries_the_job_at_once() -> None:
    kind = new_kind()

    @register_job(kind)
    async def refuses(payload: dict[str, Any]) -> None:
        raise PermanentJobError("the survey was deleted")

    job = await enqueue(kind, {})
    assert await worker_for(kind).run_once() == 1
    dead = await get_job(job.id)
    assert dead.status is JobStatus.DEAD and dead.attempts == 1
    assert dead.last_error == "PermanentJobError: the survey was deleted"


async def test_attempt_longer_than_its_timeout_fails() -> None:
    import asyncio

    kind = new_kind()

    @register_job(kind, timeout_seconds=0.05)
    async def hangs(payload: dict[str, Any]) -> None:
        await asyncio.sleep(30)

    job = await enqueue(kind, {}, max_attempts=1)
    assert await worker_for(kind).run_once() == 1
    dead = await get_job(job.id)
    assert dead.status is JobStatus.DEAD
    assert dead.last_error == "TimeoutError: attempt ran longer than 0.05 seconds"


async def test_idempotency_key_queues_a_job_only_once() -> None:
    kind, other = new_kind(), new_kind()

    @register_job(kind)
    @register_job(other)
    async def handler(payload: dict[str, Any]) -> None:
        pass

    key = f"export-{secrets.token_hex(4)}"
    first = await enqueue(kind, {"n": 1}, idempotency_key=key)
    second = await enqueue(kind, {"n": 2}, idempotency_key=key)
    assert second.id == first.id and second.payload == {"n": 1}
    assert len(await list_jobs(kind=kind)) == 1
    with pytest.raises(ValueError, match="already used"):
        await enqueue(other, {}, idempotency_key=key)
    assert await list_jobs(kind=other) == []
    assert await worker_for(kind).run_once() == 1
    again = await enqueue(kind, {"n": 3}, idempotency_key=key)
    assert again.id == first.id and again.status is JobStatus.SUCCEEDED, "a finished job still holds its key"


async def test_several_jobs_are_queued_at_once_each_key_only_once() -> None:
    kind, other = new_kind(), new_kind()

    @register_job(kind)
    @register_job(other)
    async def handler(payload: dict[str, Any]) -> None:
        pass

    keys = [f"each-{secrets.token_hex(4)}" for _ in range(4)]
    first = await enqueue(kind, {"n": 0}, idempotency_key=keys[0])
    await enqueue_each(kind, [{"n": n} for n in range(4)], tenant_id=None, idempotency_keys=keys)
    queued = {job.idempotency_key: job for job in await list_jobs(kind=kind)}
    assert set(queued) == set(keys) and queued[keys[0]].id == first.id
    assert [queued[key].payload for key in keys] == [{"n": n} for n in range(4)]
    await enqueue_each(kind, [{"n": 9}] * 4, tenant_id=None, idempotency_keys=keys)  # all known: nothing new
    assert len(await list_jobs(kind=kind)) == 4
    with pytest.raises(ValueError, match="already used"):
        await enqueue_each(other, [{}, {}], tenant_id=None, idempotency_keys=[f"new-{secrets.token_hex(4)}", keys[1]])
    with pytest.raises(ValueError, match="one idempotency key per payload"):
        await enqueue_each(other, [{}], tenant_id=None, idempotency_keys=[])
    assert await list_jobs(kind=other) == []


async def test_bad_input_is_refused_and_queues_nothing() -> None:
    kind = new_kind()

    @register_job(kind)
    async def handler(payload: dict[str, Any]) -> None:
        pass

    unknown = new_kind()
    with pytest.raises(ValueError, match="unknown job kind"):
        await enqueue(unknown, {})
    assert await Job.filter(kind=unknown).count() == 0
    too_big = {"rows": ["x" * 1000] * 70}
    for payload in ({"when": datetime.now()}, {"ids": {1, 2}}, {"x": float("nan")}, ["not", "a", "dict"], too_big):
        with pytest.raises(ValueError, match="payload"):
            await enqueue(kind, payload)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timezone-aware"):
        await enqueue(kind, {}, run_at=datetime(2030, 1, 1))
    with pytest.raises(ValueError, match="max_attempts"):
        await enqueue(kind, {}, max_attempts=0)
    with pytest.raises(ValueError, match="priority"):
        await enqueue(kind, {}, priority=10_000)
    with pytest.raises(ValueError, match="idempotency_key"):
        await enqueue(kind, {}, idempotency_key="")
    assert await Job.filter(kind=kind).count() == 0

    with pytest.raises(ValueError, match="dotted lower-case"):
        register_job("Send Mail!")
    with pytest.raises(ValueError, match="already handled"):

        @register_job(kind)
        async def other_handler(payload: dict[str, Any]) -> None:
            pass

    with pytest.raises(JobNotFound):
        await retry_dead(uuid4())
    with pytest.raises(JobNotFound):
        await get_job("not-a-uuid")


async def test_higher_priority_and_earlier_jobs_run_first() -> None:
    kind, order = new_kind(), []

    @register_job(kind)
    async def handler(payload: dict[str, Any]) -> None:
        order.append(payload["name"])

    clock = Clock()
    await enqueue(kind, {"name": "late"}, run_at=clock.now - timedelta(seconds=1))
    await enqueue(kind, {"name": "early"}, run_at=clock.now - timedelta(seconds=2))
    await enqueue(kind, {"name": "urgent"}, run_at=clock.now, priority=5)
    await enqueue(kind, {"name": "future"}, run_at=clock.now + timedelta(hours=1))
    worker = worker_for(kind, clock, concurrency=1)
    while await worker.run_once():
        pass
    assert order == ["urgent", "early", "late"]


async def test_job_left_running_by_a_vanished_worker_is_taken_back() -> None:
    kind, runs = new_kind(), []

    @register_job(kind)
    async def handler(payload: dict[str, Any]) -> None:
        runs.append(payload["n"])

    clock = Clock()
    job = await enqueue(kind, {"n": 1}, run_at=clock.now)
    last_chance = await enqueue(kind, {"n": 2}, run_at=clock.now, max_attempts=1)
    # A worker takes both and dies without recording anything.
    taken = await claim_due_jobs(worker="crashed-worker", now=clock.now, limit=10, kinds=[kind])
    assert set(taken) == {job.id, last_chance.id}

    worker = worker_for(kind, clock, visibility_timeout=600)
    clock.now += timedelta(seconds=599)
    assert await worker.run_once() == 0, "a running job is left alone while its worker may be alive"
    clock.now += timedelta(seconds=2)
    assert await worker.run_once() == 1
    assert runs == [1]
    done = await get_job(job.id)
    assert done.status is JobStatus.SUCCEEDED and done.attempts == 2 and done.locked_by == worker.name
    buried = await get_job(last_chance.id)
    assert buried.status is JobStatus.DEAD and buried.last_error == "the worker running this job stopped responding"


async def test_late_outcome_of_a_taken_back_job_is_not_recorded() -> None:
    kind = new_kind()

    @register_job(kind)
    async def handler(payload: dict[str, Any]) -> None:
        # While this runs, another worker has taken the job back and now holds it.
        await Job.filter(id=UUID(payload["id"])).update(locked_by="another-worker")

    clock = Clock()
    job = await enqueue(kind, {}, run_at=clock.now)
    await Job.filter(id=job.id).update(payload={"id": str(job.id)})
    assert await worker_for(kind, clock).run_once() == 1
    still = await get_job(job.id)
    assert still.status is JobStatus.RUNNING and still.locked_by == "another-worker"


async def test_queued_job_survives_closed_connections(database: Settings) -> None:
    kind, runs = new_kind(), []

    @register_job(kind)
    async def handler(payload: dict[str, Any]) -> None:
        runs.append(payload["n"])

    job = await enqueue(kind, {"n": 7})
    await Tortoise.close_connections()
    await Tortoise.init(config=tortoise_config(database), _enable_global_fallback=True)
    assert connections.get("default") is not None
    assert await worker_for(kind).run_once() == 1
    assert runs == [7] and (await get_job(job.id)).status is JobStatus.SUCCEEDED


def test_error_description_hides_passwords_and_is_short() -> None:
    text = describe_error(RuntimeError("smtp://mailer:s3cret@smtp.example.com:587 refused " + "x" * 5000))
    assert "s3cret" not in text and text.startswith("RuntimeError: smtp://mailer:***@smtp.example.com")
    assert len(text) == 2000
    assert describe_error(TimeoutError()) == "TimeoutError"


async def test_a_claim_takes_at_most_its_limit_and_only_due_jobs_of_its_kinds() -> None:
    kind, other = new_kind(), new_kind()

    @register_job(kind)
    @register_job(other)
    async def handler(payload: dict[str, Any]) -> None:
        pass

    clock = Clock()
    due = [await enqueue(kind, {"n": n}, run_at=clock.now) for n in range(5)]
    await enqueue(kind, {"n": 9}, run_at=clock.now + timedelta(minutes=1))
    await enqueue(other, {"n": 10}, run_at=clock.now)
    first = await claim_due_jobs(worker="w1", now=clock.now, limit=2, kinds=[kind])
    second = await claim_due_jobs(worker="w2", now=clock.now, limit=10, kinds=[kind])
    assert len(first) == 2 and len(second) == 3
    assert set(first) | set(second) == {job.id for job in due}
    taken = await Job.filter(id__in=first)
    assert {(job.status, job.locked_by, job.attempts) for job in taken} == {(JobStatus.RUNNING, "w1", 1)}


async def test_job_queued_in_a_transaction_exists_only_if_it_commits() -> None:
    from tortoise.transactions import in_transaction

    kind = new_kind()

    @register_job(kind)
    async def handler(payload: dict[str, Any]) -> None:
        pass

    with pytest.raises(RuntimeError, match="survey save failed"):
        async with in_transaction():
            await enqueue(kind, {"n": 1})
            raise RuntimeError("survey save failed")
    assert await Job.filter(kind=kind).count() == 0
    async with in_transaction():
        kept = await enqueue(kind, {"n": 2})
    assert [job.id for job in await list_jobs(kind=kind)] == [kept.id]


async def test_handler_own_timeout_error_is_kept_as_raised() -> None:
    kind = new_kind()

    @register_job(kind)
    async def calls_out(payload: dict[str, Any]) -> None:
        raise TimeoutError("webhook endpoint did not answer")

    job = await enqueue(kind, {}, max_attempts=1)
    assert await worker_for(kind).run_once() == 1
    assert (await get_job(job.id)).last_error == "TimeoutError: webhook endpoint did not answer"

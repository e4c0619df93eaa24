"""Adding work to the queue and looking at it: enqueue (one job or several at once), list, retry dead jobs."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from pejling.core.jobs.metrics import JOBS_ENQUEUED
from pejling.core.jobs.models import Job, JobStatus
from pejling.core.jobs.registry import get_job_kind

#: Largest payload accepted, as JSON. Pass ids, not documents: the handler loads what it needs.
MAX_PAYLOAD_BYTES = 64 * 1024

#: Wake-up events of the workers running in this process, so fresh work starts without waiting a poll.
_local_workers: set[asyncio.Event] = set()


class JobNotFound(LookupError):
    """No job has the given id."""


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (the clock every job timestamp uses)."""
    return datetime.now(UTC)


def _json_payload(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise ValueError(f"a job payload must be a dict, not {type(payload).__name__}")
    try:
        encoded = json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"a job payload must be JSON-serialisable: {exc}") from None
    if len(encoded.encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"a job payload must be at most {MAX_PAYLOAD_BYTES} bytes as JSON")
    decoded: dict[str, Any] = json.loads(encoded)
    return decoded


async def enqueue(
    kind: str,
    payload: dict[str, Any],
    *,
    tenant_id: UUID | str | None = None,
    run_at: datetime | None = None,
    max_attempts: int = 8,
    idempotency_key: str | None = None,
    priority: int = 0,
) -> Job:
    """Queue a job of a registered ``kind``; a worker will run its handler with ``payload``.

    ``tenant_id`` runs the handler inside that tenant's scope. ``run_at`` (timezone-aware) delays
    the first attempt. When a job with the same ``idempotency_key`` already exists, that job is
    returned and nothing new is queued. Called inside a transaction, the job is queued only if the
    transaction commits. Bad arguments raise ``ValueError`` and queue nothing.
    """
    get_job_kind(kind)
    data = _json_payload(payload)
    if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or not 1 <= max_attempts <= 100:
        raise ValueError("max_attempts must be a whole number from 1 to 100")
    if isinstance(priority, bool) or not isinstance(priority, int) or not -1000 <= priority <= 1000:
        raise ValueError("priority must be a whole number from -1000 to 1000")
    if run_at is not None and (run_at.tzinfo is None or run_at.utcoffset() is None):
        raise ValueError("run_at must be timezone-aware")
    tenant = None if tenant_id is None else (tenant_id if isinstance(tenant_id, UUID) else UUID(str(tenant_id)))
    if idempotency_key is not None:
        if not idempotency_key or len(idempotency_key) > 200:
            raise ValueError("idempotency_key must be 1 to 200 characters")
        existing = await Job.get_or_none(idempotency_key=idempotency_key)
        if existing is not None:
            return _same_kind(existing, kind)
    try:
        job = await Job.create(
            kind=kind, payload=data, tenant_id=tenant, run_at=(run_at or utcnow()).astimezone(UTC),
            max_attempts=max_attempts, idempotency_key=idempotency_key, priority=priority,
        )
    except IntegrityError:
        if idempotency_key is None:
            raise
        # Another process queued the same key between our look-up and our insert.
        return _same_kind(await Job.get(idempotency_key=idempotency_key), kind)
    JOBS_ENQUEUED.labels(kind).inc()
    for event in _local_workers:
        event.set()
    return job


async def enqueue_each(kind: str, payloads: Sequence[dict[str, Any]], *, tenant_id: UUID | str | None,
                       idempotency_keys: Sequence[str]) -> None:
    """:func:`enqueue` for several jobs of one kind and tenant, each with its own idempotency key, due now.

    The keys are looked up in one query and the jobs not queued yet inserted in one statement; when that insert
    clashes with a job queued meanwhile, each is queued on its own with :func:`enqueue` instead. Bad arguments (a key
    used by a job of another kind too) raise ``ValueError`` and queue nothing.
    """
    if len(payloads) != len(idempotency_keys):
        raise ValueError("give one idempotency key per payload")
    get_job_kind(kind)
    data = [_json_payload(payload) for payload in payloads]
    if any(not key or len(key) > 200 for key in idempotency_keys):
        raise ValueError("idempotency_key must be 1 to 200 characters")
    if not data:
        return
    tenant = None if tenant_id is None else (tenant_id if isinstance(tenant_id, UUID) else UUID(str(tenant_id)))
    known = dict(await Job.filter(idempotency_key__in=list(idempotency_keys)).values_list("idempotency_key", "kind"))
    for other in known.values():
        if other != kind:
            raise ValueError(f"idempotency key already used by a {other!r} job")
    now = utcnow()
    fresh = {key: Job(kind=kind, payload=payload, tenant_id=tenant, run_at=now, idempotency_key=key)
             for payload, key in zip(data, idempotency_keys, strict=True) if key not in known}
    if not fresh:
        return
    try:
        async with in_transaction():  # a savepoint inside the caller's transaction: a clash leaves it usable
            await Job.bulk_create(list(fresh.values()))
    except IntegrityError:
        for job in fresh.values():
            await enqueue(kind, job.payload, tenant_id=tenant, idempotency_key=job.idempotency_key)
        return
    JOBS_ENQUEUED.labels(kind).inc(len(fresh))
    for event in _local_workers:
        event.set()


def _same_kind(job: Job, kind: str) -> Job:
    if job.kind != kind:
        raise ValueError(f"idempotency key already used by a {job.kind!r} job")
    return job


async def get_job(job_id: UUID | str) -> Job:
    """The job with this id; :class:`JobNotFound` when there is none."""
    job = await Job.get_or_none(id=_uuid(job_id))
    if job is None:
        raise JobNotFound(f"no job {job_id}")
    return job


def _uuid(value: UUID | str) -> UUID:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError:
        raise JobNotFound(f"no job {value}") from None


async def list_jobs(
    *,
    status: JobStatus | str | None = None,
    kind: str | None = None,
    tenant_id: UUID | str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Job]:
    """Jobs for the operators' view, newest first, optionally filtered by status, kind and tenant."""
    if not 1 <= limit <= 1000 or offset < 0:
        raise ValueError("limit must be 1 to 1000 and offset not negative")
    query = Job.all()
    if status is not None:
        query = query.filter(status=JobStatus(status))
    if kind is not None:
        query = query.filter(kind=kind)
    if tenant_id is not None:
        query = query.filter(tenant_id=tenant_id if isinstance(tenant_id, UUID) else UUID(str(tenant_id)))
    return await query.order_by("-created_at", "-id").offset(offset).limit(limit)


async def retry_dead(job_id: UUID | str, *, now: datetime | None = None) -> Job:
    """Give a dead job a fresh set of attempts, due now. The previous error stays visible until the next run.

    Raises :class:`JobNotFound` for an unknown id and ``ValueError`` when the job is not dead.
    """
    job = await get_job(job_id)
    changed = await Job.filter(id=job.id, status=JobStatus.DEAD).update(
        status=JobStatus.QUEUED, attempts=0, run_at=now or utcnow(), finished_at=None, locked_by=None, locked_at=None,
    )
    if not changed:
        raise ValueError(f"only dead jobs can be retried, this one is {job.status.value}")
    for event in _local_workers:
        event.set()
    return await get_job(job.id)


def retry_delay(attempts: int, *, base: float = 5.0, cap: float = 3600.0, jitter: float = 0.1,
                random: float = 0.5) -> float:
    """Seconds to wait before the next attempt after ``attempts`` failed ones: ``base * 2**(attempts-1)``, capped.

    ``random`` in [0, 1) spreads the delay by ±``jitter`` (a fraction) so failing jobs do not retry in lockstep.
    """
    exponent = max(0, attempts - 1)
    delay = cap if exponent > 60 else min(cap, base * math.pow(2, exponent))
    return max(0.0, delay * (1 + jitter * (2 * random - 1)))

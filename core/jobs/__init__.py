"""The durable job queue for outbound work.

Jobs are rows in the ``job`` table: they survive restarts, retry with exponential back-off and end
either ``succeeded`` or ``dead`` with the last error kept for inspection. See ``docs/jobs.md``.

Register a handler with :func:`register_job`, add work with :func:`enqueue`, run it with a
:class:`~pejling.core.jobs.worker.Worker` (inside the web app by default, or ``pejling worker``).
"""

from __future__ import annotations

from pejling.core.jobs.models import Job, JobStatus
from pejling.core.jobs.queue import JobNotFound, enqueue, enqueue_each, get_job, list_jobs, retry_dead
from pejling.core.jobs.registry import JobKind, PermanentJobError, job_kinds, load_job_kinds, register_job

__all__ = [
    "Job",
    "JobKind",
    "JobNotFound",
    "JobStatus",
    "PermanentJobError",
    "enqueue",
    "enqueue_each",
    "get_job",
    "job_kinds",
    "list_jobs",
    "load_job_kinds",
    "register_job",
    "retry_dead",
]

"""Prometheus counters of the job queue, served with the other metrics at ``/metrics``."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

JOBS_ENQUEUED = Counter("pejling_jobs_enqueued_total", "Jobs queued", ["kind"])
JOBS_SUCCEEDED = Counter("pejling_jobs_succeeded_total", "Job attempts that succeeded", ["kind"])
JOBS_FAILED = Counter("pejling_jobs_failed_total", "Job attempts that failed (retried or dead)", ["kind"])
JOBS_DEAD = Counter("pejling_jobs_dead_total", "Jobs that ran out of attempts", ["kind"])
JOBS_RECLAIMED = Counter("pejling_jobs_reclaimed_total", "Running jobs taken back from a vanished worker")
JOB_SECONDS = Histogram("pejling_job_seconds", "Duration of one job attempt", ["kind"])

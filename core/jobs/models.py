"""The job table: outbound work (emails, webhooks, exports, re-scoring) that survives restarts."""

from __future__ import annotations

import enum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class JobStatus(enum.StrEnum):
    """Where a job is in its life: queued, running, succeeded or dead (gave up, see last_error)."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    DEAD = "dead"


class Job(Model):
    """One unit of outbound work. A system row read across tenants by the worker, never tenant-scoped itself."""

    id = fields.UUIDField(primary_key=True)
    kind = fields.CharField(max_length=100, description="Registered job kind naming the handler")
    payload: dict = fields.JSONField(default=dict)
    tenant_id = fields.UUIDField(null=True, db_index=True, description="Tenant whose scope the handler runs in")
    status = fields.CharEnumField(JobStatus, max_length=16, default=JobStatus.QUEUED)
    priority = fields.IntField(default=0, description="Higher runs first among due jobs")
    attempts = fields.IntField(default=0, description="Times a worker has taken the job")
    max_attempts = fields.IntField(default=8)
    run_at = fields.DatetimeField(description="Earliest time a worker may take the job")
    locked_by = fields.CharField(max_length=200, null=True, description="Worker that took the job last")
    locked_at = fields.DatetimeField(null=True, description="When that worker took it or last reported progress")
    last_error = fields.TextField(null=True)
    idempotency_key = fields.CharField(max_length=200, null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "job"
        indexes = (Index(fields=("status", "run_at"), name="job_status_run_at_idx"),)

    def __str__(self) -> str:
        return f"{self.kind} job {self.id} ({self.status.value})"

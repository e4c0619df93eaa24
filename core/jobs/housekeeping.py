"""Built-in job kinds that keep the queue itself tidy."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pejling.core.jobs.models import Job, JobStatus
from pejling.core.jobs.queue import utcnow
from pejling.core.jobs.registry import PermanentJobError, register_job, run_hourly


@register_job("jobs.purge_succeeded", timeout_seconds=300)
async def purge_succeeded(payload: dict[str, Any]) -> None:
    """Delete succeeded jobs finished more than ``older_than_days`` (default 7) days ago. Dead jobs stay."""
    days = payload.get("older_than_days", 7)
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise PermanentJobError("older_than_days must be a whole number of at least 1")
    cutoff = utcnow() - timedelta(days=days)
    await Job.filter(status=JobStatus.SUCCEEDED, finished_at__lt=cutoff).delete()


run_hourly("jobs.purge_succeeded", {"older_than_days": 7})

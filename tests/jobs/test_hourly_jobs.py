"""Housekeeping workers queue every hourly job once per hour, and the account purge really purges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pejling.core.auth.models import Session
from pejling.core.auth.sessions import start_session
from pejling.core.jobs.models import Job
from pejling.core.jobs.registry import HOURLY_JOBS, load_job_kinds
from pejling.core.jobs.worker import Worker
from pejling.core.settings import Settings
from tests.support.tenancy import make_tenant


async def test_hourly_jobs_are_queued_once_per_hour_and_purge_expired_sessions(database: Settings) -> None:
    load_job_kinds()
    assert {"jobs.purge_succeeded", "accounts.purge_expired"} <= set(HOURLY_JOBS)
    shop = await make_tenant(stores=0)
    expired, _ = await start_session(database, shop.owner.id)
    expired.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    await expired.save()
    live, _ = await start_session(database, shop.owner.id)

    hour = datetime(2031, 1, 2, 3, 15, tzinfo=UTC)
    worker = Worker(database, housekeeping=True, clock=lambda: hour, kinds=["accounts.purge_expired"])
    await worker._queue_housekeeping()
    await worker._queue_housekeeping()
    queued = Job.filter(kind="accounts.purge_expired", idempotency_key="accounts.purge_expired:2031-01-02T03")
    assert await queued.count() == 1

    await queued.update(run_at=datetime.now(UTC) - timedelta(seconds=1))
    assert await Worker(database, kinds=["accounts.purge_expired"]).run_once() >= 1
    assert not await Session.exists(id=expired.id)
    assert await Session.exists(id=live.id)

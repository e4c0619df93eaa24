"""After ``pejling demo`` the closed loop has rules and open follow-ups, which can be worked to resolved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pejling.core.followups import workflow
from pejling.core.followups.demo import DEMO_RULES, seed_demo_alerts
from pejling.core.followups.models import AlertRule, FollowUp, FollowUpStatus
from pejling.core.followups.notifications import NOTIFY_JOB
from pejling.core.jobs.models import Job
from pejling.core.surveys.demo import seed_demo_survey
from pejling.tenants.demo import seed_demo
from pejling.tenants.scope import tenant_scope


async def test_demo_alerts_open_follow_ups_that_can_be_worked(database: Any, tmp_path: Path) -> None:
    tenant, _, _ = await seed_demo(tmp_path)
    await seed_demo_survey(tenant)
    opened = await seed_demo_alerts(tenant)
    assert opened is not None and 0 < opened <= 200, opened
    assert await seed_demo_alerts(tenant) is None  # idempotent
    with tenant_scope(tenant.id):
        assert await AlertRule.all().count() == len(DEMO_RULES)
        follow_ups = await FollowUp.filter(response_id__isnull=False).order_by("created_at")
        assert len(follow_ups) == opened
        assert {f.status for f in follow_ups} == {FollowUpStatus.OPEN}
        assert any(f.assignee_id is not None for f in follow_ups)  # demo stores have managers
        # The backfill opened them quietly: no notification mails for old responses.
        assert not await Job.filter(kind=NOTIFY_JOB, tenant_id=tenant.id).exists()
        worked = await workflow.resolve(await workflow.acknowledge(follow_ups[0]))
        assert worked.status is FollowUpStatus.RESOLVED

"""Alert rules and follow-ups for the demo tenant, so the closed loop has something to show after ``pejling demo``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pejling.core.followups.models import AlertRule, RuleKind
from pejling.core.followups.rules import RuleSpec, create_rule, evaluate_response
from pejling.core.surveys.models import Response
from pejling.tenants.models import Role, Tenant
from pejling.tenants.scope import tenant_scope

#: The rules a demo tenant starts with.
DEMO_RULES = (
    RuleSpec(name="Very unhappy shoppers", kind=RuleKind.OUTCOME_AT_MOST, threshold=2),
    RuleSpec(name="Queues and waiting", kind=RuleKind.COMMENT_WORDS,
             words=("kø", "kö", "queue", "ventetid", "väntetid")),
    RuleSpec(name="Ease strongly negative", kind=RuleKind.GOAL_STRONGLY_NEGATIVE, goal="ease", threshold=1.0),
    RuleSpec(name="A store's rating falls", kind=RuleKind.STORE_SCORE_FALLING, threshold=1.0, min_responses=20,
             notify_roles=(Role.STORE_MANAGER.value, Role.OWNER.value)),
)
BACKFILL_DAYS = 3


async def seed_demo_alerts(tenant: Tenant, *, now: datetime | None = None) -> int | None:
    """Give the demo tenant its alert rules and open follow-ups for its last days of responses (without mail).

    Returns how many follow-ups were opened; ``None`` when the tenant already had alert rules (nothing is done).
    """
    now = now or datetime.now(UTC)
    with tenant_scope(tenant.id):
        if await AlertRule.exists():
            return None
        for spec in DEMO_RULES:
            await create_rule(spec)
        recent = [r.id for r in await Response.filter(submitted_at__gte=now - timedelta(days=BACKFILL_DAYS)).only("id")]
        opened = 0
        for response_id in recent:
            opened += len(await evaluate_response(response_id, notify=False))
    return opened

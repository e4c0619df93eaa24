"""Alert rules: what they watch, how they are checked, and the follow-ups they open.

Per-response rules (``outcome_at_most``, ``goal_strongly_negative``, ``comment_words``) are checked when
responses arrive (:func:`evaluate_responses`, called from the ``responses_received`` hook with each batch). The
``store_score_falling`` rule compares each store's outcome mean over the last 7 days with the 28 days
before; the ``followups.store_scores`` job checks it per tenant (:func:`evaluate_store_scores`): at once when
such a rule is created or changed, and once a day, queued by the hourly ``followups.store_scores_sweep``.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple
from uuid import UUID

from tortoise.exceptions import IntegrityError
from tortoise.functions import Avg, Count
from tortoise.transactions import in_transaction

from pejling.core.followups.models import AlertRule, FollowUp, FollowUpStatus, RuleKind
from pejling.core.followups.refusals import FollowUpRefused
from pejling.core.followups.workflow import store_managers_of, store_managers_of_stores
from pejling.core.jobs import enqueue, register_job
from pejling.core.jobs.registry import run_hourly
from pejling.core.mail import EMAIL_ADDRESS
from pejling.core.surveys.bank import GOALS
from pejling.core.surveys.models import Answer, Response
from pejling.tenants.models import Role, Store, Tenant
from pejling.tenants.scope import all_tenants, current_tenant_id, tenant_scope

log = logging.getLogger(__name__)

PER_RESPONSE_KINDS = (RuleKind.OUTCOME_AT_MOST, RuleKind.GOAL_STRONGLY_NEGATIVE, RuleKind.COMMENT_WORDS)
RECENT_DAYS = 7
BASELINE_DAYS = 28
MAX_WORDS = 50
MAX_WORD_CHARS = 60
MAX_EMAILS = 20
MAX_RULES = 200
DEFAULT_GOAL_THRESHOLD = 1.5
STORE_SCORES_JOB = "followups.store_scores"
SWEEP_JOB = "followups.store_scores_sweep"


# ---------------------------------------------------------------------------------------------------------------------
# Rules: checked input
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSpec:
    """Everything a rule can say; :func:`check_rule` refuses what does not fit its kind."""

    name: str
    kind: RuleKind
    threshold: float | None = None
    goal: str | None = None
    words: Sequence[str] = ()
    min_responses: int = 5
    store_ids: Sequence[UUID] = ()
    enabled: bool = True
    notify_roles: Sequence[str] = (Role.STORE_MANAGER.value,)
    notify_emails: Sequence[str] = ()


async def check_rule(spec: RuleSpec) -> dict[str, Any]:
    """The columns of a valid rule in the current tenant; raises :class:`FollowUpRefused` for the first problem."""
    name = spec.name.strip()
    if not 1 <= len(name) <= 200:
        raise FollowUpRefused("invalid", "Name the rule in 1–200 characters.", "name")
    threshold = spec.threshold
    goal: str | None = None
    words: list[str] = []
    if spec.kind is RuleKind.OUTCOME_AT_MOST:
        if threshold is None or threshold != int(threshold) or not 0 <= threshold <= 9:
            raise FollowUpRefused("invalid", "Give the highest outcome that alerts: a whole number 0–9.", "threshold")
    elif spec.kind is RuleKind.GOAL_STRONGLY_NEGATIVE:
        if spec.goal not in GOALS:
            raise FollowUpRefused("invalid", f"Choose a goal among {', '.join(GOALS)}.", "goal")
        goal = spec.goal
        threshold = DEFAULT_GOAL_THRESHOLD if threshold is None else threshold
        if not 1 <= threshold < 3:
            raise FollowUpRefused("invalid", "On the 1–5 scale, alert at a goal score from 1 to below 3.", "threshold")
    elif spec.kind is RuleKind.COMMENT_WORDS:
        words = sorted({" ".join(w.split()).casefold() for w in spec.words if w.strip()})
        if not words or len(words) > MAX_WORDS or len(spec.words) > MAX_WORDS:
            raise FollowUpRefused("invalid", f"Give 1–{MAX_WORDS} words to watch.", "words")
        if any(len(w) > MAX_WORD_CHARS for w in words):
            raise FollowUpRefused("invalid", f"Keep each word under {MAX_WORD_CHARS} characters.", "words")
    elif spec.kind is RuleKind.STORE_SCORE_FALLING:
        if threshold is None or not 0 < threshold <= 10:
            raise FollowUpRefused("invalid", "Give the fall of the outcome mean that alerts: above 0, at most 10.",
                                  "threshold")
        if not 1 <= spec.min_responses <= 100_000:
            raise FollowUpRefused("invalid", "Ask for 1 to 100 000 responses in each period.", "minResponses")
    if spec.kind is not RuleKind.STORE_SCORE_FALLING and spec.kind is not RuleKind.GOAL_STRONGLY_NEGATIVE:
        threshold = threshold if spec.kind is RuleKind.OUTCOME_AT_MOST else None
    stores = sorted({str(s) for s in spec.store_ids})
    if len(stores) > 500:
        raise FollowUpRefused("invalid", "At most 500 stores.", "storeIds")
    if stores and await Store.filter(id__in=stores).count() != len(stores):
        raise FollowUpRefused("not_found", "One of the stores was not found.", "storeIds")
    roles = sorted({r for r in spec.notify_roles})
    known = {r.value for r in Role}
    if any(r not in known for r in roles):
        raise FollowUpRefused("invalid", f"Notify roles among {', '.join(sorted(known))}.", "notifyRoles")
    emails = sorted({e.strip().lower() for e in spec.notify_emails if e.strip()})
    if len(emails) > MAX_EMAILS or any(len(e) > 254 or not EMAIL_ADDRESS.match(e) for e in emails):
        raise FollowUpRefused("invalid", f"Give up to {MAX_EMAILS} valid email addresses.", "notifyEmails")
    return {
        "name": name, "kind": spec.kind, "threshold": threshold, "goal": goal, "words": words,
        "min_responses": spec.min_responses, "store_ids": stores, "enabled": spec.enabled,
        "notify_roles": roles, "notify_emails": emails,
    }


async def create_rule(spec: RuleSpec) -> AlertRule:
    """Add a rule to the current tenant (a falling-score rule starts the daily check)."""
    columns = await check_rule(spec)
    if await AlertRule.all().count() >= MAX_RULES:
        raise FollowUpRefused("invalid", f"A tenant can have at most {MAX_RULES} alert rules.", "name")
    rule = await AlertRule.create(**columns)
    await _start_store_score_checks(rule)
    return rule


async def update_rule(rule: AlertRule, spec: RuleSpec) -> AlertRule:
    """Replace what a rule says (its kind included)."""
    columns = await check_rule(spec)
    await AlertRule.filter(id=rule.id).update(**columns, updated_at=datetime.now(UTC))
    rule = await AlertRule.get(id=rule.id)
    await _start_store_score_checks(rule)
    return rule


async def get_rule(rule_id: UUID | None) -> AlertRule:
    """The rule of the current tenant with this id, else ``not_found``."""
    rule = await AlertRule.get_or_none(id=rule_id) if rule_id is not None else None
    if rule is None:
        raise FollowUpRefused("not_found", "No such alert rule.", "id")
    return rule


def concerns(rule: AlertRule, visible_stores: Collection[UUID] | None) -> bool:
    """Whether a member who sees ``visible_stores`` (``None``: every store) is concerned by ``rule``.

    A store manager is concerned by the rules that watch every store or at least one of theirs; a rule
    limited to other stores is not theirs to see (its name and settings are about those stores).
    """
    if visible_stores is None or not rule.store_ids:
        return True
    return any(UUID(str(s)) in visible_stores for s in rule.store_ids)


async def rules_for(visible_stores: Collection[UUID] | None) -> list[AlertRule]:
    """The current tenant's rules a member who sees ``visible_stores`` is concerned by, oldest first."""
    rules = await AlertRule.all().order_by("created_at", "id")
    return [rule for rule in rules if concerns(rule, visible_stores)]


async def _start_store_score_checks(rule: AlertRule) -> None:
    # Checked at once; the daily checks come from the hourly sweep.
    if rule.enabled and RuleKind(rule.kind) is RuleKind.STORE_SCORE_FALLING:
        await enqueue(STORE_SCORES_JOB, {"tenant_id": str(rule.tenant_id)}, tenant_id=rule.tenant_id, priority=-5)


# ---------------------------------------------------------------------------------------------------------------------
# Per-response rules
# ---------------------------------------------------------------------------------------------------------------------


def comment_matches(words: Iterable[str], comment: str) -> list[str]:
    """The watched words (or phrases) found in ``comment`` as whole words, ignoring case, in any script."""
    text = " ".join(comment.split()).casefold()
    return [w for w in words if re.search(r"(?<!\w)" + re.escape(w.casefold()) + r"(?!\w)", text)]


def goal_scores(answers: Iterable[Answer] | Iterable[_GoalAnswer]) -> dict[str, float]:
    """Mean served-score per goal on the 1–5 scale; a reversed statement (polarity -1) counts as ``6 - value``."""
    values: dict[str, list[int]] = defaultdict(list)
    for answer in answers:
        if answer.warmup or answer.value is None:  # a "doesn't apply" answer has no value
            continue
        values[answer.goal].append(answer.value if answer.polarity >= 0 else 6 - answer.value)
    return {goal: sum(v) / len(v) for goal, v in values.items()}


Trip = tuple[str, dict[str, Any]]
"""Why a rule tripped: a short English phrase kept on the follow-up, and the figures (for localised mails)."""


def response_reason(rule: AlertRule, response: Response, goals: dict[str, float]) -> Trip | None:
    """Why ``response`` trips ``rule``, or ``None`` when it does not."""
    kind = RuleKind(rule.kind)
    if kind is RuleKind.OUTCOME_AT_MOST:
        if response.outcome is not None and rule.threshold is not None and response.outcome <= rule.threshold:
            return (f"outcome {response.outcome} (alert at {int(rule.threshold)} or lower)",
                    {"outcome": response.outcome, "threshold": int(rule.threshold)})
    elif kind is RuleKind.GOAL_STRONGLY_NEGATIVE:
        score = goals.get(rule.goal or "")
        if score is not None and rule.threshold is not None and score <= rule.threshold:
            return (f"goal {rule.goal} scored {score:.1f} of 5 (alert at {rule.threshold:g} or lower)",
                    {"goal": rule.goal, "score": round(score, 2), "threshold": rule.threshold})
    elif kind is RuleKind.COMMENT_WORDS:
        found = comment_matches(rule.words or [], response.comment or "")
        if found:
            return "comment mentions " + ", ".join(found), {"words": found}
    return None


def _applies_to(rule: AlertRule, store_id: UUID) -> bool:
    return not rule.store_ids or str(store_id) in rule.store_ids


async def evaluate_response(response_id: UUID, *, notify: bool = True) -> list[FollowUp]:
    """Check the enabled per-response rules of the current tenant against one stored response.

    Opens (and, with ``notify``, notifies) one follow-up per rule that trips; checking the same response again
    opens nothing new.
    """
    return await evaluate_responses([response_id], notify=notify)


class _GoalAnswer(NamedTuple):
    goal: str
    polarity: int
    value: int | None
    warmup: bool


@dataclass(frozen=True)
class _Tripped:
    rule: AlertRule
    response: Response
    trip: Trip

    @property
    def dedupe_key(self) -> str:
        return f"{self.rule.id}:response:{self.response.id}"


async def evaluate_responses(response_ids: Sequence[UUID], *, notify: bool = True) -> list[FollowUp]:
    """:func:`evaluate_response` for several stored responses of the current tenant at once.

    The rules, the responses and (when a goal rule applies) their answers are read once for all of them, and the
    follow-ups they trip opened together (one insert, one of their notification jobs): a handful of statements per
    batch instead of a few per response. The follow-ups are the same as checking each response on its own, in the
    order of the responses, then of the rules.
    """
    if not response_ids:
        return []
    rules = list(await AlertRule.filter(enabled=True, kind__in=list(PER_RESPONSE_KINDS)).order_by("created_at"))
    if not rules:
        return []
    found = {r.id: r for r in await Response.filter(id__in=list(dict.fromkeys(response_ids)))}
    responses = [found[i] for i in dict.fromkeys(response_ids) if i in found]
    applying = {r.id: [rule for rule in rules if _applies_to(rule, r.store_id)] for r in responses}
    needs_goals = [r.id for r in responses
                   if any(RuleKind(rule.kind) is RuleKind.GOAL_STRONGLY_NEGATIVE for rule in applying[r.id])]
    answers: dict[UUID, list[_GoalAnswer]] = defaultdict(list)
    if needs_goals:  # plain rows, not Answer objects: only what goal_scores reads
        for row in await Answer.filter(response_id__in=needs_goals).values_list("response_id", *_GoalAnswer._fields):
            answers[UUID(str(row[0]))].append(_GoalAnswer(*row[1:]))
    tripped = []
    for response in responses:
        goals = goal_scores(answers[response.id]) if response.id in answers else {}
        for rule in applying[response.id]:
            trip = response_reason(rule, response, goals)
            if trip is not None:
                tripped.append(_Tripped(rule, response, trip))
    return await _open_for_responses(tripped, notify=notify)


async def _open_for_responses(tripped: Sequence[_Tripped], *, notify: bool) -> list[FollowUp]:
    """Open the follow-ups of ``tripped`` not opened yet: the managers, the known keys and the inserts read and
    written once for all; when the insert clashes with a follow-up opened meanwhile, each is opened on its own."""
    if not tripped:
        return []
    known = set(await FollowUp.filter(dedupe_key__in=[t.dedupe_key for t in tripped]).values_list(
        "dedupe_key", flat=True))
    fresh = [t for t in tripped if t.dedupe_key not in known]
    if not fresh:
        return []
    managers = await store_managers_of_stores({t.response.store_id for t in fresh})
    tenant_id = current_tenant_id()
    rows = [FollowUp(tenant_id=tenant_id, rule_id=t.rule.id, store_id=t.response.store_id, response_id=t.response.id,
                     reason=t.trip[0][:500], details=t.trip[1], dedupe_key=t.dedupe_key,
                     assignee_id=managers[t.response.store_id][0][1].id if managers[t.response.store_id] else None)
            for t in fresh]
    try:
        async with in_transaction():  # a savepoint inside the caller's transaction: a clash leaves it usable
            await FollowUp.bulk_create(rows)
    except IntegrityError:
        opened = []
        for t in fresh:
            follow_up = await open_follow_up(t.rule, store_id=t.response.store_id, response_id=t.response.id,
                                             reason=t.trip[0], details=t.trip[1], dedupe_key=t.dedupe_key,
                                             notify=notify)
            if follow_up is not None:
                opened.append(follow_up)
        return opened
    if notify:
        from pejling.core.followups.notifications import queue_notifications_of

        await queue_notifications_of(rows)
    return rows


async def open_follow_up(rule: AlertRule, *, store_id: UUID, response_id: UUID | None, reason: str,
                         details: dict[str, Any], dedupe_key: str, notify: bool = True) -> FollowUp | None:
    """Open a follow-up for ``rule`` (assigned to the store's first manager) and queue its notifications.

    Returns ``None`` when a follow-up with this ``dedupe_key`` exists already.
    """
    from pejling.core.followups.notifications import queue_follow_up_notifications

    managers = await store_managers_of(store_id)
    try:
        follow_up = await FollowUp.create(
            rule_id=rule.id, store_id=store_id, response_id=response_id, reason=reason[:500], details=details,
            dedupe_key=dedupe_key,
            assignee_id=managers[0][1].id if managers else None,
        )
    except IntegrityError:
        return None
    if notify:
        await queue_follow_up_notifications(follow_up)
    return follow_up


# ---------------------------------------------------------------------------------------------------------------------
# Falling store scores: a daily job per tenant
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreTrend:
    """A store's outcome mean in the recent and the baseline period, and how many responses each has."""

    store_id: UUID
    recent_mean: float | None
    recent_n: int
    baseline_mean: float | None
    baseline_n: int

    @property
    def fall(self) -> float | None:
        if self.recent_mean is None or self.baseline_mean is None:
            return None
        return self.baseline_mean - self.recent_mean


async def store_trends(now: datetime, store_ids: Iterable[UUID] | None = None) -> list[StoreTrend]:
    """Outcome means per store: last :data:`RECENT_DAYS` days against the :data:`BASELINE_DAYS` days before.

    Quality-flagged responses are left out; responses without an outcome too.
    """
    recent_start = now - timedelta(days=RECENT_DAYS)
    baseline_start = recent_start - timedelta(days=BASELINE_DAYS)

    async def means(since: datetime, until: datetime) -> dict[UUID, tuple[float, int]]:
        query = Response.filter(submitted_at__gte=since, submitted_at__lt=until, outcome__isnull=False,
                                quality_flags=[])
        if store_ids is not None:
            query = query.filter(store_id__in=list(store_ids))
        rows = await query.annotate(mean=Avg("outcome"), n=Count("id")).group_by("store_id").values(
            "store_id", "mean", "n")
        return {UUID(str(r["store_id"])): (float(r["mean"]), int(r["n"])) for r in rows}

    recent = await means(recent_start, now)
    baseline = await means(baseline_start, recent_start)
    trends = []
    for store_id in sorted(set(recent) | set(baseline), key=str):
        r_mean, r_n = recent.get(store_id, (None, 0))
        b_mean, b_n = baseline.get(store_id, (None, 0))
        trends.append(StoreTrend(store_id, r_mean, r_n, b_mean, b_n))
    return trends


async def evaluate_store_scores(now: datetime | None = None) -> list[FollowUp]:
    """Check the enabled falling-score rules of the current tenant; opens a follow-up per falling store.

    A store with an unresolved follow-up of the same rule gets no second one.
    """
    now = now or datetime.now(UTC)
    rules = await AlertRule.filter(enabled=True, kind=RuleKind.STORE_SCORE_FALLING).order_by("created_at")
    if not rules:
        return []
    trends = await store_trends(now)
    opened = []
    for rule in rules:
        for trend in trends:
            fall = trend.fall
            if (fall is None or rule.threshold is None or fall < rule.threshold
                    or min(trend.recent_n, trend.baseline_n) < rule.min_responses
                    or not _applies_to(rule, trend.store_id)):
                continue
            if await FollowUp.filter(rule_id=rule.id, store_id=trend.store_id, response_id=None).exclude(
                    status=FollowUpStatus.RESOLVED).exists():
                continue
            reason = (f"outcome mean fell by {fall:.1f} to {trend.recent_mean:.1f} over the last {RECENT_DAYS} days "
                      f"(n={trend.recent_n}) from {trend.baseline_mean:.1f} in the {BASELINE_DAYS} days before "
                      f"(n={trend.baseline_n})")
            details = {"fall": round(fall, 2), "recent_mean": round(trend.recent_mean or 0.0, 2),
                       "baseline_mean": round(trend.baseline_mean or 0.0, 2), "recent_n": trend.recent_n,
                       "baseline_n": trend.baseline_n, "threshold": rule.threshold}
            follow_up = await open_follow_up(rule, store_id=trend.store_id, response_id=None, reason=reason,
                                             details=details,
                                             dedupe_key=f"{rule.id}:store:{trend.store_id}:{now:%Y-%m-%dT%H}")
            if follow_up is not None:
                opened.append(follow_up)
    return opened


async def schedule_store_scores(tenant_id: UUID, when: datetime) -> None:
    """Queue the falling-score check of a tenant for ``when`` (at most one queued per tenant and day)."""
    await enqueue(STORE_SCORES_JOB, {"tenant_id": str(tenant_id)}, tenant_id=tenant_id, run_at=when,
                  idempotency_key=f"{STORE_SCORES_JOB}:{tenant_id}:{when:%Y-%m-%d}", priority=-5)


@register_job(STORE_SCORES_JOB, timeout_seconds=600)
async def check_store_scores(payload: dict[str, Any]) -> None:
    """Job: check the tenant's falling-score rules."""
    tenant_id = current_tenant_id()
    with all_tenants():
        if not await Tenant.exists(id=tenant_id):
            return
    with tenant_scope(tenant_id):
        opened = await evaluate_store_scores()
    if opened:
        log.info("falling store scores opened %d follow-ups", len(opened))


@register_job(SWEEP_JOB, timeout_seconds=300)
async def sweep_store_scores(payload: dict[str, Any]) -> None:
    """Hourly job: queue today's falling-score check of every tenant with such a rule (once per tenant and day)."""
    with all_tenants():
        tenant_ids = set(await AlertRule.filter(enabled=True, kind=RuleKind.STORE_SCORE_FALLING).values_list(
            "tenant_id", flat=True))
    now = datetime.now(UTC)
    for tenant_id in sorted(tenant_ids, key=str):
        await schedule_store_scores(UUID(str(tenant_id)), now)


run_hourly(SWEEP_JOB)

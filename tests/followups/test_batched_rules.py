"""The per-response rules checked for a batch of responses at once open the same follow-ups as checking each on its
own, for a handful of statements whatever the batch's size (:func:`pejling.core.followups.rules.evaluate_responses`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import httpx
import pytest

from pejling.core.followups.models import FollowUp
from pejling.core.followups.notifications import NOTIFY_JOB
from pejling.core.followups.rules import evaluate_response, evaluate_responses
from pejling.core.jobs.models import Job
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.scope import tenant_scope
from tests.support.query_count import counting_queries

from .conftest import Chain
from .test_alert_rules import create_rule

#: The statements of one batch: rules, responses, answers, known follow-ups, managers (memberships, users), the
#: insert of the follow-ups, the known notification jobs and their insert.
MOST_STATEMENTS = 9


@pytest.fixture(autouse=True)
async def _no_jobs_left(chain: Chain) -> AsyncIterator[None]:
    """The notification jobs these tests queue are not run: none is left for the next tests' workers."""
    yield
    await Job.filter(tenant_id=chain.tenant.id).delete()


async def _responses(chain: Chain, n: int) -> list[UUID]:
    """n responses of both stores, with low outcomes, a bad ease score or watched words, before any rule exists."""
    ids = []
    for i in range(n):
        ids.append(UUID(await chain.submit(
            outcome=i % 11, comment="lang kø" if i % 4 == 0 else "fint", values={"ease": 1 if i % 3 == 0 else 4},
            store=chain.other_store if i % 5 == 0 else None)))
    return ids


async def _rules(api: httpx.AsyncClient, chain: Chain) -> None:
    await create_rule(api, chain, kind="OUTCOME_AT_MOST", threshold=3)
    await create_rule(api, chain, kind="GOAL_STRONGLY_NEGATIVE", goal="ease")
    await create_rule(api, chain, kind="COMMENT_WORDS", words=["kø"], storeIds=[encode_id("Store", chain.store.id)])


def _seen(follow_ups: list[FollowUp]) -> list[tuple[Any, ...]]:
    return [(f.rule_id, f.response_id, f.store_id, f.assignee_id, f.reason, f.details, f.dedupe_key)
            for f in follow_ups]


async def _opened(chain: Chain) -> tuple[list[tuple[Any, ...]], set[str]]:
    with tenant_scope(chain.tenant.id):
        follow_ups = list(await FollowUp.all())
        jobs = await Job.filter(kind=NOTIFY_JOB, tenant_id=chain.tenant.id).values_list("idempotency_key", flat=True)
    return sorted(_seen(follow_ups), key=lambda row: row[-1]), set(jobs)


async def test_a_batch_opens_the_same_follow_ups_as_one_by_one(api: httpx.AsyncClient, chain: Chain) -> None:
    ids = await _responses(chain, 24)
    await _rules(api, chain)
    with tenant_scope(chain.tenant.id):
        opened = await evaluate_responses(ids)
    batched, batched_jobs = await _opened(chain)
    assert len(batched) == len(opened) >= 10
    assert batched_jobs == {f"{NOTIFY_JOB}:{f.id}" for f in opened}  # one notification job each
    assert {row[3] for row in batched if row[2] == chain.store.id} == {chain.manager.user.id}

    with tenant_scope(chain.tenant.id):
        await Job.filter(kind=NOTIFY_JOB, tenant_id=chain.tenant.id).delete()
        await FollowUp.all().delete()
        for response_id in ids:
            await evaluate_response(response_id)
    one_by_one, one_by_one_jobs = await _opened(chain)
    assert batched == one_by_one and len(one_by_one_jobs) == len(batched_jobs)

    with tenant_scope(chain.tenant.id):  # checked again: nothing new
        assert await evaluate_responses(ids) == []


async def test_a_batch_costs_the_same_few_statements_whatever_its_size(api: httpx.AsyncClient, chain: Chain) -> None:
    ids = await _responses(chain, 26)
    await _rules(api, chain)
    with tenant_scope(chain.tenant.id):
        async with counting_queries() as small:
            await evaluate_responses(ids[:2])
        async with counting_queries() as large:
            opened = await evaluate_responses(ids[2:])
    assert len(opened) >= 10
    assert len(large) <= MOST_STATEMENTS, large.statements
    assert len(large) <= len(small) + 1, (small.statements, large.statements)
    assert len(large.matching('INSERT INTO "followup"')) == 1 and len(large.matching('INSERT INTO "job"')) == 1

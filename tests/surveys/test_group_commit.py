"""Group commit: concurrent submissions are written in one transaction, each stored exactly once, and a batch that
fails is written one by one so that only the submission at fault is refused."""

from __future__ import annotations

import asyncio
import math
from typing import Any

from pejling.core.insights import sql
from pejling.core.insights.columns import HISTOGRAM_COLUMNS, STORE_COLUMNS, SUM_COLUMNS
from pejling.core.insights.rollups import recompute_rollups, rollup_version
from pejling.core.plugin_manager import Plugins
from pejling.core.surveys.group_commit import GroupCommit
from pejling.core.surveys.ingest import IngestRefused, IngestResult
from pejling.core.surveys.invitations import create_invitation
from pejling.core.surveys.models import Answer, Response
from pejling.tenants.scope import tenant_scope

from .conftest import Shop, submit_as

_TABLES = {
    "insights_daily": (("store_id", "zone_id", "channel", "day", "mask"), SUM_COLUMNS),
    "insights_statement_daily": (("store_id", "zone_id", "channel", "day", "statement_id"), HISTOGRAM_COLUMNS),
    "insights_store_daily": (("store_id", "day"), STORE_COLUMNS),
}

Snapshot = dict[str, dict[tuple[str, ...], tuple[str, list[float]]]]


async def rollup_snapshot(tenant_id: Any) -> Snapshot:
    """Every rollup row of the tenant by its key: (row id, summed values)."""
    snapshot: Snapshot = {}
    for table, (key, columns) in _TABLES.items():
        rows = await sql.fetch(f"SELECT * FROM {table} WHERE tenant_id = ?", [tenant_id])  # noqa: S608 - fixed names
        snapshot[table] = {
            tuple(str(r[k])[:10] if k == "day" else str(r[k]) for k in key): (str(r["id"]),
                                                                                [sql.number(r[c]) for c in columns])
            for r in rows
        }
    return snapshot


def assert_same_sums(a: Snapshot, b: Snapshot) -> None:
    """The same rollup rows with the same sums (up to float rounding), whatever their ids."""
    for table, (_, columns) in _TABLES.items():
        assert a[table].keys() == b[table].keys(), table
        for key, (_, values) in a[table].items():
            for column, x, y in zip(columns, values, b[table][key][1], strict=True):
                assert math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9), (table, key, column, x, y)


async def assert_rollups_equal_recomputation(tenant_id: Any) -> None:
    with tenant_scope(tenant_id):
        incremental = await rollup_snapshot(tenant_id)
        await recompute_rollups(tenant_id)
        assert_same_sums(incremental, await rollup_snapshot(tenant_id))


async def _stored(shop: Shop) -> tuple[int, int]:
    with tenant_scope(shop.tenant.id):
        return await Response.all().count(), await Answer.all().count()


async def test_concurrent_submissions_are_stored_once_in_one_batch(
    shop: Shop, plugins: Plugins, batches: GroupCommit
) -> None:
    batches.max_batch = 1  # the first responses one by one
    first = [shop.payload(comment=f"first {i}") for i in range(5)]
    earlier = [await submit_as(shop, plugins, p, i) for i, p in enumerate(first)]
    assert all(isinstance(r, IngestResult) and not r.duplicate for r in earlier)
    with tenant_scope(shop.tenant.id):
        version = await rollup_version(shop.tenant.id)
    assert version == 5

    new = [shop.payload(comment=f"new {i}", outcome=i % 11, zone_id=None if i % 3 else str(shop.zone.id))
           for i in range(44)]
    resends = [dict(p) for p in first]  # the same submissions again: answered from the stored rows
    conflicting = shop.payload(id=first[0]["id"], outcome=0)  # a known id with another body
    payloads = [*new, *resends, conflicting]
    batches.max_batch = len(new)  # the batch is written once every new submission joined it
    batches.batch_sizes.clear()
    results = await asyncio.gather(*(submit_as(shop, plugins, p, 100 + i) for i, p in enumerate(payloads)))

    assert batches.batch_sizes == [44] and batches.fallbacks == 0
    for payload, result in zip(new, results[:44], strict=True):
        assert isinstance(result, IngestResult) and not result.duplicate and result.response_id == payload["id"]
    for before, result in zip(earlier, results[44:49], strict=True):
        assert isinstance(result, IngestResult) and isinstance(before, IngestResult)
        assert result.duplicate and result.receipt_code == before.receipt_code
    refused = results[49]
    assert isinstance(refused, IngestRefused) and (refused.status, refused.code) == (409, "id_conflict")

    answers_each = len(first[0]["answers"])
    assert await _stored(shop) == (49, 49 * answers_each)
    with tenant_scope(shop.tenant.id):
        for payload, result in zip(new, results[:44], strict=True):
            response = await Response.get(id=payload["id"])
            assert isinstance(result, IngestResult) and response.receipt_code == result.receipt_code
            assert response.comment == payload["comment"]
        # One batch, one version raise after its commit.
        assert await rollup_version(shop.tenant.id) == version + 1
        codes = await Response.all().values_list("receipt_code", flat=True)
        assert len(set(codes)) == 49
    await assert_rollups_equal_recomputation(shop.tenant.id)


async def test_a_failing_batch_is_written_one_by_one(shop: Shop, plugins: Plugins, batches: GroupCommit) -> None:
    with tenant_scope(shop.tenant.id):
        _, token = await create_invitation(shop.store)
    double = shop.payload(comment="double submit")
    taken = shop.payload(comment="first body")
    payloads = [
        shop.payload(comment="plain 1"),
        double,
        dict(double),  # the same submission twice in one batch (a double tap): stored once, both get its receipt
        taken,
        shop.payload(id=taken["id"], comment="another body"),  # the same id with another body: one of them is refused
        shop.payload(invitation=token, comment="invited 1"),
        shop.payload(invitation=token, comment="invited 2"),  # the same invitation twice: used once
        shop.payload(comment="plain 2"),
    ]
    batches.max_batch = len(payloads)
    results = await asyncio.gather(*(submit_as(shop, plugins, p, 300 + i) for i, p in enumerate(payloads)))

    assert batches.batch_sizes == [len(payloads)] and batches.fallbacks == 1
    plain_1, double_a, double_b, taken_a, taken_b, invited_a, invited_b, plain_2 = results
    for result in (plain_1, plain_2):
        assert isinstance(result, IngestResult) and not result.duplicate
    assert isinstance(double_a, IngestResult) and isinstance(double_b, IngestResult)
    assert sorted([double_a.duplicate, double_b.duplicate]) == [False, True]
    assert double_a.receipt_code == double_b.receipt_code
    outcomes = [taken_a, taken_b]
    accepted = [r for r in outcomes if isinstance(r, IngestResult)]
    conflicts = [r for r in outcomes if isinstance(r, IngestRefused)]
    assert len(accepted) == 1 and [(c.status, c.code) for c in conflicts] == [(409, "id_conflict")]
    invited = [invited_a, invited_b]
    assert sum(isinstance(r, IngestResult) for r in invited) == 1
    assert [(r.status, r.code) for r in invited if isinstance(r, IngestRefused)] == [(409, "invitation_used")]

    answers_each = len(payloads[0]["answers"])
    assert await _stored(shop) == (5, 5 * answers_each)
    with tenant_scope(shop.tenant.id):
        winner = payloads[3] if accepted[0] is taken_a else payloads[4]
        assert (await Response.get(id=taken["id"])).comment == winner["comment"]
        assert await Response.filter(comment__startswith="invited").count() == 1
    await assert_rollups_equal_recomputation(shop.tenant.id)

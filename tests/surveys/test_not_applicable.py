"""The "doesn't apply" answer: accepted only where the statement offers it, stored as such, counted in no figure."""

from __future__ import annotations

import dataclasses
import math
import uuid
from typing import Any

import httpx
import pytest

from pejling.core.insights import sql
from pejling.core.insights.columns import HISTOGRAM_COLUMNS, SUM_COLUMNS
from pejling.core.insights.rollups import recompute_rollups
from pejling.core.surveys.bank import current_bank
from pejling.core.surveys.erasure import erase_response
from pejling.core.surveys.models import Answer, Response
from pejling.core.surveys.quality import STRAIGHT_LINE, TapForQuality, quality_flags
from pejling.core.surveys.survey import choose_statements
from pejling.tenants.scope import tenant_scope

from .conftest import STARTED, Shop, make_shop

UA_PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"
PAYING = "ease.quick-to-pay"
STAFF = "recognition.staff-took-time"
ALWAYS = "security.prices-clear"
STATEMENTS = [ALWAYS, PAYING, STAFF, "autonomy.own-pace", "value.worth-the-money"]


async def na_shop() -> Shop:
    """A shop whose survey asks two statements that may not apply (paying, staff) and three that always do."""
    shop = await make_shop()
    with tenant_scope(shop.tenant.id):
        version = await choose_statements(STATEMENTS, ["warmup.visited-today"])
    return dataclasses.replace(shop, version_id=str(version.id), statement_ids=list(version.statement_ids),
                               warmup_ids=list(version.warmup_ids))


def without(payload: dict[str, Any], *statement_ids: str) -> dict[str, Any]:
    """The payload with those statements' answers left out (positions kept)."""
    return dict(payload, answers=[a for a in payload["answers"] if a["statement_id"] not in statement_ids])


def not_applicable(payload: dict[str, Any], *statement_ids: str, value_key: bool = True) -> dict[str, Any]:
    """The payload with those statements answered "doesn't apply" (reaction times kept)."""
    answers = []
    for a in payload["answers"]:
        if a["statement_id"] in statement_ids:
            a = {k: v for k, v in a.items() if k != "value"} | ({"value": None} if value_key else {})
            a["not_applicable"] = True
        answers.append(a)
    return dict(payload, answers=answers)


async def post(client: httpx.AsyncClient, shop: Shop, payload: Any) -> httpx.Response:
    return await client.post(f"/s/{shop.tenant.slug}/{shop.store.slug}/responses", json=payload,
                             headers={"user-agent": UA_PHONE})


async def daily_sums(shop: Shop) -> dict[str, float]:
    """The tenant's insights_daily columns summed over every row (one store, one day in these tests)."""
    rows = await sql.fetch("SELECT * FROM insights_daily WHERE tenant_id = ?", [shop.tenant.id])
    return {c: sum(sql.number(r[c]) for r in rows) for c in SUM_COLUMNS}


async def statement_counts(shop: Shop) -> dict[str, list[int]]:
    rows = await sql.fetch("SELECT * FROM insights_statement_daily WHERE tenant_id = ?", [shop.tenant.id])
    counts: dict[str, list[int]] = {}
    for r in rows:
        row = counts.setdefault(r["statement_id"], [0] * len(HISTOGRAM_COLUMNS))
        for i, c in enumerate(HISTOGRAM_COLUMNS):
            row[i] += int(r[c])
    return counts


def test_the_bank_offers_doesnt_apply_only_under_statements_that_may_not_fit_the_visit() -> None:
    bank = current_bank()
    offered = {s.id for s in bank.statements if s.may_not_apply}
    assert {PAYING, STAFF, "ease.queued-to-pay"} <= offered
    assert ALWAYS not in offered
    assert not any(s.may_not_apply for s in bank.warmups)


async def test_doesnt_apply_is_stored_as_such_and_adds_what_an_unasked_statement_adds(
    client: httpx.AsyncClient
) -> None:
    with_na, asked_less = await na_shop(), await na_shop()
    base = with_na.payload()
    payload = not_applicable(base, PAYING)
    payload = not_applicable(payload, STAFF, value_key=False)  # "value" may be left out
    reply = await post(client, with_na, payload)
    assert reply.status_code == 201, reply.text
    with tenant_scope(with_na.tenant.id):
        response = await Response.get(id=payload["id"])
        answers = {a.statement_id: a for a in await Answer.filter(response_id=response.id)}
        sums = await daily_sums(with_na)
        counts = await statement_counts(with_na)
    assert response.quality_flags == []
    for sid in (PAYING, STAFF):
        assert answers[sid].not_applicable is True and answers[sid].value is None
        sent = next(a for a in payload["answers"] if a["statement_id"] == sid)
        assert answers[sid].reaction_ms == sent["reaction_ms"]  # its reaction time is still kept
    assert answers[ALWAYS].not_applicable is False and answers[ALWAYS].value is not None
    # Counted in no figure: no histogram row for the two statements, no ease or recognition score ...
    assert PAYING not in counts and STAFF not in counts and sum(counts[ALWAYS]) == 1
    assert sums["n"] == 1 and sums["ease_n"] == 0 and sums["recognition_n"] == 0 and sums["security_n"] == 1

    # ... and exactly what the same response adds when the two statements were not asked at all.
    other = dict(without(base, PAYING, STAFF), id=str(uuid.uuid4()), survey_version_id=asked_less.version_id,
                 zone_id=str(asked_less.zone.id))
    assert (await post(client, asked_less, other)).status_code == 201
    with tenant_scope(asked_less.tenant.id):
        expected = await daily_sums(asked_less)
    for column in SUM_COLUMNS:
        assert math.isclose(sums[column], expected[column], rel_tol=1e-9, abs_tol=1e-9), column


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        (lambda p: not_applicable(p, ALWAYS), "not_applicable_refused", "answers[1].not_applicable"),
        (lambda p: not_applicable(p, "warmup.visited-today"), "not_applicable_refused", "answers[0].not_applicable"),
        (lambda p: {**p, "answers": [dict(a, not_applicable=True) if a["statement_id"] == PAYING else a
                                     for a in p["answers"]]}, "invalid_answers", "answers[2].value"),
        (lambda p: {**p, "answers": [dict(a, not_applicable="yes") if a["statement_id"] == PAYING else a
                                     for a in p["answers"]]}, "invalid_answers", "answers[2].not_applicable"),
    ],
    ids=["statement that always applies", "warm-up", "with a value", "not a boolean"],
)
async def test_doesnt_apply_is_refused_where_not_offered_and_nothing_is_stored(
    client: httpx.AsyncClient, change: Any, code: str, field: str
) -> None:
    shop = await na_shop()
    payload = change(shop.payload())
    assert [a["statement_id"] for a in payload["answers"]][:3] == ["warmup.visited-today", ALWAYS, PAYING]
    reply = await post(client, shop, payload)
    assert reply.status_code == 422, reply.text
    assert reply.json()["error"] == code
    assert reply.json()["field"] == field
    with tenant_scope(shop.tenant.id):
        assert await Response.all().count() == 0 and await Answer.all().count() == 0
        assert (await daily_sums(shop))["n"] == 0


def test_straight_lining_does_not_count_doesnt_apply_as_a_value() -> None:
    same = [TapForQuality(4, 300, False, "security"), TapForQuality(4, 320, False, "ease"),
            TapForQuality(4, 310, False, "autonomy"), TapForQuality(4, 330, False, "value")]
    na = [TapForQuality(None, 340, False, "recognition", True), TapForQuality(None, 350, False, "ease", True)]
    end = STARTED.replace(minute=1)
    # Four equal answers and two "doesn't apply": still straight-lining (the n/a answers are no other value) ...
    assert STRAIGHT_LINE in quality_flags([*same, *na], STARTED, end)
    # ... and three equal answers with one "doesn't apply" are too few answers to call it straight-lining.
    assert STRAIGHT_LINE not in quality_flags([*same[:3], na[0]], STARTED, end)


async def test_recompute_and_erasure_equal_incremental_rollups_with_doesnt_apply_answers(
    client: httpx.AsyncClient
) -> None:
    shop = await na_shop()
    ids = []
    for i in range(6):
        payload = shop.payload()
        payload["answers"] = [dict(a, value=1 + (i + k) % 5) for k, a in enumerate(payload["answers"])]
        if i % 2 == 0:
            payload = not_applicable(payload, PAYING)
        if i % 3 == 0:
            payload = not_applicable(payload, STAFF)
        assert (await post(client, shop, payload)).status_code == 201
        ids.append(payload["id"])
    with tenant_scope(shop.tenant.id):
        incremental = await daily_sums(shop), await statement_counts(shop)
        assert incremental[0]["ease_n"] == 3 and sum(incremental[1][PAYING]) == 3
        assert await recompute_rollups() == 6
        assert await daily_sums(shop) == pytest.approx(incremental[0])
        assert await statement_counts(shop) == incremental[1]
        # Erasing a response with two "doesn't apply" answers subtracts exactly what it added.
        await erase_response(await Response.get(id=ids[0]))
        subtracted = await daily_sums(shop), await statement_counts(shop)
        assert subtracted[0]["n"] == 5
        await recompute_rollups()
        assert await daily_sums(shop) == pytest.approx(subtracted[0])
        assert await statement_counts(shop) == subtracted[1]

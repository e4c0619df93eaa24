"""A shopper's request by receipt code: export their stored response, or erase it with everything derived from it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from pejling.core.followups.models import FollowUp, FollowUpNote, Reply
from pejling.core.insights import sql
from pejling.core.insights.columns import HISTOGRAM_COLUMNS, STORE_COLUMNS, SUM_COLUMNS
from pejling.core.insights.models import Score
from pejling.core.insights.rollups import recompute_rollups
from pejling.core.plugin_manager import Plugins
from pejling.core.surveys.erasure import erase_response, export_shopper_data, find_by_receipt
from pejling.core.surveys.ingest import IngestResult, ingest_response
from pejling.core.surveys.models import Answer, Response
from pejling.tenants.models import Membership, Role
from pejling.tenants.scope import tenant_scope
from tests.support.tenancy import gql, member, token_for

from .conftest import STARTED, Shop

SHOPPER_DATA = """query($c: String!) { shopperData(receiptCode: $c) { receiptCode store zone channel language
  submittedAt outcome comment contactEmail answers { statementId value reactionMs } } }"""
ERASE = "mutation($c: String!) { eraseShopperResponse(receiptCode: $c) { erasedReceiptCode errors { code field } } }"


async def _submit(shop: Shop, plugins: Plugins, **changes: Any) -> IngestResult:
    return await ingest_response(
        shop.payload(**changes), tenant_slug=shop.tenant.slug, store_slug=shop.store.slug,
        client_address="10.0.0.21", user_agent="", via="json", plugins=plugins,
    )


async def _daily_n(tenant_id: Any) -> int:
    rows = await sql.fetch("SELECT SUM(n) AS n FROM insights_daily WHERE tenant_id = ?", [tenant_id])
    return int(rows[0]["n"] or 0)


async def _snapshot(tenant_id: Any) -> dict[str, dict[tuple[str, ...], list[float]]]:
    """Every rollup row of the tenant, keyed without its id."""
    tables = {
        "insights_daily": (("store_id", "zone_id", "channel", "day", "mask"), SUM_COLUMNS),
        "insights_statement_daily": (("store_id", "zone_id", "channel", "day", "statement_id"), HISTOGRAM_COLUMNS),
        "insights_store_daily": (("store_id", "day"), STORE_COLUMNS),
    }
    snapshot: dict[str, dict[tuple[str, ...], list[float]]] = {}
    for table, (key, columns) in tables.items():
        rows = await sql.fetch(f"SELECT * FROM {table} WHERE tenant_id = ?", [tenant_id])  # noqa: S608 - fixed names
        snapshot[table] = {tuple(str(r[k])[:10] if k == "day" else str(r[k]) for k in key):
                           [round(sql.number(r[c]), 9) for c in columns] for r in rows}
    return snapshot


async def _headers(shop: Shop, role: Role | None = None) -> dict[str, str]:
    if role is None:
        with tenant_scope(shop.tenant.id):
            owner = await Membership.get(role=Role.OWNER).prefetch_related("user")
        user = owner.user
    else:
        user = await member(shop.tenant, role, [str(shop.store.id)] if role is Role.STORE_MANAGER else None)
    return {"Authorization": f"Bearer {await token_for(shop.tenant, user)}"}


async def test_export_by_receipt_code_read_generously(shop: Shop, plugins: Plugins) -> None:
    emailed = await _submit(shop, plugins, consent={"contact": True, "email": "kim@example.com"}, outcome=3)
    plain = await _submit(shop, plugins, zone_id=None)
    code = emailed.receipt_code
    with tenant_scope(shop.tenant.id):
        for typed in (code, code.lower(), code.replace("-", ""), f" {code[:3]} {code[4:].lower()} "):
            found = await find_by_receipt(typed)
            assert found is not None and str(found.id) == emailed.response_id, typed
        assert await find_by_receipt("not a code") is None
        assert await find_by_receipt("") is None
        response = await find_by_receipt(code)
        assert response is not None
        data = await export_shopper_data(response)
        payload = shop.payload()
        assert data["receipt_code"] == code
        assert (data["store"], data["zone"], data["channel"], data["language"]) == ("Main street", "Checkout", "qr",
                                                                                    "da")
        assert data["submitted_at"].startswith((STARTED + timedelta(seconds=40)).strftime("%Y-%m-%dT%H:%M:%S"))
        assert (data["outcome"], data["comment"], data["contact_email"]) == (3, "Kassen gik hurtigt.",
                                                                            "kim@example.com")
        assert data["answers"] == [
            {"statement_id": a["statement_id"], "value": a["value"], "reaction_ms": a["reaction_ms"]}
            for a in payload["answers"]
        ]
        other = await find_by_receipt(plain.receipt_code)
        assert other is not None
        other_data = await export_shopper_data(other)
        assert "contact_email" not in other_data and other_data["zone"] is None


async def test_erasure_removes_the_response_and_everything_derived(shop: Shop, plugins: Plugins) -> None:
    kept = [await _submit(shop, plugins, outcome=value) for value in (2, 9)]
    gone = await _submit(shop, plugins, outcome=10, consent={"contact": True, "email": "erase@example.com"})
    tenant_id = shop.tenant.id
    with tenant_scope(tenant_id):
        response = await find_by_receipt(gone.receipt_code)
        assert response is not None
        follow_up = await FollowUp.create(store_id=shop.store.id, response_id=response.id, reason="Low score",
                                          dedupe_key=f"erase-{response.id}")
        await FollowUpNote.create(follow_up_id=follow_up.id, text="Called the shopper")
        await Reply.create(response_id=response.id, follow_up_id=follow_up.id, subject="Thanks", text="Hello")
        scores_before = await Score.filter(response_id=response.id).count()
        assert scores_before > 0, "the default scoring models should have scored the response"
        n_before = await _daily_n(tenant_id)
        assert n_before == 3
        o10 = STORE_COLUMNS.index("o10")
        before = await _snapshot(tenant_id)
        assert sum(row[o10] for row in before["insights_store_daily"].values()) == 1

        await erase_response(response)

        assert await Response.filter(id=response.id).count() == 0
        assert await Answer.filter(response_id=response.id).count() == 0
        assert await Score.filter(response_id=response.id).count() == 0
        assert await FollowUp.filter(id=follow_up.id).count() == 0
        assert await FollowUpNote.filter(follow_up_id=follow_up.id).count() == 0
        assert await Reply.filter(response_id=response.id).count() == 0
        assert await find_by_receipt(gone.receipt_code) is None
        # The other responses are untouched.
        assert {str(r.id) for r in await Response.all()} == {k.response_id for k in kept}
        assert await Answer.filter(response_id__in=[k.response_id for k in kept]).count() == 2 * len(
            shop.payload()["answers"])
        assert await _daily_n(tenant_id) == n_before - 1
        after_erasure = await _snapshot(tenant_id)
        assert after_erasure["insights_daily"] and after_erasure["insights_store_daily"]
        await recompute_rollups(tenant_id)
        assert await _snapshot(tenant_id) == after_erasure
        n = STORE_COLUMNS.index("n")
        assert sum(row[n] for row in after_erasure["insights_store_daily"].values()) == 2
        # The erased shopper was the only one to answer 10: nothing is left of it in the outcome histogram.
        assert sum(row[o10] for row in after_erasure["insights_store_daily"].values()) == 0


async def test_graphql_export_and_erase_for_owners_and_admins_only(
    client: httpx.AsyncClient, shop: Shop, plugins: Plugins
) -> None:
    result = await _submit(shop, plugins)
    code = result.receipt_code
    owner = await _headers(shop)
    for role in (Role.ANALYST, Role.STORE_MANAGER):
        headers = await _headers(shop, role)
        read = await gql(client, SHOPPER_DATA, {"c": code}, headers)
        assert read["data"] is None or read["data"]["shopperData"] is None
        assert [e["extensions"]["code"] for e in read["errors"]] == ["FORBIDDEN"]
        erase = await gql(client, ERASE, {"c": code}, headers)
        assert erase["data"]["eraseShopperResponse"] == {"erasedReceiptCode": None, "errors": [
            {"code": "forbidden", "field": None}]}
    anonymous = await gql(client, ERASE, {"c": code})
    assert anonymous["data"]["eraseShopperResponse"]["errors"][0]["code"] == "unauthenticated"
    with tenant_scope(shop.tenant.id):
        assert await Response.filter(id=result.response_id).count() == 1

    exported = (await gql(client, SHOPPER_DATA, {"c": code.lower().replace("-", "")}, owner))["data"]["shopperData"]
    assert exported["receiptCode"] == code and exported["store"] == "Main street"
    assert exported["contactEmail"] is None and len(exported["answers"]) == len(shop.payload()["answers"])
    assert (await gql(client, SHOPPER_DATA, {"c": "ZZZ-ZZZ"}, owner))["data"]["shopperData"] is None

    unknown = await gql(client, ERASE, {"c": "nonsense"}, owner)
    assert unknown["data"]["eraseShopperResponse"]["errors"] == [{"code": "not_found", "field": "receiptCode"}]
    erased = await gql(client, ERASE, {"c": code.lower()}, owner)
    assert erased["data"]["eraseShopperResponse"] == {"erasedReceiptCode": code, "errors": []}
    with tenant_scope(shop.tenant.id):
        assert await Response.filter(id=result.response_id).count() == 0
        assert await Answer.filter(response_id=result.response_id).count() == 0
    again = await gql(client, ERASE, {"c": code}, owner)
    assert again["data"]["eraseShopperResponse"]["errors"] == [{"code": "not_found", "field": "receiptCode"}]
    assert (await gql(client, SHOPPER_DATA, {"c": code}, owner))["data"]["shopperData"] is None


async def test_erasure_subtracts_the_response_and_leaves_other_rows_alone(shop: Shop, plugins: Plugins) -> None:
    from .test_group_commit import assert_same_sums, rollup_snapshot

    # Flagged (the same answer throughout, fast): only counted in n_flagged.
    straight = [dict(a, value=3, reaction_ms=400) for a in shop.payload()["answers"]]
    changes: list[dict[str, Any]] = [
        *({"outcome": value} for value in (1, 5, 7, 8, 10)),
        *({"zone_id": None, "outcome": value} for value in (0, 6)),
        {"outcome": None, "comment": "no outcome"},
        {"answers": straight, "outcome": 9},
        {"channel": "nfc", "outcome": 4},
    ]
    results = [await _submit(shop, plugins, **change) for change in changes]
    # One more on another day at another store: its rows must not be rewritten by the erasures.
    other = await ingest_response(
        shop.payload(started_at=(STARTED - timedelta(days=1)).isoformat(),
                     submitted_at=(STARTED - timedelta(days=1) + timedelta(seconds=40)).isoformat(), zone_id=None),
        tenant_slug=shop.tenant.slug, store_slug=shop.other_store.slug, client_address="10.0.0.22", user_agent="",
        via="json", plugins=plugins,
    )
    tenant_id = shop.tenant.id
    with tenant_scope(tenant_id):
        assert (await Response.get(id=results[8].response_id)).quality_flags, "the straight-liner should be flagged"
        before = await rollup_snapshot(tenant_id)
        # The nfc response and the one without an outcome are alone in their rows; the flagged one is only counted.
        for index in (9, 7, 8, 0, 5):
            response = await find_by_receipt(results[index].receipt_code)
            assert response is not None
            await erase_response(response)
        erased = await rollup_snapshot(tenant_id)
        for table, rows in before.items():
            for key, (row_id, _) in rows.items():
                if str(shop.other_store.id) in key:
                    assert erased[table][key][0] == row_id, "rows the erasures did not touch keep their identity"
        assert not any("nfc" in key for key in erased["insights_daily"]), "an emptied row is deleted"
        assert await _daily_n(tenant_id) == 11 - 1 - 4  # 11 stored, one flagged (not in n), 4 others erased
        await recompute_rollups(tenant_id)
        assert_same_sums(erased, await rollup_snapshot(tenant_id))
    assert other.receipt_code

"""The bulk import of historical responses (core): checked like live ones, idempotent ids, rollups equal recomputation.

Runs on SQLite and PostgreSQL (``PEJLING_TEST_BACKEND=postgres``)."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pejling.core.plugin_manager import Plugins
from pejling.core.surveys.models import Answer, Response, SurveyVersion
from pejling.core.surveys.response_import import (
    DUPLICATE,
    IMPORT_CHANNEL,
    IMPORT_VIA,
    INVALID,
    MAX_AGE,
    MAX_BATCH,
    STORED,
    ImportRefused,
    ItemResult,
    import_responses,
)
from pejling.tenants.scope import tenant_scope

from .conftest import Shop
from .test_group_commit import assert_rollups_equal_recomputation

NOW = datetime.now(UTC).replace(microsecond=0)


def item(shop: Shop, n: int = 0, **changes: Any) -> dict[str, Any]:
    """A valid historical response ``n`` days ago with varied values."""
    ids = [*shop.warmup_ids, *shop.statement_ids]
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "submitted_at": (NOW - timedelta(days=30 + n, hours=n % 7)).isoformat(),
        "answers": [{"statement_id": sid, "value": 1 + (n + i) % 5} for i, sid in enumerate(ids)],
        "outcome": n % 11,
        "comment": f"Imported {n}",
        "language": "da",
    }
    body.update(changes)
    return body


async def run(shop: Shop, plugins: Plugins, items: list[Any], *, zone: bool = True,
              channels: frozenset[str] = frozenset({"qr", "email"})) -> list[ItemResult]:
    with tenant_scope(shop.tenant.id):
        version = await SurveyVersion.get(id=shop.version_id)
        return await import_responses(items, store=shop.store, zone=shop.zone if zone else None, version=version,
                                      channels=channels, now=NOW, plugins=plugins)


async def counts(shop: Shop) -> tuple[int, int]:
    with tenant_scope(shop.tenant.id):
        return await Response.all().count(), await Answer.all().count()


async def test_an_import_stores_every_response_and_the_rollups_equal_a_recomputation(
    shop: Shop, plugins: Plugins
) -> None:
    items = [item(shop, n, channel="qr" if n % 3 == 0 else None) for n in range(150)]  # three write chunks
    results = await run(shop, plugins, items)
    assert [r.status for r in results] == [STORED] * 150
    assert [r.id for r in results] == [i["id"] for i in items]
    answers = len(items[0]["answers"])
    assert await counts(shop) == (150, 150 * answers)
    with tenant_scope(shop.tenant.id):
        imported = await Response.get(id=items[1]["id"])
        assert imported.via == IMPORT_VIA and imported.channel == IMPORT_CHANNEL
        assert imported.channel_details == {"imported": True} and imported.quality_flags == []
        assert imported.submitted_at == datetime.fromisoformat(items[1]["submitted_at"])
        assert imported.zone_id == shop.zone.id and imported.outcome == 1 and imported.comment == "Imported 1"
        assert (await Response.get(id=items[0]["id"])).channel == "qr"
        assert await Answer.filter(response_id=items[1]["id"], reaction_ms__isnull=False).count() == 0
    await assert_rollups_equal_recomputation(shop.tenant.id)


async def test_a_reimport_is_a_no_op_and_conflicting_content_is_refused_per_item(shop: Shop, plugins: Plugins) -> None:
    items = [item(shop, n) for n in range(5)]
    assert [r.status for r in await run(shop, plugins, items)] == [STORED] * 5
    before = await counts(shop)
    again = await run(shop, plugins, items)
    assert [r.status for r in again] == [DUPLICATE] * 5
    changed = {**items[2], "outcome": 10 if items[2]["outcome"] != 10 else 0}
    mixed = await run(shop, plugins, [items[0], changed, item(shop, 9)])
    assert [r.status for r in mixed] == [DUPLICATE, INVALID, STORED]
    assert (mixed[1].code, mixed[1].field) == ("id_conflict", "id")
    assert await counts(shop) == (before[0] + 1, before[1] + len(items[0]["answers"]))
    with tenant_scope(shop.tenant.id):
        assert (await Response.get(id=items[2]["id"])).outcome == items[2]["outcome"]  # not overwritten
    await assert_rollups_equal_recomputation(shop.tenant.id)


async def test_the_same_id_twice_in_one_batch_is_stored_once(shop: Shop, plugins: Plugins) -> None:
    one = item(shop, 1)
    results = await run(shop, plugins, [one, dict(one), {**one, "comment": "Other"}])
    assert [r.status for r in results] == [STORED, DUPLICATE, INVALID] and results[2].code == "id_conflict"
    assert (await counts(shop))[0] == 1


async def test_a_live_response_or_another_stores_id_is_a_conflict_not_an_overwrite(
    shop: Shop, plugins: Plugins
) -> None:
    one = item(shop, 1)
    assert (await run(shop, plugins, [one]))[0].status == STORED
    with tenant_scope(shop.tenant.id):
        version = await SurveyVersion.get(id=shop.version_id)
        other = await import_responses([one], store=shop.other_store, zone=None, version=version,
                                       channels=frozenset(), now=NOW, plugins=plugins)
    assert other[0].status == INVALID and other[0].code == "id_conflict"
    # The same content without the zone is other content.
    assert (await run(shop, plugins, [one], zone=False))[0].code == "id_conflict"
    with tenant_scope(shop.tenant.id):
        assert (await Response.get(id=one["id"])).store_id == shop.store.id


@pytest.mark.parametrize(("changes", "code", "field"), [
    ({"answers": [{"statement_id": "nope", "value": 3}]}, "unknown_statement", "answers[0].statement_id"),
    ({"outcome": 11}, "outcome_out_of_range", "outcome"),
    ({"language": "de"}, "invalid_language", "language"),
    ({"channel": "carrier-pigeon"}, "invalid_channel", "channel"),
    ({"submitted_at": "yesterday"}, "invalid_time", "submitted_at"),
    ({"submitted_at": (NOW + timedelta(hours=1)).isoformat()}, "time_out_of_range", "submitted_at"),
    ({"submitted_at": (NOW - MAX_AGE - timedelta(days=1)).isoformat()}, "time_out_of_range", "submitted_at"),
    ({"started_at": (NOW + timedelta(days=1)).isoformat()}, "invalid_time", "started_at"),
    ({"id": "not-a-uuid"}, "invalid_id", "id"),
    ({"reaction_ms": 400}, "unknown_field", "reaction_ms"),
    ({"answers": []}, "invalid_answers", "answers"),
])
async def test_each_response_is_checked_like_a_live_one(
    shop: Shop, plugins: Plugins, changes: dict[str, Any], code: str, field: str
) -> None:
    good, bad = item(shop, 1), item(shop, 2, **changes)
    results = await run(shop, plugins, [bad, good])
    assert (results[0].status, results[0].code, results[0].field) == (INVALID, code, field), results[0]
    assert results[0].message
    assert results[1].status == STORED
    assert (await counts(shop))[0] == 1


async def test_a_value_off_a_statements_scale_is_refused(shop: Shop, plugins: Plugins) -> None:
    bad = item(shop, 1)
    bad["answers"][-1]["value"] = 6
    result = (await run(shop, plugins, [bad]))[0]
    assert (result.status, result.code) == (INVALID, "value_out_of_range")
    assert await counts(shop) == (0, 0)


async def test_a_batch_over_the_cap_is_refused_whole(shop: Shop, plugins: Plugins) -> None:
    with pytest.raises(ImportRefused) as refused:
        await run(shop, plugins, [item(shop, n % 50) for n in range(MAX_BATCH + 1)])
    assert refused.value.code == "too_many" and str(MAX_BATCH) in refused.value.message
    with pytest.raises(ImportRefused):
        await run(shop, plugins, [])
    assert await counts(shop) == (0, 0)


async def test_a_csv_file_imports_once_and_reports_bad_rows_by_line(
    shop: Shop, plugins: Plugins, tmp_path: Path
) -> None:
    from pejling.core.surveys.response_csv import import_response_file, summary

    ids = [*shop.warmup_ids, *shop.statement_ids]
    day = (NOW - timedelta(days=40)).isoformat()
    lines = [",".join(["submitted_at", "outcome", "language", *ids]),
             ",".join([day, "9", "da", *["4"] * len(ids)]),
             "",
             ",".join([day, "12", "da", *["4"] * len(ids)]),
             ",".join([day, "", "sv", *["2"] * (len(ids) - 1), ""])]
    path = tmp_path / "history.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = io.StringIO()
    first = await import_response_file(plugins, tenant_slug=shop.tenant.slug, store_slug=shop.store.slug, path=path,
                                       zone_name="Checkout", out=out)
    assert [(r.index, r.status, r.code) for r in first] == [
        (2, STORED, None), (4, INVALID, "outcome_out_of_range"), (5, STORED, None)]
    assert summary(first).splitlines() == ["stored 2, duplicates 0, invalid 1",
                                           "line 4: outcome_out_of_range (outcome): " + str(first[1].message)]
    assert "3/3" in out.getvalue()
    again = await import_response_file(plugins, tenant_slug=shop.tenant.slug, store_slug=shop.store.slug, path=path,
                                       out=io.StringIO(), zone_name="Checkout")
    assert [r.status for r in again] == [DUPLICATE, INVALID, DUPLICATE]
    assert (await counts(shop))[0] == 2
    with tenant_scope(shop.tenant.id):
        assert await Response.filter(zone_id=shop.zone.id, via=IMPORT_VIA).count() == 2
    await assert_rollups_equal_recomputation(shop.tenant.id)

"""Ingest rules of the survey: every refusal stores nothing; quality problems are flagged; one row per response id."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from tortoise import connections

from pejling.core.insights.models import DailyRollup
from pejling.core.plugin_manager import Plugins
from pejling.core.surveys import rate_limit
from pejling.core.surveys.ingest import IngestRefused, ingest_response
from pejling.core.surveys.invitations import create_invitation, hash_token
from pejling.core.surveys.models import Answer, Invitation, Response
from pejling.core.surveys.quality import TapForQuality, quality_flags
from pejling.core.surveys.receipts import RECEIPT
from pejling.core.surveys.survey import choose_statements
from pejling.tenants.scope import tenant_scope

from .conftest import STARTED, Shop, make_shop

BACKEND = os.environ.get("PEJLING_TEST_BACKEND", "sqlite")

UA_PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"


def url(shop: Shop, store_slug: str | None = None) -> str:
    return f"/s/{shop.tenant.slug}/{store_slug or shop.store.slug}/responses"


async def post(client: httpx.AsyncClient, shop: Shop, payload: Any, **kwargs: Any) -> httpx.Response:
    return await client.post(url(shop, kwargs.pop("store_slug", None)), json=payload, headers={"user-agent": UA_PHONE})


async def stored(shop: Shop) -> tuple[int, int]:
    with tenant_scope(shop.tenant.id):
        return await Response.all().count(), await Answer.all().count()


async def test_valid_submission_is_stored_with_every_answer(client: httpx.AsyncClient, shop: Shop) -> None:
    payload = shop.payload()
    reply = await post(client, shop, payload)
    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert body["id"] == payload["id"]
    assert body["duplicate"] is False
    assert RECEIPT.match(body["receipt_code"])
    assert body["receipt_code"] in body["thank_you"]["receipt_note"]
    assert "butikkens team" in body["thank_you"]["body"]  # Danish, the response language
    assert body["reward"] is None
    with tenant_scope(shop.tenant.id):
        response = await Response.get(id=payload["id"])
        answers = await Answer.filter(response_id=response.id).order_by("position")
    assert response.store_id == shop.store.id
    assert response.zone_id == shop.zone.id
    assert response.language == "da"
    assert response.device_class == "phone"
    assert response.duration_ms == 40_000
    assert response.outcome == 8
    assert response.quality_flags == []
    assert response.contact_email is None
    assert response.via == "json"
    assert len(response.client_key) == 32 and "127.0.0.1" not in response.client_key
    assert [a.statement_id for a in answers] == [*shop.warmup_ids, *shop.statement_ids]
    assert [a.reaction_ms for a in answers] == [a["reaction_ms"] for a in payload["answers"]]
    assert [a.warmup for a in answers] == [sid in shop.warmup_ids for sid in [*shop.warmup_ids, *shop.statement_ids]]
    assert {a.goal for a in answers if not a.warmup} == {sid.split(".")[0] for sid in shop.statement_ids}
    # The ingest keeps the insights rollups in the same transaction (raw SQL, so inside the tenant's scope: on
    # PostgreSQL row-level security shows no rows outside one).
    with tenant_scope(shop.tenant.id):
        rows = await connections.get("default").execute_query_dict(
            "SELECT COUNT(*) AS n FROM insights_daily WHERE tenant_id = " + ("$1" if BACKEND == "postgres" else "?"),
            [shop.tenant.id if BACKEND == "postgres" else str(shop.tenant.id)],
        )
    assert rows[0]["n"] >= 1


async def test_resubmission_returns_the_same_result(client: httpx.AsyncClient, shop: Shop) -> None:
    payload = shop.payload()
    first = await post(client, shop, payload)
    second = await post(client, shop, payload)
    assert first.status_code == 201 and second.status_code == 200
    assert second.json() == {**first.json(), "duplicate": True}
    assert await stored(shop) == (1, len(payload["answers"]))


async def test_concurrent_double_submit_stores_one_row(database: Any, shop: Shop, plugins: Plugins) -> None:
    payload = shop.payload()

    async def submit() -> Any:
        return await ingest_response(
            payload,
            tenant_slug=shop.tenant.slug,
            store_slug=shop.store.slug,
            client_address="10.0.0.7",
            user_agent=UA_PHONE,
            via="json",
            settings=database,
            plugins=plugins,
        )

    results = await asyncio.gather(submit(), submit())
    assert sorted(r.duplicate for r in results) == [False, True]
    assert results[0].receipt_code == results[1].receipt_code
    assert await stored(shop) == (1, len(payload["answers"]))


async def test_same_id_at_another_store_is_a_conflict(client: httpx.AsyncClient, shop: Shop) -> None:
    payload = shop.payload()
    assert (await post(client, shop, payload)).status_code == 201
    other = {**payload, "zone_id": None}
    reply = await post(client, shop, other, store_slug=shop.other_store.slug)
    assert reply.status_code == 409
    assert reply.json()["error"] == "id_conflict"
    assert await stored(shop) == (1, len(payload["answers"]))


def _answers(shop: Shop, payload: dict[str, Any], index: int, **changes: Any) -> list[dict[str, Any]]:
    answers = [dict(a) for a in payload["answers"]]
    answers[index].update(changes)
    return answers


REFUSALS: list[tuple[str, Any, int, str]] = [
    ("bad id", lambda s, p: {**p, "id": "not-a-uuid"}, 422, "invalid_id"),
    ("missing id", lambda s, p: {k: v for k, v in p.items() if k != "id"}, 422, "invalid_id"),
    ("bad survey id", lambda s, p: {**p, "survey_version_id": "x" * 36}, 422, "invalid_id"),
    ("unknown survey", lambda s, p: {**p, "survey_version_id": str(uuid.uuid4())}, 404, "survey_not_found"),
    ("unknown zone", lambda s, p: {**p, "zone_id": str(uuid.uuid4())}, 422, "unknown_zone"),
    ("unknown channel", lambda s, p: {**p, "channel": "fax"}, 422, "invalid_channel"),
    ("unknown language", lambda s, p: {**p, "language": "de"}, 422, "invalid_language"),
    ("time without offset", lambda s, p: {**p, "started_at": "2026-11-20T12:00:00"}, 422, "invalid_time"),
    ("no answers", lambda s, p: {**p, "answers": []}, 422, "invalid_answers"),
    (
        "unknown statement",
        lambda s, p: {**p, "answers": _answers(s, p, 1, statement_id="ease.does-not-exist")},
        422,
        "unknown_statement",
    ),
    (
        "statement not in this version",
        lambda s, p: {**p, "answers": _answers(s, p, 1, statement_id="warmup.can-read-this")},
        422,
        "unknown_statement",
    ),
    (
        "duplicated statement",
        lambda s, p: {**p, "answers": _answers(s, p, 2, statement_id=p["answers"][1]["statement_id"])},
        422,
        "duplicate_statement",
    ),
    ("value 6", lambda s, p: {**p, "answers": _answers(s, p, 1, value=6)}, 422, "value_out_of_range"),
    ("value 0", lambda s, p: {**p, "answers": _answers(s, p, 1, value=0)}, 422, "value_out_of_range"),
    ("value text", lambda s, p: {**p, "answers": _answers(s, p, 1, value="5")}, 422, "value_out_of_range"),
    ("value bool", lambda s, p: {**p, "answers": _answers(s, p, 1, value=True)}, 422, "value_out_of_range"),
    (
        "negative reaction time",
        lambda s, p: {**p, "answers": _answers(s, p, 1, reaction_ms=-1)},
        422,
        "reaction_time_out_of_range",
    ),
    (
        "absurd reaction time",
        lambda s, p: {**p, "answers": _answers(s, p, 1, reaction_ms=60_001)},
        422,
        "reaction_time_out_of_range",
    ),
    ("same position twice", lambda s, p: {**p, "answers": _answers(s, p, 1, position=0)}, 422, "invalid_position"),
    ("outcome 11", lambda s, p: {**p, "outcome": 11}, 422, "outcome_out_of_range"),
    ("comment too long", lambda s, p: {**p, "comment": "x" * 281}, 422, "comment_too_long"),
    (
        "email without consent",
        lambda s, p: {**p, "consent": {"contact": False, "email": "a@example.com"}},
        422,
        "email_without_consent",
    ),
    ("consent without email", lambda s, p: {**p, "consent": {"contact": True, "email": None}}, 422, "invalid_email"),
    ("body not an object", lambda s, p: [p], 400, "malformed"),
]


@pytest.mark.parametrize(("change", "status", "code"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
async def test_bad_input_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, shop: Shop, change: Any, status: int, code: str
) -> None:
    reply = await post(client, shop, change(shop, shop.payload()))
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert body["error"] == code
    assert body["message"]
    assert set(body) == {"error", "message", "field"}
    assert await stored(shop) == (0, 0)


async def test_unknown_tenant_and_store_are_404(client: httpx.AsyncClient, shop: Shop) -> None:
    reply = await client.post(f"/s/no-such-tenant-{uuid.uuid4().hex[:6]}/main/responses", json=shop.payload())
    assert reply.status_code == 404
    assert reply.json()["error"] == "survey_not_found"
    reply = await post(client, shop, shop.payload(), store_slug="no-such-store")
    assert reply.status_code == 404
    assert reply.json()["error"] == "store_not_found"
    assert await stored(shop) == (0, 0)


async def test_wrong_content_type_is_415(client: httpx.AsyncClient, shop: Shop) -> None:
    reply = await client.post(url(shop), content=json.dumps(shop.payload()), headers={"content-type": "text/plain"})
    assert reply.status_code == 415
    assert reply.json()["error"] == "unsupported_media_type"
    assert await stored(shop) == (0, 0)


async def test_malformed_json_is_400(client: httpx.AsyncClient, shop: Shop) -> None:
    reply = await client.post(url(shop), content=b'{"id": ', headers={"content-type": "application/json"})
    assert reply.status_code == 400
    assert reply.json()["error"] == "invalid_json"


async def test_body_over_16_kb_is_413(client: httpx.AsyncClient, shop: Shop) -> None:
    payload = shop.payload(comment="x" * (17 * 1024))
    reply = await client.post(url(shop), content=json.dumps(payload), headers={"content-type": "application/json"})
    assert reply.status_code == 413
    assert reply.json()["error"] == "too_large"

    async def chunks() -> Any:  # no Content-Length: the limit holds while streaming
        data = json.dumps(payload).encode()
        for start in range(0, len(data), 4096):
            yield data[start : start + 4096]

    reply = await client.post(url(shop), content=chunks(), headers={"content-type": "application/json"})
    assert reply.status_code == 413
    assert await stored(shop) == (0, 0)


async def test_contact_email_is_kept_only_with_consent(client: httpx.AsyncClient, shop: Shop) -> None:
    payload = shop.payload(consent={"contact": True, "email": " Shopper@Example.com "})
    assert (await post(client, shop, payload)).status_code == 201
    with tenant_scope(shop.tenant.id):
        response = await Response.get(id=payload["id"])
    assert response.consent_contact is True
    assert response.contact_email == "shopper@example.com"


# -- invitations --


async def test_invitation_is_single_use(client: httpx.AsyncClient, shop: Shop) -> None:
    with tenant_scope(shop.tenant.id):
        invitation, token = await create_invitation(shop.store, channel="email")
    assert invitation.token_hash == hash_token(token) and token not in invitation.token_hash
    payload = shop.payload(invitation=token, channel="qr")
    first = await post(client, shop, payload)
    assert first.status_code == 201, first.text
    with tenant_scope(shop.tenant.id):
        response = await Response.get(id=payload["id"])
        assert response.channel == "email" and response.invitation_id == invitation.id
        assert (await Invitation.get(id=invitation.id)).used_at is not None
    # The same response again is a resend, not a second use.
    assert (await post(client, shop, payload)).status_code == 200
    reply = await post(client, shop, shop.payload(invitation=token))
    assert reply.status_code == 409
    assert reply.json()["error"] == "invitation_used"
    assert (await stored(shop))[0] == 1


async def test_expired_and_unknown_invitations_are_refused(client: httpx.AsyncClient, shop: Shop) -> None:
    with tenant_scope(shop.tenant.id):
        _, token = await create_invitation(shop.store, valid_for=timedelta(seconds=-1))
        _, other_store_token = await create_invitation(shop.other_store)
    reply = await post(client, shop, shop.payload(invitation=token))
    assert reply.status_code == 410
    assert reply.json()["error"] == "invitation_expired"
    for bad in ("no-such-token", other_store_token):
        reply = await post(client, shop, shop.payload(invitation=bad))
        assert reply.status_code == 404
        assert reply.json()["error"] == "invitation_not_found"
    assert await stored(shop) == (0, 0)


async def test_invitation_used_concurrently_by_two_responses_is_taken_once(
    database: Any, shop: Shop, plugins: Plugins
) -> None:
    with tenant_scope(shop.tenant.id):
        _, token = await create_invitation(shop.store)

    async def submit() -> Any:
        try:
            return await ingest_response(
                shop.payload(invitation=token),
                tenant_slug=shop.tenant.slug,
                store_slug=shop.store.slug,
                client_address="10.0.0.8",
                user_agent=UA_PHONE,
                via="json",
                settings=database,
                plugins=plugins,
            )
        except IngestRefused as refused:
            return refused

    results = await asyncio.gather(submit(), submit())
    refused = [r for r in results if isinstance(r, IngestRefused)]
    assert len(refused) == 1 and refused[0].status == 409
    assert (await stored(shop))[0] == 1


# -- quality flags --


async def _flags(client: httpx.AsyncClient, shop: Shop, payload: dict[str, Any]) -> list[str]:
    reply = await post(client, shop, payload)
    assert reply.status_code == 201, reply.text
    with tenant_scope(shop.tenant.id):
        return list((await Response.get(id=payload["id"])).quality_flags)


async def _daily_counts(shop: Shop) -> tuple[int, int]:
    """(n, n_flagged) summed over the shop's insights_daily rows."""
    with tenant_scope(shop.tenant.id):
        rows = await DailyRollup.filter(store_id=shop.store.id).values("n", "n_flagged")
    return sum(int(r["n"]) for r in rows), sum(int(r["n_flagged"]) for r in rows)


async def test_mostly_fast_taps_are_flagged_not_dropped(client: httpx.AsyncClient, shop: Shop) -> None:
    payload = shop.payload()
    fast = len(payload["answers"]) // 2 + 1  # more than half of the timed taps under 300 ms: a likely bot
    for answer in payload["answers"][:fast]:
        answer["reaction_ms"] = 120
    assert await _flags(client, shop, payload) == ["fast_taps"]
    with tenant_scope(shop.tenant.id):
        assert await Answer.filter(response_id=payload["id"]).count() == len(payload["answers"])
    assert await _daily_counts(shop) == (0, 1)  # kept, but only counted as flagged


async def test_one_anticipation_drops_the_tap_not_the_response(client: httpx.AsyncClient, shop: Shop) -> None:
    payload = shop.payload()
    payload["answers"][-1]["reaction_ms"] = 120
    assert await _flags(client, shop, payload) == []
    with tenant_scope(shop.tenant.id):
        stored_answers = await Answer.filter(response_id=payload["id"]).order_by("position")
    assert [a.reaction_ms for a in stored_answers] == [a["reaction_ms"] for a in payload["answers"]]
    assert await _daily_counts(shop) == (1, 0)  # the response counts in every figure


def test_fast_taps_threshold_is_more_than_half() -> None:
    started = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    ended = started + timedelta(seconds=30)
    ten = [TapForQuality(value=1 + i % 5, reaction_ms=900, warmup=i == 0) for i in range(10)]
    one_fast = [TapForQuality(1, 120, True), *ten[1:]]
    half_fast = [TapForQuality(1 + i % 5, 250, i == 0) for i in range(5)] + ten[5:]
    six_fast = [TapForQuality(1 + i % 5, 250, i == 0) for i in range(6)] + ten[6:]
    assert quality_flags(one_fast, started, ended) == []
    assert quality_flags(half_fast, started, ended) == []
    assert quality_flags(six_fast, started, ended) == ["fast_taps"]
    # The share is of the timed taps: taps without a time (the no-JavaScript form) neither count nor dilute it.
    untimed = [TapForQuality(3 + i % 2, None, False) for i in range(8)]
    assert quality_flags([*six_fast[:2], ten[2], *untimed], started, ended) == ["fast_taps"]
    assert quality_flags([TapForQuality(3, None, False)] * 10, started, ended) == []


async def test_straight_lining_with_tiny_reaction_times_is_flagged(client: httpx.AsyncClient, shop: Shop) -> None:
    payload = shop.payload()
    for answer in payload["answers"]:
        answer["value"] = 5
        answer["reaction_ms"] = 380
    assert await _flags(client, shop, payload) == ["straight_line"]
    slow = shop.payload()
    for answer in slow["answers"]:
        answer["value"] = 5
        answer["reaction_ms"] = 1400
    assert await _flags(client, shop, slow) == []


@pytest.mark.parametrize(
    "submitted_after",
    [timedelta(seconds=-5), timedelta(seconds=2), timedelta(hours=3)],
    ids=["submitted before started", "shorter than its taps", "absurdly long"],
)
async def test_impossible_duration_is_flagged(
    client: httpx.AsyncClient, shop: Shop, submitted_after: timedelta
) -> None:
    started = STARTED
    payload = shop.payload(started_at=started.isoformat(), submitted_at=(started + submitted_after).isoformat())
    assert await _flags(client, shop, payload) == ["impossible_duration"]


async def test_form_submission_without_reaction_times_is_accepted(database: Any, shop: Shop, plugins: Plugins) -> None:
    payload = shop.payload()
    for answer in payload["answers"]:
        answer["reaction_ms"] = None
    result = await ingest_response(
        payload,
        tenant_slug=shop.tenant.slug,
        store_slug=shop.store.slug,
        client_address="10.0.0.9",
        user_agent="",
        via="form",
        settings=database,
        plugins=plugins,
    )
    assert not result.duplicate and result.quality_flags == ()
    with tenant_scope(shop.tenant.id):
        response = await Response.get(id=payload["id"])
        assert response.via == "form" and response.device_class == "phone"  # from the viewport width


# -- rate limits --


async def test_rate_limit_per_client_and_store_answers_429(
    client: httpx.AsyncClient, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rate_limit, "SUBMISSION_LIMIT", rate_limit.Limit(count=2, window_seconds=3600))
    assert (await post(client, shop, shop.payload())).status_code == 201
    resend = shop.payload()
    assert (await post(client, shop, resend)).status_code == 201
    reply = await post(client, shop, shop.payload())
    assert reply.status_code == 429
    assert reply.json()["error"] == "rate_limited"
    assert 1 <= int(reply.headers["retry-after"]) <= 3600
    # A resend of a stored response needs no room in the spent quota; another store has its own budget.
    assert (await post(client, shop, resend)).status_code == 200
    other = shop.payload(zone_id=None)
    assert (await post(client, shop, other, store_slug=shop.other_store.slug)).status_code == 201
    assert (await stored(shop))[0] == 3


# -- survey versions --


async def test_survey_version_of_another_tenant_is_unknown(client: httpx.AsyncClient, shop: Shop) -> None:
    other = await make_shop()
    reply = await post(client, shop, shop.payload(survey_version_id=other.version_id))
    assert reply.status_code == 404
    assert reply.json()["error"] == "survey_not_found"
    assert await stored(shop) == (0, 0)


async def test_a_page_loaded_before_a_survey_change_still_submits_to_its_version(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    with tenant_scope(shop.tenant.id):
        new = await choose_statements(["ease.quick-to-pay", "value.worth-the-time"])
    old_page = shop.payload()
    assert (await post(client, shop, old_page)).status_code == 201
    with tenant_scope(shop.tenant.id):
        assert str((await Response.get(id=old_page["id"])).survey_version_id) == shop.version_id
    mixed = shop.payload(survey_version_id=str(new.id))  # old statements against the new version
    reply = await post(client, shop, mixed)
    assert reply.status_code == 422 and reply.json()["error"] == "unknown_statement"


async def test_control_characters_and_lone_surrogates_never_reach_the_database(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    payload = shop.payload(comment="Good\x00 \ud800 queue\n\n at\tthe  till")
    body = json.dumps(payload)  # keeps the lone surrogate as an escape, as a hostile client could send it
    reply = await client.post(url(shop), content=body, headers={"content-type": "application/json"})
    assert reply.status_code == 201, reply.text
    with tenant_scope(shop.tenant.id):
        assert (await Response.get(id=payload["id"])).comment == "Good queue at the till"
    bad_email = shop.payload(consent={"contact": True, "email": "a\x00b@example.com"})
    reply = await client.post(url(shop), content=json.dumps(bad_email), headers={"content-type": "application/json"})
    assert reply.status_code == 422 and reply.json()["error"] == "invalid_email"
    for hostile in ("\ud800", "x" * 5000, "a\x00b"):
        reply = await client.post(
            url(shop),
            content=json.dumps(shop.payload(invitation=hostile)),
            headers={"content-type": "application/json"},
        )
        assert reply.status_code == 404 and reply.json()["error"] == "invitation_not_found"


@pytest.mark.parametrize("slug", ["\ud800", "UPPER", "a" * 64, "a\x00b"])
async def test_hostile_slugs_are_unknown(database: Any, shop: Shop, slug: str, plugins: Plugins) -> None:
    for tenant_slug, store_slug in ((slug, shop.store.slug), (shop.tenant.slug, slug)):
        with pytest.raises(IngestRefused) as refused:
            await ingest_response(
                shop.payload(),
                tenant_slug=tenant_slug,
                store_slug=store_slug,
                client_address="",
                user_agent="",
                via="graphql",
                settings=database,
                plugins=plugins,
            )
        assert refused.value.status == 404

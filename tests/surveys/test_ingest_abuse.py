"""Issue 8, the outside attack on the public ingest: no unauthenticated 500s, and a response id is no key to a receipt.

Every test here failed on the code before the fix: the times and the deep JSON crashed (OverflowError,
RecursionError), and any body under a known id got its receipt code back, unlimited.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from pejling.core.plugin_manager import Plugins, load_plugins
from pejling.core.surveys import rate_limit
from pejling.core.surveys.ingest import (
    MAX_CLOCK_AHEAD,
    MAX_TIME_AGE,
    IngestRefused,
    IngestResult,
    canonical_submission,
    ingest_response,
    submission_digest,
)
from pejling.core.surveys.invitations import create_invitation
from pejling.core.surveys.models import Answer, Response
from pejling.core.surveys.routes import MAX_JSON_DEPTH, json_depth
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.scope import tenant_scope
from tests.support.tenancy import gql

from .conftest import Shop, make_shop

UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148"
#: No UTC time exists for these: converting them raised OverflowError (a 500).
OVERFLOWING = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]

SUBMIT = """mutation($input: ResponseInput!) { submitResponse(input: $input) {
  response { id receiptCode duplicate } errors { code message field } } }"""


def url(shop: Shop, store_slug: str | None = None) -> str:
    return f"/s/{shop.tenant.slug}/{store_slug or shop.store.slug}/responses"


async def post(client: httpx.AsyncClient, shop: Shop, payload: Any, store_slug: str | None = None) -> httpx.Response:
    return await client.post(url(shop, store_slug), json=payload, headers={"user-agent": UA})


async def stored(shop: Shop) -> tuple[int, int]:
    with tenant_scope(shop.tenant.id):
        return await Response.all().count(), await Answer.all().count()


@pytest.fixture(autouse=True)
def fresh_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with empty rate-limit counters (every request here comes from the same test address)."""
    monkeypatch.setattr(rate_limit, "_limiters", {})


# -- A: times that have no UTC time, or lie far outside any real visit --


@pytest.mark.parametrize("field", ["started_at", "submitted_at"])
@pytest.mark.parametrize("moment", OVERFLOWING)
async def test_times_without_a_utc_time_are_a_clear_422(
    client: httpx.AsyncClient, shop: Shop, field: str, moment: str
) -> None:
    reply = await post(client, shop, shop.payload(**{field: moment}))
    assert reply.status_code == 422, reply.text
    assert reply.json() == {"error": "invalid_time", "message": reply.json()["message"], "field": field}
    assert await stored(shop) == (0, 0)


@pytest.mark.parametrize(
    "moment",
    [
        lambda now: now - MAX_TIME_AGE - timedelta(minutes=1),
        lambda now: now + MAX_CLOCK_AHEAD + timedelta(minutes=1),
        lambda now: datetime(1970, 1, 1, tzinfo=UTC),
        lambda now: datetime(2999, 1, 1, tzinfo=UTC),
    ],
    ids=["older than the window", "beyond clock skew", "epoch", "far future"],
)
@pytest.mark.parametrize("field", ["started_at", "submitted_at"])
async def test_a_phone_clock_far_off_keeps_the_answers_moved_to_their_arrival_and_flagged(
    client: httpx.AsyncClient, shop: Shop, field: str, moment: Any
) -> None:
    """Shopper data is never lost to a wrong clock: the times move to the arrival, the rest is kept and flagged."""
    now = datetime.now(UTC)
    sent = shop.payload()
    took = datetime.fromisoformat(sent["submitted_at"]) - datetime.fromisoformat(sent["started_at"])
    if field == "started_at":
        payload = shop.payload(started_at=moment(now).isoformat())
    else:  # the whole clock is off: both times shifted alike, so the time it took is still known
        shift = moment(now) - datetime.fromisoformat(sent["submitted_at"])
        payload = shop.payload(started_at=(datetime.fromisoformat(sent["started_at"]) + shift).isoformat(),
                               submitted_at=moment(now).isoformat())
    reply = await post(client, shop, payload)
    assert reply.status_code == 201, reply.text
    assert await stored(shop) == (1, len(payload["answers"]))
    with tenant_scope(shop.tenant.id):
        response = await Response.get(id=payload["id"])
    assert abs(response.submitted_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert now - MAX_TIME_AGE <= response.started_at <= response.submitted_at
    assert "clock_adjusted" in response.quality_flags
    if field == "submitted_at":
        assert response.submitted_at - response.started_at == took
    else:  # a start years before the submission is no duration: none is invented
        assert response.started_at == response.submitted_at and "impossible_duration" in response.quality_flags
    again = await post(client, shop, payload)  # the outbox resends the same body: the same receipt, one row
    assert again.status_code in (200, 201) and again.json()["receipt_code"] == reply.json()["receipt_code"]
    assert await stored(shop) == (1, len(payload["answers"]))


async def test_times_inside_the_window_are_kept_as_sent(client: httpx.AsyncClient, shop: Shop) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    old = now - MAX_TIME_AGE + timedelta(hours=1)  # an outbox that waited almost a year
    ahead = now + MAX_CLOCK_AHEAD - timedelta(hours=1)  # a phone clock ahead
    payload = shop.payload(started_at=old.isoformat(), submitted_at=ahead.astimezone().isoformat())
    reply = await post(client, shop, payload)
    assert reply.status_code == 201, reply.text
    with tenant_scope(shop.tenant.id):
        response = await Response.get(id=payload["id"])
    assert response.started_at == old and response.submitted_at == ahead
    assert "impossible_duration" in response.quality_flags


@pytest.mark.parametrize("moment", OVERFLOWING)
async def test_graphql_submit_with_such_a_time_is_a_typed_error(
    client: httpx.AsyncClient, shop: Shop, moment: str
) -> None:
    body = shop.payload()
    variables = {"input": {
        "id": body["id"], "tenantSlug": shop.tenant.slug, "storeSlug": shop.store.slug,
        "surveyVersionId": body["survey_version_id"], "zoneId": encode_id("Zone", shop.zone.id),
        "startedAt": moment, "submittedAt": body["submitted_at"], "language": "en",
        "answers": [{"statementId": a["statement_id"], "value": a["value"], "position": a["position"]}
                    for a in body["answers"]],
    }}
    result = await gql(client, SUBMIT, variables)
    assert "errors" not in result, result
    payload = result["data"]["submitResponse"]
    assert payload["response"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("invalid_time", "started_at")]
    assert await stored(shop) == (0, 0)


# -- A: JSON that the parser cannot take --


async def test_json_nested_thousands_deep_under_16_kb_is_400(client: httpx.AsyncClient, shop: Shop) -> None:
    body = b'{"id":' + b"[" * 3000 + b"]" * 3000 + b"}"
    assert len(body) < 16 * 1024
    reply = await client.post(url(shop), content=body, headers={"content-type": "application/json"})
    assert reply.status_code == 400
    assert reply.json()["error"] == "invalid_json"
    assert await stored(shop) == (0, 0)


@pytest.mark.parametrize(
    "body",
    [
        b'{"id": ',
        b"NaN",
        b'{"outcome": Infinity}',
        b'{"outcome": ' + b"9" * 5000 + b"}",  # over Python's integer-string limit
        "{\"comment\": \"blåbær\"}".encode("utf-16"),
        b"\xff\xfe\xfd",
        b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1),
    ],
    ids=["truncated", "NaN", "Infinity", "huge integer", "utf-16", "not text", "one level too deep"],
)
async def test_bodies_that_are_not_plain_json_are_400(client: httpx.AsyncClient, shop: Shop, body: bytes) -> None:
    reply = await client.post(url(shop), content=body, headers={"content-type": "application/json"})
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"] == "invalid_json"
    assert await stored(shop) == (0, 0)


def test_json_depth_ignores_brackets_in_strings() -> None:
    assert json_depth('{"answers": [{"comment": "[[[{{{\\"]]]"}]}') == 3
    assert json_depth('"[[[[') == 0  # an unterminated string runs to the end
    assert json_depth("[" * 3000) == 3000


async def test_a_real_submission_is_within_the_depth_limit(client: httpx.AsyncClient, shop: Shop) -> None:
    payload = shop.payload(comment="Brackets [like {these}] are fine in text")
    assert json_depth(json.dumps(payload)) <= MAX_JSON_DEPTH
    assert (await post(client, shop, payload)).status_code == 201


# -- B: a known response id is no key to its receipt --


async def test_a_resend_of_the_same_submission_returns_the_receipt(client: httpx.AsyncClient, shop: Shop) -> None:
    payload = shop.payload()
    first = await post(client, shop, payload)
    assert first.status_code == 201
    # The same submission, spelled differently: key order, "Z", 5.0 for 5, padded comment.
    respelled = dict(reversed(list(payload.items())))
    respelled["started_at"] = payload["started_at"].replace("+00:00", "Z")
    respelled["answers"] = [{**a, "value": float(a["value"])} for a in payload["answers"]]
    respelled["comment"] = f"  {payload['comment']} "
    for body in (payload, respelled):
        again = await post(client, shop, body)
        assert again.status_code == 200, again.text
        assert again.json() == {**first.json(), "duplicate": True}
    assert await stored(shop) == (1, len(payload["answers"]))


def _changed_bodies(shop: Shop, payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    one_value = [dict(a) for a in payload["answers"]]
    one_value[1]["value"] = 1 if one_value[1]["value"] != 1 else 2
    return {
        "another outcome": {**payload, "outcome": 3},
        "another answer": {**payload, "answers": one_value},
        "another comment": {**payload, "comment": "Hello"},
        "another start": {**payload, "started_at": (STARTED_PLUS(payload, seconds=1))},
        "another zone": {**payload, "zone_id": None},
        "an email": {**payload, "consent": {"contact": True, "email": "thief@example.com"}},
    }


def STARTED_PLUS(payload: dict[str, Any], *, seconds: int) -> str:  # noqa: N802 - reads as a constant in the table
    return (datetime.fromisoformat(payload["started_at"]) + timedelta(seconds=seconds)).isoformat()


async def test_a_different_body_under_a_known_id_gets_no_receipt(client: httpx.AsyncClient, shop: Shop) -> None:
    payload = shop.payload()
    first = await post(client, shop, payload)
    receipt = first.json()["receipt_code"]
    for name, body in _changed_bodies(shop, payload).items():
        reply = await post(client, shop, body)
        assert reply.status_code == 409, (name, reply.text)
        assert reply.json() == {
            "error": "id_conflict", "message": "This response id is already in use; generate a new one.", "field": "id"
        }, name
        assert receipt not in reply.text
    # What the attack sent: the id alone. It is checked like any new submission, and the receipt stays hidden.
    for bare in ({"id": payload["id"]}, {"id": payload["id"], "survey_version_id": payload["survey_version_id"]}):
        reply = await post(client, shop, bare)
        assert reply.status_code == 422 and receipt not in reply.text
    assert await stored(shop) == (1, len(payload["answers"]))
    with tenant_scope(shop.tenant.id):
        response = await Response.get(id=payload["id"])
    assert response.outcome == payload["outcome"] and response.contact_email is None


async def test_an_id_of_another_store_or_tenant_is_answered_like_a_conflict_here(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    elsewhere = await make_shop()
    here_id, other_store_id, other_tenant_id = shop.payload()["id"], shop.payload()["id"], shop.payload()["id"]
    assert (await post(client, shop, shop.payload(id=here_id))).status_code == 201
    reply = await post(client, shop, shop.payload(id=other_store_id, zone_id=None), shop.other_store.slug)
    assert reply.status_code == 201
    assert (await post(client, elsewhere, elsewhere.payload(id=other_tenant_id))).status_code == 201

    replies = [
        await post(client, shop, shop.payload(id=here_id, outcome=0)),  # same store, another body
        await post(client, shop, shop.payload(id=other_store_id)),  # this tenant, another store
        await post(client, shop, shop.payload(id=other_tenant_id)),  # another tenant, even the very same body
        await post(client, shop, {**elsewhere.payload(id=other_tenant_id), "survey_version_id": shop.version_id,
                                  "zone_id": None}),
    ]
    assert {r.status_code for r in replies} == {409}
    assert len({r.content for r in replies}) == 1
    assert {tuple(sorted((k, v) for k, v in r.headers.items() if k != "date")) for r in replies} == {
        tuple(sorted((k, v) for k, v in replies[0].headers.items() if k != "date"))
    }
    # A bad body is refused exactly as it would be under a fresh id: the id's existence does not show.
    fresh = await post(client, shop, shop.payload(outcome=11))
    for known in (here_id, other_store_id, other_tenant_id):
        reply = await post(client, shop, shop.payload(id=known, outcome=11))
        assert (reply.status_code, reply.content) == (fresh.status_code, fresh.content) == (422, fresh.content)
    assert (await stored(shop))[0] == 2 and (await stored(elsewhere))[0] == 1


async def test_graphql_conflicts_read_the_same_wherever_the_id_is(client: httpx.AsyncClient, shop: Shop) -> None:
    elsewhere = await make_shop()
    theirs = elsewhere.payload()
    assert (await post(client, elsewhere, theirs)).status_code == 201
    mine = shop.payload()
    assert (await post(client, shop, mine)).status_code == 201

    def variables(body: dict[str, Any]) -> dict[str, Any]:
        return {"input": {
            "id": body["id"], "tenantSlug": shop.tenant.slug, "storeSlug": shop.store.slug,
            "surveyVersionId": shop.version_id, "startedAt": body["started_at"], "submittedAt": body["submitted_at"],
            "language": "da", "answers": [{"statementId": a["statement_id"], "value": a["value"],
                                           "position": a["position"]} for a in shop.payload()["answers"]],
        }}

    results = [(await gql(client, SUBMIT, variables(body)))["data"]["submitResponse"] for body in (theirs, mine)]
    assert results[0] == results[1] == {"response": None, "errors": [
        {"code": "id_conflict", "message": "This response id is already in use; generate a new one.", "field": "id"}
    ]}


async def test_resends_and_conflicts_count_against_the_not_stored_budget(
    client: httpx.AsyncClient, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rate_limit, "SUBMISSION_LIMIT", rate_limit.Limit(count=2, window_seconds=3600))
    monkeypatch.setattr(rate_limit, "REFUSED_MIN", 2)
    monkeypatch.setattr(rate_limit, "REFUSED_FACTOR", 1)
    payload = shop.payload()
    assert (await post(client, shop, payload)).status_code == 201
    assert (await post(client, shop, payload)).status_code == 200  # resend: not stored, counted as such
    assert (await post(client, shop, {**payload, "outcome": 1})).status_code == 409  # conflict: the same
    for body in (payload, {**payload, "outcome": 2}, shop.payload()):
        reply = await post(client, shop, body)
        assert reply.status_code == 429, reply.text
        assert reply.json()["error"] == "rate_limited" and "receipt_code" not in reply.text
        assert 1 <= int(reply.headers["retry-after"]) <= 3600
    assert await stored(shop) == (1, len(payload["answers"]))


_loaded: list[Plugins] = []


async def _plugins(settings: Any) -> Plugins:
    """The installed plugins (they bring the channels), loaded once for this module's direct ingest calls."""
    if not _loaded:
        _loaded.append(await load_plugins(settings))
    return _loaded[0]


async def _ingest(
    shop: Shop, settings: Any, payload: dict[str, Any], via: str = "json"
) -> IngestResult | IngestRefused:
    try:
        return await ingest_response(
            payload, tenant_slug=shop.tenant.slug, store_slug=shop.store.slug, client_address="10.8.0.1",
            user_agent=UA, via=via, settings=settings, plugins=await _plugins(settings),
        )
    except IngestRefused as refused:
        return refused


async def test_two_concurrent_identical_submissions_store_one_and_both_get_the_receipt(
    database: Any, shop: Shop
) -> None:
    with tenant_scope(shop.tenant.id):
        _, token = await create_invitation(shop.store)
    payload = shop.payload(invitation=token)
    results = await asyncio.gather(*(_ingest(shop, database, payload) for _ in range(3)))
    assert all(isinstance(r, IngestResult) for r in results), results
    receipts = {r.receipt_code for r in results if isinstance(r, IngestResult)}
    assert len(receipts) == 1
    assert sorted(r.duplicate for r in results if isinstance(r, IngestResult)) == [False, True, True]
    assert await stored(shop) == (1, len(payload["answers"]))


async def test_two_concurrent_different_bodies_under_one_id_store_one_and_hide_its_receipt(
    database: Any, shop: Shop
) -> None:
    first = shop.payload(outcome=10)
    second = {**first, "outcome": 0}
    results = await asyncio.gather(_ingest(shop, database, first), _ingest(shop, database, second))
    won = [r for r in results if isinstance(r, IngestResult)]
    lost = [r for r in results if isinstance(r, IngestRefused)]
    assert len(won) == 1 and len(lost) == 1
    assert (lost[0].status, lost[0].code) == (409, "id_conflict")
    assert won[0].receipt_code not in lost[0].message
    assert await stored(shop) == (1, len(first["answers"]))


async def test_rows_stored_before_digests_still_take_their_honest_resend(database: Any, shop: Shop) -> None:
    """A row from before the migration has no digest: the resend is compared with what the row holds."""
    json_body = shop.payload(consent={"contact": True, "email": " Shopper@Example.com"})
    form_body = shop.payload()
    for answer in form_body["answers"]:
        answer["reaction_ms"] = None
    first_json = await _ingest(shop, database, json_body)
    first_form = await _ingest(shop, database, form_body, via="form")
    assert isinstance(first_json, IngestResult) and isinstance(first_form, IngestResult)
    with tenant_scope(shop.tenant.id):
        assert await Response.filter(submission_digest__isnull=True).count() == 0
        await Response.filter(id__in=[json_body["id"], form_body["id"]]).update(submission_digest=None)

    again = await _ingest(shop, database, json_body)
    assert isinstance(again, IngestResult) and again.receipt_code == first_json.receipt_code and again.duplicate
    # The plain form stamps submitted_at at every post: a reload of the same form is still the same submission.
    later = {**form_body, "submitted_at": datetime.now(UTC).isoformat()}
    again = await _ingest(shop, database, later, via="form")
    assert isinstance(again, IngestResult) and again.receipt_code == first_form.receipt_code

    for body, via in (({**json_body, "outcome": 0}, "json"), ({**json_body, "submitted_at": later["submitted_at"]},
                                                              "json"), ({**later, "comment": "other"}, "form")):
        refused = await _ingest(shop, database, body, via=via)
        assert isinstance(refused, IngestRefused) and refused.code == "id_conflict", (body, refused)
    assert (await stored(shop))[0] == 2


def test_the_digest_covers_the_submission_not_its_spelling(shop: Shop) -> None:
    payload = shop.payload()
    canonical = canonical_submission(payload, via="json")
    assert canonical is not None
    digest = submission_digest(canonical)
    assert len(digest) == 64
    same = canonical_submission({**payload, "client": {"viewport_width": 1}, "outcome": 8.0}, via="json")
    assert same is not None and submission_digest(same) == digest
    for change in ({"outcome": 7}, {"language": "sv"}, {"channel": "nfc"}, {"invitation": "x" * 20},
                   {"submitted_at": STARTED_PLUS(payload, seconds=41)}):
        other = canonical_submission({**payload, **change}, via="json")
        assert other is not None and submission_digest(other) != digest, change
    # The plain form's submitted_at is the server's clock, not the shopper's: it is left out for via="form".
    form = canonical_submission(payload, via="form")
    later = canonical_submission({**payload, "submitted_at": STARTED_PLUS(payload, seconds=99)}, via="form")
    assert form is not None and later is not None and submission_digest(form) == submission_digest(later)
    assert canonical_submission({**payload, "answers": "no"}, via="json") is None

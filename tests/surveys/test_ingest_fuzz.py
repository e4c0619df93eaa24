"""Property-based fuzzing of the public ingest (issue 8): the JSON endpoint and GraphQL ``submitResponse``.

Bodies are valid submissions with mutated fields (wrong types, extreme numbers, huge and odd strings, unicode, bad
dates, missing and extra keys, nesting), resends of accepted ones, and garbage. Properties, for every example:

* the answer is never a 5xx, and a refusal is a documented 4xx with the JSON error shape;
* a refusal stores nothing (responses and answers of the tenant counted before and after), an accepted submission
  stores exactly one response with one answer row per tap, a resend stores nothing;
* a receipt code is only ever in the answer to the submission that made it (or a resend of that very submission).

Hypothesis runs derandomized (a fixed seed) with bounded examples and no deadline (no wall-clock assertions); the
async test bodies are run on the session loop by pytest-asyncio's Hypothesis support.
"""

from __future__ import annotations

import copy
import json
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from pejling.core.surveys import rate_limit
from pejling.core.surveys.models import Answer, Response
from pejling.tenants.scope import tenant_scope
from tests.support.stored import stored_counts

from .conftest import STARTED, Shop

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=450,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: Every code the ingest may answer with (docs/surveys.md), by status.
CODES: dict[int, set[str]] = {
    400: {"invalid_json", "malformed"},
    404: {"survey_not_found", "store_not_found", "invitation_not_found"},
    409: {"invitation_used", "id_conflict"},
    410: {"invitation_expired"},
    413: {"too_large"},
    415: {"unsupported_media_type"},
    422: {
        "invalid_id", "invalid_channel", "invalid_language", "invalid_time", "time_out_of_range", "unknown_zone",
        "invalid_answers", "unknown_statement", "duplicate_statement", "value_out_of_range", "invalid_position",
        "reaction_time_out_of_range", "outcome_out_of_range", "invalid_comment", "comment_too_long",
        "invalid_consent", "email_without_consent", "invalid_email", "invalid_client", "invalid_invitation",
        "invalid_channel_params", "channel_refused",
    },
}
BANK_IDS = ["warmup.visited-today", "warmup.can-read-this", "ease.quick-to-pay", "ease.does-not-exist", "", "x" * 200]

# -- values --------------------------------------------------------------------------------------------------------

odd_text = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "Zl", "Mn", "So"]), max_size=20),
    st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3),  # lone surrogates, escaped in the JSON
    st.sampled_from(["", " ", "null", "0", "true", "\u202e", "\ufeff", "😀" * 100, "a\x00b", "<script>", "%00", "'--"]),
    st.integers(280, 300).map(lambda n: "é" * n),
    st.integers(1_000, 17_000).map(lambda n: "x" * n),  # up to past the 16 KB body limit
)
numbers = st.one_of(
    st.integers(-10, 70_000),
    st.sampled_from([-(2**63), -(2**31), 2**31, 2**53 + 1, 2**63, 2**64, 10**300, -0]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.5, 4.0, 5.000001, 1e308, -1e-308]),
)
offsets = st.timedeltas(min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59))
times = st.one_of(
    # plausible: around now, in any offset
    st.builds(
        lambda shift, offset: (datetime.now(UTC) + shift).astimezone(timezone(offset)).isoformat(),
        st.timedeltas(min_value=-timedelta(days=400), max_value=timedelta(days=5)),
        offsets,
    ),
    # anything a datetime can say, aware or naive
    st.builds(lambda moment, offset: moment.replace(tzinfo=timezone(offset)).isoformat(), st.datetimes(), offsets),
    st.datetimes().map(datetime.isoformat),
    st.sampled_from([
        "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00-23:59",
        "9999-12-31T23:59:59.999999+23:59", "2026-02-30T10:00:00Z", "2026-11-20T12:00:00+24:00", "2026-11-20",
        "2026-W47-5T12:00Z", "20261120T120000Z", "2026-11-20T12:00:00.123456789Z", "2026-11-20T25:00:00Z", "Z",
        "now", "", "2026-11-20T12:00:00+00:00" + " " * 20,
    ]),
)
json_leaf = st.one_of(st.none(), st.booleans(), numbers, odd_text, times)
#: NaN and Infinity are not JSON, but Python writes them: a few examples carry one.
not_json_numbers = st.sampled_from([float("nan"), float("inf"), float("-inf")])
json_value = st.recursive(
    json_leaf, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=8,
)


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, picked in proportion to its weight."""
    table = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.integers(0, len(table) - 1).flatmap(lambda index: table[index])


def per_field(plausible: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly plausible values for a field, sometimes anything at all."""
    return weighted((2, plausible), (1, json_value))


@dataclass(frozen=True)
class Ref:
    """A value taken from the shop when the example runs (its ids are not known when strategies are built)."""

    name: str


TOP = {
    "id": per_field(st.one_of(st.uuids().map(str), st.just(Ref("accepted_id")), st.just("0" * 36))),
    "survey_version_id": per_field(st.one_of(st.just(Ref("version")), st.uuids().map(str))),
    "zone_id": per_field(st.one_of(st.none(), st.just(Ref("zone")), st.uuids().map(str))),
    "invitation": per_field(st.one_of(st.none(), st.just(Ref("token")), st.text("abc-_", min_size=16, max_size=101))),
    "channel": per_field(st.sampled_from(["qr", "nfc", "kiosk", "link", "email", "fax", "QR"])),
    "channel_params": per_field(st.one_of(st.none(), st.dictionaries(st.sampled_from(["tag", "t", ""]), odd_text,
                                                                     max_size=3))),
    "language": per_field(st.sampled_from(["da", "nb", "sv", "en", "no", "de", "DA"])),
    "started_at": per_field(times),
    "submitted_at": per_field(times),
    "outcome": per_field(st.one_of(st.none(), st.integers(-2, 12))),
    "comment": per_field(odd_text),
    "consent": per_field(st.fixed_dictionaries({}, optional={
        "contact": per_field(st.booleans()),
        "email": per_field(st.one_of(st.none(), st.emails().map(str), odd_text)),
    })),
    "client": per_field(st.fixed_dictionaries({}, optional={
        "viewport_width": per_field(st.integers(-1, 200_000)), "touch": json_value, "js": json_value,
    })),
    "answers": per_field(st.lists(json_value, max_size=3)),
}
ANSWER = {
    "statement_id": per_field(st.one_of(st.sampled_from(BANK_IDS), st.integers(0, 9).map(lambda i: Ref(f"sid{i}")))),
    "value": per_field(st.one_of(st.integers(-1, 7), st.sampled_from([1.0, 2.5, "3", True]))),
    "position": per_field(st.integers(-1, 25)),
    "reaction_ms": per_field(st.one_of(st.none(), st.integers(-5, 70_000))),
    "warmup": json_value,
}

set_top = st.sampled_from(sorted(TOP)).flatmap(lambda key: st.tuples(st.just("set"), st.just(key), TOP[key]))
edit = weighted((6, set_top), (1, st.one_of(
    st.tuples(st.just("del"), st.sampled_from(sorted(TOP)), st.none()),
    st.tuples(st.just("extra"), st.text(max_size=12), json_value),
    st.tuples(st.just("set"), st.sampled_from(["outcome", "comment", "answers"]), not_json_numbers),
    st.tuples(
        st.just("answer"),
        st.integers(0, 12),
        st.sampled_from(sorted(ANSWER)).flatmap(lambda key: st.tuples(st.just(key), ANSWER[key])),
    ),
    st.tuples(st.just("answer_del"), st.integers(0, 12), st.sampled_from(sorted(ANSWER))),
    st.tuples(st.just("answers"), st.sampled_from(["repeat", "many", "reverse", "none", "one", "warmup_only"]),
              st.none()),
)))

garbage = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda text: text.encode("utf-8", "surrogatepass")),
    json_value.map(lambda value: json.dumps(value).encode()),
    st.one_of(st.integers(1, 5000), st.sampled_from([8, 9, 1_000, 3_000, 5_000])).map(
        lambda depth: b'{"id": ' + b"[" * depth + b"]" * depth + b"}"
    ),
    st.sampled_from([1_000, 5_000, 8_000]).map(lambda depth: b'{"a":' * depth),
    st.sampled_from([b"", b"null", b"[]", b"{}", b'{"id": "', b"\xef\xbb\xbf{}", b"NaN", b"-Infinity"]),
)


@dataclass
class Example:
    """One generated request: a submission and its edits, or raw bytes; and the content type to send it as."""

    edits: list[Any]
    raw: bytes | None
    content_type: str
    resend_of: int | None


json_type = weighted((30, st.just("application/json")),
                     (1, st.sampled_from(["application/json; charset=utf-8", "text/plain", ""])))
examples = weighted(
    # a submission with one to four edits (most examples)
    (6, st.builds(Example, edits=st.lists(edit, min_size=1, max_size=4), raw=st.none(), content_type=json_type,
                  resend_of=st.none())),
    # a valid submission, or a resend of an accepted one, as it is or edited
    (2, st.builds(Example, edits=st.lists(edit, max_size=2), raw=st.none(), content_type=json_type,
                  resend_of=st.one_of(st.none(), st.integers(0, 3)))),
    # garbage
    (1, st.builds(Example, edits=st.just([]), raw=garbage, content_type=json_type, resend_of=st.none())),
)


# -- building a body -------------------------------------------------------------------------------------------------


class Run:
    """Per-test state: the shop, its invitation token and what was accepted so far (for resends)."""

    def __init__(self, shop: Shop, token: str) -> None:
        self.shop = shop
        self.token = token
        self.accepted: list[tuple[dict[str, Any], str]] = []  # (body, receipt code)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, Ref):
            ids = [*self.shop.warmup_ids, *self.shop.statement_ids]
            refs: dict[str, Any] = {
                "version": self.shop.version_id,
                "zone": str(self.shop.zone.id),
                "token": self.token,
                "accepted_id": self.accepted[0][0]["id"] if self.accepted else str(uuid.uuid4()),
                **{f"sid{i}": ids[i % len(ids)] for i in range(10)},
            }
            return refs[value.name]
        return value

    def body(self, example: Example) -> tuple[dict[str, Any] | None, bytes]:
        """The submission (None for raw garbage) and the bytes to send."""
        if example.raw is not None:
            return None, example.raw
        if example.resend_of is not None and self.accepted:
            payload = copy.deepcopy(self.accepted[example.resend_of % len(self.accepted)][0])
        else:
            payload = self.shop.payload(id=str(uuid.uuid4()), started_at=STARTED.isoformat())
            payload["submitted_at"] = (STARTED + timedelta(seconds=45)).isoformat()
        for action, target, extra in example.edits:
            self.apply(payload, action, target, extra)
        return payload, json.dumps(payload, allow_nan=True).encode("utf-8", "surrogatepass")

    def apply(self, payload: dict[str, Any], action: str, target: Any, extra: Any) -> None:
        answers = payload.get("answers")
        if action == "set":
            payload[target] = self.resolve(extra)
        elif action == "del":
            payload.pop(target, None)
        elif action == "extra":
            payload[target] = extra
        elif action in ("answer", "answer_del") and isinstance(answers, list) and answers:
            answer = answers[target % len(answers)]
            if isinstance(answer, dict):
                if action == "answer":
                    field, new = extra
                    answer[field] = self.resolve(new)
                else:
                    answer.pop(extra, None)
        elif action == "answers" and isinstance(answers, list):
            if target == "repeat" and answers:
                answers.append(copy.deepcopy(answers[0]))
            elif target == "many":
                payload["answers"] = [copy.deepcopy(a) for a in answers] * 4
            elif target == "reverse":
                answers.reverse()
            elif target == "none":
                payload["answers"] = []
            elif target == "one":
                payload["answers"] = answers[-1:]
            elif target == "warmup_only":
                payload["answers"] = [a for a in answers if isinstance(a, dict) and a.get("warmup")]


def _same_text(sent: Any, kept: str) -> bool:
    """The test's own reading of a comment: control characters and lone surrogates dropped, white space folded."""
    text = "".join(ch for ch in str(sent or "") if unicodedata.category(ch) not in ("Cc", "Cs") or ch in "\t\n\r")
    return " ".join(text.split()) == kept


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


async def assert_is_the_stored_submission(shop: Shop, payload: dict[str, Any]) -> None:
    """A resend answered with the receipt must say what the stored response says, field by field."""
    with tenant_scope(shop.tenant.id):
        stored = await Response.get(id=payload["id"])
        answers = await Answer.filter(response_id=stored.id)
    assert str(stored.survey_version_id) == payload.get("survey_version_id")
    assert stored.language == payload.get("language")
    assert stored.started_at == datetime.fromisoformat(str(payload.get("started_at")))
    assert stored.submitted_at == datetime.fromisoformat(str(payload.get("submitted_at")))
    assert stored.outcome == _number(payload.get("outcome"))
    assert _same_text(payload.get("comment"), stored.comment)
    assert stored.zone_id is None or str(stored.zone_id) == payload.get("zone_id") or stored.invitation_id
    sent = sorted((a["statement_id"], _number(a["value"]), _number(a["position"]), _number(a.get("reaction_ms")))
                  for a in payload.get("answers") or [])
    assert sent == sorted((a.statement_id, a.value, a.position, a.reaction_ms) for a in answers)
    consent = payload.get("consent") or {}
    assert stored.contact_email == ((consent.get("email") or "").strip().lower() or None if consent.get("contact")
                                    else None)


async def counts(shop: Shop) -> tuple[int, int, int]:
    return await stored_counts(shop.tenant.id)


@pytest.fixture
async def run(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> Run:
    """No rate limit in the way (every example comes from the same address), and an invitation to use up."""
    from pejling.core.surveys.invitations import create_invitation

    monkeypatch.setattr(rate_limit, "SUBMISSION_LIMIT", rate_limit.Limit(count=10**9, window_seconds=3600))
    with tenant_scope(shop.tenant.id):
        _, token = await create_invitation(shop.store)
    return Run(shop, token)


def check_refusal(status: int, body: dict[str, Any]) -> None:
    assert status in CODES, (status, body)
    assert set(body) == {"error", "message", "field"}, body
    assert body["error"] in CODES[status], (status, body)
    assert isinstance(body["message"], str) and body["message"]


JSON = "application/json"


@settings(FUZZ, max_examples=600)
@given(example=examples)
# The attack of issue 8, first: an accepted submission, the same again, then other bodies under its id.
@example(example=Example(edits=[], raw=None, content_type=JSON, resend_of=None))
@example(example=Example(edits=[], raw=None, content_type=JSON, resend_of=0))
@example(example=Example(edits=[("set", "outcome", 0)], raw=None, content_type=JSON, resend_of=0))
@example(example=Example(edits=[("del", "answers", None)], raw=None, content_type=JSON, resend_of=0))
@example(example=Example(edits=[("set", "started_at", "0001-01-01T00:00:00+01:00")], raw=None, content_type=JSON,
                         resend_of=None))
@example(example=Example(edits=[("set", "submitted_at", "9999-12-31T23:59:59-01:00")], raw=None, content_type=JSON,
                         resend_of=None))
@example(example=Example(edits=[], raw=b'{"id":' + b"[" * 3000 + b"]" * 3000 + b"}", content_type=JSON,
                         resend_of=None))
async def test_json_ingest_never_fails_and_stores_nothing_it_refuses(
    client: httpx.AsyncClient, run: Run, example: Example
) -> None:
    shop = run.shop
    payload, content = run.body(example)
    before = await counts(shop)
    reply = await client.post(
        f"/s/{shop.tenant.slug}/{shop.store.slug}/responses", content=content,
        headers={"content-type": example.content_type} if example.content_type else {},
    )
    after = await counts(shop)
    assert reply.status_code < 500, reply.text
    assert reply.headers.get("cache-control") == "no-store"
    body = reply.json()
    event(f"{reply.status_code} {body.get('error', '')}")  # --hypothesis-show-statistics shows the spread
    if reply.status_code == 201:
        assert payload is not None
        used = int(payload.get("invitation") == run.token)
        assert after == (before[0] + 1, before[1] + len(payload["answers"]), before[2] + used), (before, after)
        with tenant_scope(shop.tenant.id):
            stored = await Response.get(id=payload["id"])
        assert stored.receipt_code == body["receipt_code"] and body["duplicate"] is False
        run.accepted.append((payload, body["receipt_code"]))
        return
    assert after == before, (reply.status_code, body)
    for _, receipt in run.accepted:
        assert receipt not in reply.text or reply.status_code == 200, body
    unchanged_resend = payload is not None and example.resend_of is not None and not example.edits
    if unchanged_resend and run.accepted and example.content_type.startswith(JSON):
        assert reply.status_code == 200, body  # the honest offline resend keeps its receipt
    if reply.status_code == 200:  # a resend: only of the very submission that was accepted under this id
        assert body["duplicate"] is True
        assert payload is not None
        assert (payload["id"], body["receipt_code"]) in {(p["id"], r) for p, r in run.accepted}
        await assert_is_the_stored_submission(shop, payload)
        return
    check_refusal(reply.status_code, body)


SUBMIT = """mutation($input: ResponseInput!) { submitResponse(input: $input) {
  response { id receiptCode duplicate } errors { code message field } } }"""

#: GraphQL types the input, so a wrong type is the GraphQL layer's error: vary values within (and at) the types.
gql_text = st.one_of(odd_text, times, st.uuids().map(str))
gql_int = st.one_of(st.integers(-3, 70_001), st.sampled_from([-(2**31), 2**31 - 1]))
gql_edits = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["startedAt", "submittedAt", "language", "channel", "comment", "id", "zoneId",
                                   "surveyVersionId", "invitation", "storeSlug", "tenantSlug"]), gql_text),
        st.tuples(st.sampled_from(["outcome"]), st.one_of(st.none(), gql_int)),
        st.tuples(st.sampled_from(["answers.value", "answers.position", "answers.reactionMs"]), gql_int),
        st.tuples(st.sampled_from(["answers.statementId"]), gql_text),
        st.tuples(st.just("consent"), st.fixed_dictionaries({"contact": st.booleans(),
                                                             "email": st.one_of(st.none(), gql_text)})),
        st.tuples(st.just("answers"), st.integers(0, 60)),
    ),
    max_size=3,
)
#: Start from a fresh input, or from one accepted earlier (a resend; edited when edits follow).
gql_starts = weighted((4, st.none()), (1, st.integers(0, 3)))


def as_payload(value: dict[str, Any]) -> dict[str, Any]:
    """A GraphQL input in the JSON endpoint's shape, for :func:`assert_is_the_stored_submission`."""
    consent = value.get("consent") or {}
    return {
        "id": value["id"], "survey_version_id": value["surveyVersionId"], "language": value["language"],
        "started_at": value["startedAt"], "submitted_at": value["submittedAt"], "outcome": value.get("outcome"),
        "comment": value.get("comment"), "zone_id": value.get("zoneId"),
        "consent": {"contact": consent.get("contact", False), "email": consent.get("email")},
        "answers": [{"statement_id": a["statementId"], "value": a["value"], "position": a["position"],
                     "reaction_ms": a.get("reactionMs")} for a in value["answers"]],
    }


@FUZZ
@given(start=gql_starts, edits=gql_edits)
@example(start=None, edits=[("startedAt", "0001-01-01T00:00:00+01:00")])
@example(start=None, edits=[("submittedAt", "9999-12-31T23:59:59-01:00")])
@example(start=None, edits=[])
@example(start=0, edits=[])
@example(start=0, edits=[("outcome", 0)])
async def test_graphql_submit_never_fails_and_stores_nothing_it_refuses(
    client: httpx.AsyncClient, run: Run, start: int | None, edits: list[tuple[str, Any]]
) -> None:
    shop = run.shop
    body = shop.payload()
    value: dict[str, Any] = {
        "id": body["id"], "tenantSlug": shop.tenant.slug, "storeSlug": shop.store.slug,
        "surveyVersionId": shop.version_id, "zoneId": str(shop.zone.id), "language": "sv",
        "startedAt": body["started_at"], "submittedAt": body["submitted_at"], "outcome": 9,
        "answers": [{"statementId": a["statement_id"], "value": a["value"], "position": a["position"],
                     "reactionMs": a["reaction_ms"]} for a in body["answers"]],
    }
    if start is not None and run.accepted:
        value = copy.deepcopy(run.accepted[start % len(run.accepted)][0])
    for key, new in edits:
        if key.startswith("answers."):
            if value["answers"]:
                value["answers"][0][key.removeprefix("answers.")] = new
        elif key == "answers":
            value["answers"] = (value["answers"] * 60)[:new]
        else:
            value[key] = new
    before = await counts(shop)
    # Sent as ASCII JSON, so that lone surrogates travel as escapes (as a hostile client can send them).
    reply = await client.post("/graphql", content=json.dumps({"query": SUBMIT, "variables": {"input": value}}),
                              headers={"content-type": "application/json"})
    after = await counts(shop)
    assert reply.status_code < 500, reply.text
    result = reply.json()
    if reply.status_code == 413:  # over the /graphql body cap: refused before it is read, nothing stored
        assert result["error"] == "request_too_large" and after == before, result
        return
    event(" ".join(e["code"] for e in (result.get("data") or {}).get("submitResponse", {}).get("errors", [])))
    assert "errors" not in result, result  # every refusal is a typed error, never an unexpected one
    payload = result["data"]["submitResponse"]
    if start is not None and run.accepted and not edits:
        assert payload["response"] is not None and payload["response"]["duplicate"], payload
    if payload["response"] is not None:
        assert payload["errors"] == []
        if payload["response"]["duplicate"]:  # only for the very submission accepted under this id
            assert after == before
            assert (value["id"], payload["response"]["receiptCode"]) in {(v["id"], r) for v, r in run.accepted}
            await assert_is_the_stored_submission(shop, as_payload(value))
            return
        assert after == (before[0] + 1, before[1] + len(value["answers"]), before[2])
        run.accepted.append((copy.deepcopy(value), payload["response"]["receiptCode"]))
        return
    assert after == before
    assert not any(receipt in reply.text for _, receipt in run.accepted), payload
    assert [e["code"] for e in payload["errors"]] and all(
        any(e["code"] in codes for codes in CODES.values()) for e in payload["errors"]
    ), payload

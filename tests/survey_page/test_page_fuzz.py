"""Property-based fuzzing of the shopper pages (issue 8): ``GET /s/{tenant}/{store}``, ``GET /i/{token}`` and the plain
form ``POST /s/{tenant}/{store}/form``.

Addresses, query strings and headers are real ones, mutated ones and garbage; form posts are the page's own form
with mutated fields (wrong types, extreme numbers, odd and huge strings, unicode, bad dates, missing and extra
fields) and garbage bodies. Properties, for every example: never a 5xx; an HTML page in one of our languages; a page
view changes nothing; a refused form stores nothing and uses no invitation; a thanked form stores exactly one
response, or none when it was the same form again.

Derandomized (a fixed seed), bounded, no deadline; pytest-asyncio runs the async bodies on the session loop.
"""

from __future__ import annotations

import html
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from pejling.core.surveys import rate_limit
from pejling.core.surveys.invitations import create_invitation
from pejling.core.surveys.models import Answer, Invitation, Response
from pejling.tenants.scope import tenant_scope
from tests.support.stored import stored_counts
from tests.survey_page.conftest import Shop

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=500,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
LANGS = ("da", "nb", "sv", "en")


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, picked in proportion to its weight."""
    table = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.integers(0, len(table) - 1).flatmap(lambda index: table[index])


@dataclass(frozen=True)
class Ref:
    """A value of the shop, filled in when the example runs."""

    name: str


odd_text = st.one_of(
    st.text(max_size=30),
    st.text(st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "Mn", "So", "Nd"]), max_size=12),
    st.sampled_from(["", " ", "-", "a" * 63, "a" * 64, "a" * 300, "UPPER", "logo", "%00", "..", "\u202e", "😀",
                     "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "null", "<b>", "'\"", "ø" * 40]),
    st.integers(200, 20_000).map(lambda n: "x" * n),
)
segment = st.one_of(st.just(Ref("tenant")), st.just(Ref("store")), st.from_regex(r"\A[a-z0-9-]{1,70}\Z"), odd_text)
token = st.one_of(
    st.sampled_from([Ref("token"), Ref("used_token"), Ref("expired_token")]),
    st.from_regex(r"\A[A-Za-z0-9_-]{10,110}\Z"),
    odd_text,
)
query = st.dictionaries(
    st.sampled_from(["lang", "zone", "ch", "utm", "lang[]", ""]),
    st.one_of(st.sampled_from([*LANGS, "no", "nn", "de", "qr", "kiosk", "email", Ref("zone")]), st.uuids().map(str),
              odd_text),
    max_size=4,
)
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=120)
accept_language = st.one_of(
    st.none(),
    st.sampled_from(["da", "nb-NO,nb;q=0.9", "no", "sv;q=nan", "en;q=1e999", "*", "de-CH;q=0.0", ";;;,,,", "x" * 500]),
    header_text,
)


@dataclass
class Visit:
    kind: str  # "survey" or "invitation"
    parts: tuple[Any, ...]
    query: dict[str, Any]
    accept_language: str | None


visits = weighted(
    (3, st.builds(Visit, st.just("survey"), st.just((Ref("tenant"), Ref("store"))), query, accept_language)),
    (2, st.builds(Visit, st.just("survey"), st.tuples(segment, segment), query, accept_language)),
    (2, st.builds(Visit, st.just("invitation"), st.tuples(token), query, accept_language)),
)


class Run:
    def __init__(self, shop: Shop, tokens: dict[str, str]) -> None:
        self.shop = shop
        self.tokens = tokens
        self.thanked: set[str] = set()  # response ids the form thanked for

    def resolve(self, value: Any) -> Any:
        if not isinstance(value, Ref):
            return value
        if value.name == "other_id":
            return str(uuid.uuid4())
        if value.name == "thanked_id":
            return min(self.thanked) if self.thanked else str(uuid.uuid4())
        return {
            "tenant": self.shop.tenant.slug, "store": self.shop.store.slug, "zone": str(self.shop.zone.id),
            "token": self.tokens["token"], "used_token": self.tokens["used"], "expired_token": self.tokens["expired"],
        }[value.name]


async def counts(shop: Shop) -> tuple[int, int, int]:
    return await stored_counts(shop.tenant.id)


@pytest.fixture
async def run(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setattr(rate_limit, "SUBMISSION_LIMIT", rate_limit.Limit(count=10**9, window_seconds=3600))
    with tenant_scope(shop.tenant.id):
        _, fresh = await create_invitation(shop.store, zone=shop.zone)
        used, used_token = await create_invitation(shop.store)
        await Invitation.filter(id=used.id).update(used_at=used.created_at)
        _, expired = await create_invitation(shop.store, valid_for=timedelta(seconds=-1))
    return Run(shop, {"token": fresh, "used": used_token, "expired": expired})


def assert_page(reply: httpx.Response) -> None:
    """Our HTML page (survey, thank-you or problem) in one of our languages, never a server error."""
    assert reply.status_code < 500, reply.text[:500]
    if reply.status_code == 404 and not reply.headers.get("content-type", "").startswith("text/html"):
        # Not one of these pages: the router's own 404 (an empty or split segment matches no route), or the tenant
        # logo route (tenants/branding.py) that answers /s/{tenant}/logo.
        return
    assert reply.headers["content-type"].startswith("text/html"), reply.headers
    assert re.search(r'<html lang="(da|nb|sv|en)"', reply.text)
    assert reply.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in reply.headers["content-security-policy"]


@FUZZ
@given(visit=visits)
@example(visit=Visit("survey", ("a" * 64, Ref("store")), {}, None))
@example(visit=Visit("survey", (Ref("tenant"), "a" * 64), {"lang": "sv"}, None))
@example(visit=Visit("invitation", (Ref("used_token"),), {}, "nb"))
async def test_page_views_never_fail_and_change_nothing(client: httpx.AsyncClient, run: Run, visit: Visit) -> None:
    parts = [quote(str(run.resolve(part)), safe="") for part in visit.parts]
    path = f"/s/{parts[0]}/{parts[1]}" if visit.kind == "survey" else f"/i/{parts[0]}"
    params = {key: str(run.resolve(value)) for key, value in visit.query.items()}
    headers = {"accept-language": visit.accept_language.encode("latin-1")} if visit.accept_language else {}
    before = await counts(run.shop)
    reply = await client.get(path, params=params, headers=headers)
    event(f"{visit.kind} {reply.status_code}")
    asked = reply.request.url.path
    if not asked.startswith(("/s/", "/i/")):  # a ".." segment, which the client resolves: not a shopper page asked
        assert await counts(run.shop) == before
        return
    if reply.status_code == 307 and asked.endswith("/"):  # an encoded trailing "/": the router's own redirect
        assert reply.headers["location"].endswith(asked.rstrip("/").rsplit("/", 1)[-1])
        return
    assert_page(reply)
    assert reply.status_code in (200, 404, 410), reply.status_code
    assert await counts(run.shop) == before


# -- the plain form ------------------------------------------------------------------------------------------------

form_value = st.one_of(
    odd_text,
    st.integers(-3, 12).map(str),
    st.sampled_from(["1", "5", "١", "٣", "+3", " 4 ", "3.0", "1_000", "9" * 5000, "0x1", "on"]),
    st.sampled_from([*LANGS, "qr", "nfc", "kiosk", "email", "fax"]),
    st.sampled_from([Ref("token"), Ref("used_token"), Ref("expired_token"), Ref("zone"), Ref("other_id"),
                     Ref("thanked_id")]),
    st.uuids().map(str),
)
FORM_FIELDS = ["id", "survey_version_id", "invitation", "zone_id", "channel", "language", "started_at", "order",
               "warmups", "outcome", "comment", "contact", "email"]
form_edit = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(FORM_FIELDS), form_value),
    st.tuples(st.just("del"), st.sampled_from(FORM_FIELDS), st.none()),
    st.tuples(st.just("answer"), st.integers(0, 12), st.one_of(form_value, st.none())),
    st.tuples(st.just("extra"), st.text(max_size=10), form_value),
    st.tuples(st.just("fields"), st.integers(90, 130), st.none()),
)
form_garbage = st.one_of(
    st.binary(max_size=200),
    st.sampled_from([b"", b"=", b"&&&", b"id=%ED%A0%80", b"s%3Ax=%FF%FE", b"a=" + b"%" * 50, b"x=1&" * 200]),
)


@dataclass
class Post:
    edits: list[Any]
    raw: bytes | None
    content_type: str
    target: tuple[Any, Any]
    answered: bool


form_type = weighted((20, st.just("application/x-www-form-urlencoded")),
                     (1, st.sampled_from(["multipart/form-data", "application/json", "", "text/plain"])))
form_target = weighted((8, st.just((Ref("tenant"), Ref("store")))), (1, st.tuples(segment, segment)))
posts = weighted(
    (6, st.builds(Post, st.lists(form_edit, min_size=1, max_size=4), st.none(), form_type, form_target,
                  st.booleans())),
    (2, st.builds(Post, st.just([]), st.none(), form_type, form_target, st.just(True))),
    (1, st.builds(Post, st.just([]), form_garbage, form_type, form_target, st.booleans())),
)
FORM = "application/x-www-form-urlencoded"
HOME = (Ref("tenant"), Ref("store"))


def _hidden(page: str) -> dict[str, str]:
    found = re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page)
    return {name: html.unescape(value) for name, value in found}


@FUZZ
@given(post=posts)
@example(post=Post([("set", "started_at", "0001-01-01T00:00:00+01:00")], None, FORM, HOME, True))
@example(post=Post([("set", "started_at", "9999-12-31T23:59:59-01:00")], None, FORM, HOME, True))
@example(post=Post([], None, FORM, (Ref("tenant"), "a" * 64), False))
@example(post=Post([], None, FORM, ("a" * 64, Ref("store")), True))
async def test_form_posts_never_fail_and_store_only_what_they_thank_for(
    client: httpx.AsyncClient, run: Run, post: Post
) -> None:
    shop = run.shop
    page = await client.get(f"/s/{shop.tenant.slug}/{shop.store.slug}", params={"lang": "da"})
    form = _hidden(page.text)
    ids = form["order"].split(",")
    if post.answered:
        form.update({f"s:{sid}": str(1 + n % 5) for n, sid in enumerate(ids)}, outcome="8")
    pairs = list(form.items())
    for action, target, value in post.edits:
        value = run.resolve(value)
        if action == "set":
            pairs = [(k, v) for k, v in pairs if k != target] + [(target, value)]
        elif action == "del":
            pairs = [(k, v) for k, v in pairs if k != target]
        elif action == "answer":
            sid = ids[target % len(ids)]
            pairs = [(k, v) for k, v in pairs if k != f"s:{sid}"] + ([] if value is None else [(f"s:{sid}", value)])
        elif action == "extra":
            pairs.append((target, value))
        elif action == "fields":
            pairs += [(f"x{n}", "1") for n in range(target)]
    body = post.raw if post.raw is not None else urlencode(pairs).encode()
    tenant, store = (quote(str(run.resolve(part)), safe="") for part in post.target)
    sent = dict(pairs)

    before = await counts(shop)
    reply = await client.post(f"/s/{tenant}/{store}/form", content=body, headers={"content-type": post.content_type})
    after = await counts(shop)
    event(f"form {reply.status_code}")
    assert_page(reply)
    thanked = reply.status_code == 200 and 'id="receipt-code"' in reply.text
    assert reply.status_code != 200 or thanked, reply.text[:500]
    if not thanked:
        assert after == before, (reply.status_code, before, after)
        return
    response_id = sent.get("id", "")
    if response_id in run.thanked:
        assert after == before  # the same form again: the same response, nothing new
        return
    with tenant_scope(shop.tenant.id):
        stored = await Response.get(id=response_id)
        answers = await Answer.filter(response_id=stored.id).count()
    assert stored.via == "form" and stored.receipt_code in reply.text
    assert after[:2] == (before[0] + 1, before[1] + answers) and answers >= 1
    assert after[2] == before[2] + (1 if stored.invitation_id else 0)
    run.thanked.add(response_id)

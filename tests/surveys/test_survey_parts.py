"""The parts around ingest: statement bank, survey versions, page data, invitations, receipts, device class, limits."""

from __future__ import annotations

import secrets
import tomllib
import uuid
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from pejling.core.plugin_manager import Plugins
from pejling.core.settings import Settings
from pejling.core.surveys import rate_limit
from pejling.core.surveys.bank import GOALS, BankError, current_bank, load_bank, parse_bank, use_bank_file
from pejling.core.surveys.ingest import device_class
from pejling.core.surveys.invitations import create_invitation
from pejling.core.surveys.models import SurveyVersion
from pejling.core.surveys.page_data import (
    InvitationUnusable,
    SurveyNotFound,
    load_survey_page,
    negotiate_language,
)
from pejling.core.surveys.receipts import ALPHABET, new_receipt_code, normalise_receipt_code
from pejling.core.surveys.survey import (
    SurveyChangeRefused,
    active_survey,
    add_tenant_statement,
    choose_statements,
)
from pejling.tenants.models import Zone
from pejling.tenants.scope import tenant_scope

from .conftest import Shop

FIXTURE = Path(__file__).parent / "fixtures" / "small_bank.toml"


# -- statement bank --


def test_fixture_bank_loads() -> None:
    bank = load_bank(FIXTURE)
    assert [s.id for s in bank.warmups] == ["warmup.here-today"]
    assert bank.get("ease.waited-long") is not None and bank.get("ease.waited-long").polarity == -1  # type: ignore[union-attr]
    assert bank.default_selection() == (["ease.found-it", "value.worth-it"], ["warmup.here-today"])
    assert bank.scale["sv"] == ("1", "2", "3", "4", "5")


def test_built_in_bank_covers_every_goal_in_four_languages() -> None:
    bank = load_bank()
    per_goal = Counter(s.goal for s in bank.scored)
    assert all(per_goal[goal] >= 2 for goal in GOALS), per_goal
    assert 1 <= len(bank.warmups) <= 2
    scored, warmups = bank.default_selection()
    assert len(scored) == len(GOALS) and len(scored) + len(warmups) + 1 <= 10  # + the outcome question


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["statement"][1].update(id="Ease found"), "id must look like"),
        (lambda d: d["statement"][1].update(goal="speed", id="speed.found-it"), "unknown goal"),
        (lambda d: d["statement"][1].update(id="value.found-it"), "must start with its goal"),
        (lambda d: d["statement"][1].update(id="ease.t-mine"), "must not start with 't-'"),
        (lambda d: d["statement"][2].update(id="ease.found-it"), "duplicate id"),
        (lambda d: d["statement"][1].pop("nb"), "missing text for language 'nb'"),
        (lambda d: d["statement"][1].update(polarity=0), "polarity"),
        (lambda d: d["scale"].update(da=["1", "2"]), "5 labels"),
        (lambda d: d.pop("outcome"), "[outcome]"),
    ],
)
def test_malformed_bank_is_refused(change: Any, message: str) -> None:
    data = tomllib.loads(FIXTURE.read_text())
    change(data)
    with pytest.raises(BankError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_bank(data)


def test_missing_bank_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BankError, match="not found"):
        load_bank(tmp_path / "nope.toml")


async def test_a_tenant_on_the_fixture_bank_gets_its_default_survey(shop: Shop) -> None:
    use_bank_file(FIXTURE)
    try:
        from .conftest import make_shop

        fresh = await make_shop()
        assert fresh.statement_ids == ["ease.found-it", "value.worth-it"]
        assert fresh.warmup_ids == ["warmup.here-today"]
    finally:
        use_bank_file(None)
    assert current_bank().get("ease.found-without-asking") is not None


# -- survey versions and tenant statements --


async def test_changing_statements_makes_a_new_version_and_keeps_the_old(shop: Shop) -> None:
    with tenant_scope(shop.tenant.id):
        same = await choose_statements(shop.statement_ids)
        assert str(same.id) == shop.version_id  # nothing changed: no new version
        new = await choose_statements(["ease.quick-to-pay", "value.worth-the-time"])
        assert new.number == 2 and new.active
        old = await SurveyVersion.get(id=shop.version_id)
        assert not old.active and old.statement_ids == shop.statement_ids
        current = await active_survey()
        assert current is not None and current.version.id == new.id
        assert await SurveyVersion.filter(active=True).count() == 1


@pytest.mark.parametrize(
    ("statements", "warmups", "field"),
    [
        ([], None, "statementIds"),
        (["ease.quick-to-pay", "ease.quick-to-pay"], None, "statementIds"),
        (["ease.no-such-statement"], None, "statementIds"),
        (["warmup.can-read-this"], None, "statementIds"),
        (["ease.quick-to-pay"], ["ease.found-without-asking"], "warmupIds"),
        (
            [
                s
                for s in [
                    "security.prices-clear",
                    "security.felt-safe",
                    "ease.found-without-asking",
                    "ease.quick-to-pay",
                    "autonomy.own-pace",
                    "recognition.felt-welcome",
                    "enjoyment.liked-being-there",
                    "discovery.something-new",
                    "value.worth-the-money",
                ]
            ],
            None,
            "statementIds",
        ),
    ],
    ids=["none", "twice", "unknown", "warm-up as scored", "scored as warm-up", "over nine taps"],
)
async def test_bad_statement_choices_are_refused(shop: Shop, statements: list[str], warmups: Any, field: str) -> None:
    with tenant_scope(shop.tenant.id):
        with pytest.raises(SurveyChangeRefused) as refused:
            await choose_statements(statements, warmups)
        assert refused.value.field == field
        assert await SurveyVersion.all().count() == 1


async def test_tenant_statement_rules(shop: Shop) -> None:
    texts = {"da": "Jeg fik hjælp.", "nb": "Jeg fikk hjelp.", "sv": "Jag fick hjälp.", "en": "I got help."}
    with tenant_scope(shop.tenant.id):
        statement = await add_tenant_statement(goal="recognition", slug="got-help", texts=texts)
        assert statement.id == "recognition.t-got-help" and not statement.builtin
        with pytest.raises(SurveyChangeRefused, match="already"):
            await add_tenant_statement(goal="recognition", slug="got-help", texts=texts)
        with pytest.raises(SurveyChangeRefused) as missing:
            await add_tenant_statement(goal="recognition", slug="other", texts={**texts, "sv": " "})
        assert missing.value.field == "texts.sv"
        with pytest.raises(SurveyChangeRefused):
            await add_tenant_statement(goal="speed", slug="other", texts=texts)
        with pytest.raises(SurveyChangeRefused):
            await add_tenant_statement(goal="ease", slug="Bad Slug", texts=texts)
        version = await choose_statements(["recognition.t-got-help", "ease.quick-to-pay"])
        assert version.statement_ids == ["recognition.t-got-help", "ease.quick-to-pay"]


# -- page data --


def test_language_negotiation() -> None:
    assert negotiate_language("sv", "da", "en") == "sv"
    assert negotiate_language(None, "nb-NO,nb;q=0.9,en;q=0.5", "da") == "nb"
    assert negotiate_language(None, "no", "da") == "nb"
    assert negotiate_language(None, "de-DE,sv-SE;q=0.8,en;q=0.7", "da") == "sv"
    assert negotiate_language(None, "en-GB;q=0.3,da;q=0.9", "sv") == "da"
    assert negotiate_language("xx", "fr", "da") == "da"
    assert negotiate_language(None, None, "nb") == "nb"
    assert negotiate_language(None, "garbage;;q=x,,", "zz") == "en"


async def test_survey_page_puts_warm_ups_first_and_shuffles_the_rest(shop: Shop, plugins: Plugins) -> None:
    orders = set()
    for _ in range(12):
        page = await load_survey_page(
            tenant_slug=shop.tenant.slug,
            store_slug=shop.store.slug,
            zone_id=str(shop.zone.id),
            channel="nfc",
            invitation_token=None,
            language=None,
            plugins=plugins,
            accept_language="sv-SE,sv;q=0.9",
        )
        assert [s.id for s in page.statements[: len(shop.warmup_ids)]] == shop.warmup_ids
        assert all(s.warmup for s in page.statements[: len(shop.warmup_ids)])
        orders.add(tuple(s.id for s in page.statements))
    assert len(orders) > 1
    assert page.language == "sv" and page.channel == "nfc" and page.zone_name == "Checkout"
    assert page.survey_version_id == shop.version_id
    assert page.statements[0].text == "Jag var i butiken i dag."
    assert page.outcome.min == 0 and page.outcome.max == 10 and page.outcome.text
    assert len(page.scale_labels) == 5
    assert page.submit_url == f"/s/{shop.tenant.slug}/{shop.store.slug}/responses"


async def test_survey_page_unknown_places(shop: Shop, plugins: Plugins) -> None:
    with pytest.raises(SurveyNotFound):
        await load_survey_page(
            tenant_slug="nobody-" + secrets.token_hex(3),
            store_slug="main",
            zone_id=None,
            channel="qr",
            invitation_token=None,
            language=None,
            plugins=plugins,
            accept_language=None,
        )
    with pytest.raises(SurveyNotFound):
        await load_survey_page(
            tenant_slug=shop.tenant.slug,
            store_slug="nowhere",
            zone_id=None,
            channel="qr",
            invitation_token=None,
            language=None,
            plugins=plugins,
            accept_language=None,
        )
    # a zone that is not one of the store's is an error, never silently dropped (issue 11: a hand-built link)
    with tenant_scope(shop.tenant.id):
        elsewhere = await Zone.create(store=shop.other_store, name="Entrance", kind="entrance")
    for zone in ("not-a-uuid", str(uuid.uuid4()), str(elsewhere.id)):
        with pytest.raises(SurveyNotFound):
            await load_survey_page(
                tenant_slug=shop.tenant.slug, store_slug=shop.store.slug, zone_id=zone, channel="qr",
                invitation_token=None, language=None, accept_language=None, plugins=plugins,
            )
    page = await load_survey_page(
        tenant_slug=shop.tenant.slug,
        store_slug=shop.store.slug,
        zone_id=None,
        channel="carrier-pigeon",
        invitation_token=None,
        language=None,
        accept_language=None,
        plugins=plugins,
    )
    assert page.zone_id is None and page.channel == "qr" and page.language == "da"  # the store default


async def test_survey_page_for_an_invitation(shop: Shop, plugins: Plugins) -> None:
    with tenant_scope(shop.tenant.id):
        _, token = await create_invitation(shop.store, zone=shop.zone, channel="email")
        _, expired = await create_invitation(shop.store, valid_for=timedelta(seconds=-1))
    page = await load_survey_page(
        tenant_slug=None,
        store_slug=None,
        zone_id=None,
        channel="qr",
        invitation_token=token,
        language="en",
        accept_language=None,
        plugins=plugins,
    )
    assert (page.tenant_slug, page.store_slug, page.channel) == (shop.tenant.slug, shop.store.slug, "email")
    assert page.invitation_token == token and page.zone_id == str(shop.zone.id)
    with pytest.raises(InvitationUnusable) as unusable:
        await load_survey_page(
            tenant_slug=None,
            store_slug=None,
            zone_id=None,
            channel="qr",
            invitation_token=expired,
            language=None,
            plugins=plugins,
            accept_language="nb",
        )
    assert unusable.value.reason == "expired" and unusable.value.language == "nb"
    with pytest.raises(SurveyNotFound):
        await load_survey_page(
            tenant_slug=None,
            store_slug=None,
            zone_id=None,
            channel="qr",
            invitation_token="made-up",
            language=None,
            plugins=plugins,
            accept_language=None,
        )


# -- receipts, device class, client keys, limiters --


def test_receipt_codes() -> None:
    codes = {new_receipt_code() for _ in range(500)}
    assert len(codes) == 500
    assert all(len(c) == 7 and c[3] == "-" and set(c.replace("-", "")) <= set(ALPHABET) for c in codes)
    assert not set("01OILUV") & set(ALPHABET)
    assert normalise_receipt_code(" k7q 4mz ") == "K7Q-4MZ"
    assert normalise_receipt_code("K7Q-4M0") is None


def test_device_class() -> None:
    iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148"
    ipad = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)"
    android_tablet = "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 Chrome/120 Safari/537.36"
    android_phone = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36"
    desktop = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120 Safari/537.36"
    assert device_class(iphone, None, None) == "phone"
    assert device_class(android_phone, None, None) == "phone"
    assert device_class(ipad, None, None) == "tablet"
    assert device_class(android_tablet, None, None) == "tablet"
    assert device_class(desktop, None, None) == "desktop"
    assert device_class("", 390, True) == "phone"
    assert device_class("", 820, True) == "tablet"
    assert device_class("", 1440, False) == "desktop"
    assert device_class("curl/8", None, None) == "unknown"


def test_client_key_is_keyed_and_rotates_daily(settings: Settings) -> None:
    today, tomorrow = date(2026, 11, 24), date(2026, 11, 25)
    key = rate_limit.client_key(settings, "203.0.113.9", today)
    assert key == rate_limit.client_key(settings, "203.0.113.9", today)
    assert key != rate_limit.client_key(settings, "203.0.113.9", tomorrow)
    assert key != rate_limit.client_key(settings, "203.0.113.10", today)
    other = settings.model_copy(update={"secret_key": SecretStr("another-secret-" + "y" * 32)})
    assert key != rate_limit.client_key(other, "203.0.113.9", today)
    assert "203.0.113.9" not in key and len(key) == 32


async def test_memory_limiter() -> None:
    limiter = rate_limit.MemoryLimiter()
    limit = rate_limit.Limit(count=3, window_seconds=600)
    assert [await limiter.hit("k", limit) for _ in range(3)] == [None, None, None]
    retry = await limiter.hit("k", limit)
    assert retry is not None and 1 <= retry <= 600
    assert await limiter.hit("other", limit) is None


async def test_redis_limiter_against_the_local_redis() -> None:
    limiter = rate_limit.RedisLimiter("redis://127.0.0.1:6379/0", prefix=f"pejling-test:{secrets.token_hex(6)}")
    try:
        limit = rate_limit.Limit(count=2, window_seconds=600)
        assert await limiter.hit("k", limit) is None
        assert await limiter.hit("k", limit) is None
        retry = await limiter.hit("k", limit)
        assert retry is not None and 1 <= retry <= 600
        assert await limiter.hit("other", limit) is None
        keys = [k async for k in limiter._redis.scan_iter(match=f"{limiter.prefix}:*")]
        assert len(keys) == 2
        assert all([0 < await limiter._redis.ttl(k) <= 605 for k in keys])
        await limiter._redis.delete(*keys)
    finally:
        await limiter.close()


async def test_ingest_uses_redis_when_configured(
    database: Settings, shop: Shop, plugins: Plugins, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pejling.core.surveys.ingest import IngestRefused, ingest_response

    redis_settings = database.model_copy(update={"redis_url": "redis://127.0.0.1:6379/0"})
    limiter = rate_limit.RedisLimiter(redis_settings.redis_url, prefix=f"pejling-test:{secrets.token_hex(6)}")
    monkeypatch.setitem(rate_limit._limiters, redis_settings.redis_url, limiter)
    monkeypatch.setattr(rate_limit, "SUBMISSION_LIMIT", rate_limit.Limit(count=1, window_seconds=600))
    try:
        kwargs: dict[str, Any] = dict(
            tenant_slug=shop.tenant.slug,
            store_slug=shop.store.slug,
            client_address="198.51.100.4",
            user_agent="",
            via="json",
            settings=redis_settings,
            plugins=plugins,
        )
        await ingest_response(shop.payload(), **kwargs)
        with pytest.raises(IngestRefused) as refused:
            await ingest_response(shop.payload(), **kwargs)
        assert refused.value.status == 429 and refused.value.retry_after
        keys = [k async for k in limiter._redis.scan_iter(match=f"{limiter.prefix}:*")]
        assert len(keys) == 1
        await limiter._redis.delete(*keys)
    finally:
        await limiter.close()

"""The survey page as HTML: languages, negotiation, switching, branding, missing surveys."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from pejling.frontend.language import LANGUAGES, messages, negotiate_language, pick_language
from tests.survey_page.conftest import Shop, bank, statement_texts


def _statement_ids(page: str) -> list[str]:
    return re.findall(r'data-id="([^"]+)"', page)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_page_in_each_language_shows_the_bank_texts(client: httpx.AsyncClient, shop: Shop, language: str) -> None:
    response = await client.get(shop.url, params={"lang": language})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = html.unescape(response.text)
    assert f'<html lang="{language}"' in page
    texts = statement_texts(language)
    ids = _statement_ids(response.text)
    assert 2 <= len(ids) <= 12
    for statement_id in ids:
        assert texts[statement_id] in page
    assert bank()["outcome"][language] in page
    assert bank()["comment"][language] in page
    for label in bank()["scale"][language]:
        assert label in page
    assert messages(language)["submit"] in page
    visible = re.sub(r"<script.*?</script>", "", page, flags=re.S)
    assert "{store}" not in visible and "{n}" not in visible
    # warm-up statements come first
    warm = [sid for sid in ids if sid.startswith("warmup.")]
    assert ids[: len(warm)] == warm and warm


async def test_accept_language_chooses_the_page_language(client: httpx.AsyncClient, shop: Shop) -> None:
    cases = {
        "sv-SE,sv;q=0.9,en;q=0.5": "sv",
        "nb-NO,nb;q=0.9": "nb",
        "no": "nb",
        "nn-NO,en;q=0.3": "nb",
        "en-GB,en;q=0.9": "en",
        "de-DE,fr;q=0.8": "da",  # nothing fits: the store's default language
    }
    for header, expected in cases.items():
        response = await client.get(shop.url, headers={"Accept-Language": header})
        assert response.status_code == 200
        assert f'<html lang="{expected}"' in response.text, header
        assert response.headers["content-language"] == expected


async def test_language_links_switch_and_keep_the_zone(client: httpx.AsyncClient, shop: Shop) -> None:
    response = await client.get(shop.url, params={"zone": str(shop.zone.id), "ch": "nfc"},
                                headers={"Accept-Language": "da"})
    links = dict(re.findall(r'<a href="([^"]+)" hreflang="(\w+)"', response.text))
    by_language = {code: html.unescape(href) for href, code in links.items()}
    assert set(by_language) == set(LANGUAGES)
    assert 'aria-current="true"' in response.text
    swedish = await client.get(by_language["sv"], headers={"Accept-Language": "da"})
    assert '<html lang="sv"' in swedish.text
    assert f'name="zone_id" value="{shop.zone.id}"' in swedish.text
    assert 'name="channel" value="nfc"' in swedish.text


def test_negotiation_rules() -> None:
    assert negotiate_language("da-DK,da;q=0.9,en;q=0.8") == "da"
    assert negotiate_language("fr, sv;q=0.2") == "sv"
    assert negotiate_language("da;q=0, en;q=0.1") == "en"
    assert negotiate_language("de") is None
    assert negotiate_language(None) is None
    assert pick_language("nb", "sv") == "nb"
    assert pick_language("xx", "sv") == "sv"
    assert pick_language(None, "de", "da") == "da"
    assert pick_language(None, None) == "en"


async def test_every_language_has_every_message() -> None:
    keys = set(messages("en"))
    for language in LANGUAGES:
        assert set(messages(language)) == keys
        assert all(value.strip() for value in messages(language).values())


def test_bank_is_complete_in_four_languages() -> None:
    data = bank()
    goals = {"security", "ease", "autonomy", "recognition", "enjoyment", "discovery", "value"}
    ids = [s["id"] for s in data["statement"]]
    assert len(ids) == len(set(ids))
    for goal in goals:
        assert sum(1 for s in data["statement"] if s["goal"] == goal) >= 2, goal
    assert 1 <= sum(1 for s in data["statement"] if s["warmup"]) <= 2
    negations = re.compile(r"\b(not|never|no|ikke|aldrig|inte|aldri|ingen|inga)\b", re.IGNORECASE)
    for statement in data["statement"]:
        assert statement["id"].split(".")[0] == statement["goal"]
        for language in LANGUAGES:
            text = statement[language]
            assert 0 < len(text) <= 60, text
            assert not negations.search(text), text
            # one idea per item: no "and" joining two things (fixed idioms such as "i ro og fred" are one idea)
            single = re.sub(r"ro og fred|fred og ro|lugn och ro", "", text)
            assert not re.search(r" (og|and|och) ", single), text
    for language in LANGUAGES:
        assert len(data["scale"][language]) == 5
        assert data["outcome"][language] and data["comment"][language]


async def test_brand_colour_and_gzip(client: httpx.AsyncClient, shop: Shop) -> None:
    response = await client.get(shop.url, headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("content-encoding") == "gzip"
    assert "--b-fill:#1f5f8b" in response.text
    assert "<script nonce=" in response.text and "survey-data" in response.text


async def test_unknown_store_is_a_localised_404(client: httpx.AsyncClient, shop: Shop) -> None:
    response = await client.get(f"/s/{shop.tenant.slug}/nowhere", headers={"Accept-Language": "sv"})
    assert response.status_code == 404
    assert '<html lang="sv"' in response.text
    assert messages("sv")["not_found_title"] in html.unescape(response.text)
    response = await client.get("/s/no-such-tenant-here/aarhus", params={"lang": "nb"})
    assert response.status_code == 404
    assert messages("nb")["not_found_title"] in html.unescape(response.text)


async def test_unknown_invitation_is_a_404(client: httpx.AsyncClient, database: object) -> None:
    response = await client.get("/i/not-a-real-token", headers={"Accept-Language": "da"})
    assert response.status_code == 404
    assert '<html lang="da"' in response.text


async def test_invitation_link_opens_the_survey_once(client: httpx.AsyncClient, shop: Shop) -> None:
    from datetime import timedelta

    from pejling.core.surveys.invitations import create_invitation
    from pejling.tenants.scope import tenant_scope

    with tenant_scope(shop.tenant.id):
        _, token = await create_invitation(shop.store, zone=shop.zone)
        _, old = await create_invitation(shop.store, valid_for=timedelta(seconds=-1))
    page = await client.get(f"/i/{token}", headers={"Accept-Language": "nb-NO"})
    assert page.status_code == 200
    assert '<html lang="nb"' in page.text
    fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    assert fields["invitation"] == token and fields["channel"] == "email"
    assert fields["zone_id"] == str(shop.zone.id)
    # the form posts to the invitation's store
    assert f'action="/s/{shop.tenant.slug}/{shop.store.slug}/form"' in page.text

    data = dict(fields)
    for index, statement_id in enumerate(fields["order"].split(",")):
        data[f"s:{statement_id}"] = str(1 + index % 5)
    sent = await client.post(f"/s/{shop.tenant.slug}/{shop.store.slug}/form", data=data)
    assert sent.status_code == 200 and 'id="receipt-code"' in sent.text
    used = await client.get(f"/i/{token}", headers={"Accept-Language": "sv"})
    assert used.status_code == 410
    assert messages("sv")["gone_title"] in html.unescape(used.text)
    expired = await client.get(f"/i/{old}", params={"lang": "en"})
    assert expired.status_code == 410


def test_thank_you_shows_the_reward_in_the_language() -> None:
    from types import SimpleNamespace

    from pejling.core.surveys.pages import render_thanks

    result = SimpleNamespace(
        thank_you={"headline": "Tack för din tid!", "body": "Butiken läser varje svar."},
        receipt_code="K7Q-4MZ",
        reward={"code": "TACK10", "description": {"sv": "10 % rabatt nästa gång", "en": "10% off next time"},
                "expires_at": None},
    )
    page = html.unescape(render_thanks("sv", None, result).body.decode())
    assert '<html lang="sv"' in page
    for text in ("Tack för din tid!", "Butiken läser varje svar.", "K7Q-4MZ", "TACK10", "10 % rabatt nästa gång",
                 messages("sv")["reward_label"], messages("sv")["receipt_help"]):
        assert text in page
    assert "10% off" not in page
    plain = SimpleNamespace(thank_you={}, receipt_code="AAA-BBB", reward=None)
    page = html.unescape(render_thanks("da", None, plain).body.decode())
    assert messages("da")["thanks_headline"] in page and messages("da")["reward_label"] not in page

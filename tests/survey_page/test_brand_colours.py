"""A tenant's brand colour never costs contrast: text on it, it on the page, in light and dark."""

from __future__ import annotations

import re

import pytest
from starlette.requests import Request

from pejling.core.surveys.page_data import OutcomeQuestion, PageStatement, SurveyPage
from pejling.core.surveys.pages import render_survey
from pejling.frontend.brand import DEFAULT_BRAND, brand_colours, contrast, parse_hex

COLOURS = ["#1f5f8b", "#ffd400", "#ffffff", "#000000", "#e30613", "#7fdbff", "#00a650", "#ff69b4", "#808080", "#123"]
LIGHT_SURFACES = ["#ffffff", "#f6f6f3"]
DARK_SURFACES = ["#1f2227", "#15171a"]


@pytest.mark.parametrize("colour", COLOURS)
def test_derived_colours_keep_aa_contrast(colour: str) -> None:
    b = brand_colours(colour)
    rgb = parse_hex
    assert contrast(rgb(b.fill), rgb(b.on_fill)) >= 4.5
    assert contrast(rgb(b.fill_dark), rgb(b.on_fill_dark)) >= 4.5
    for surface in LIGHT_SURFACES:
        assert contrast(rgb(b.ink), rgb(surface)) >= 4.5
        assert contrast(rgb(b.fill), rgb(surface)) >= 3.0
    for surface in DARK_SURFACES:
        assert contrast(rgb(b.ink_dark), rgb(surface)) >= 4.5
        assert contrast(rgb(b.fill_dark), rgb(surface)) >= 3.0


def test_a_usable_brand_colour_is_kept_as_it_is() -> None:
    assert brand_colours("#1f5f8b").fill == "#1f5f8b"
    assert brand_colours("#E30613").fill == "#e30613"


def test_nonsense_falls_back_to_the_default() -> None:
    assert brand_colours("red; background:url(x)").fill == brand_colours(DEFAULT_BRAND).fill
    assert brand_colours(None).fill == brand_colours(DEFAULT_BRAND).fill


def constructed_page(language: str = "en", brand: str = "#ffd400", logo: str | None = None) -> SurveyPage:
    """A survey page built by hand (no database), for rendering tests."""
    return SurveyPage(
        tenant_slug="gul", tenant_name="Gul & Co", store_slug="torget", store_name="Gul Torget", zone_id=None,
        zone_name=None, channel="qr", invitation_token=None, language=language,
        available_languages=("da", "nb", "sv", "en"),
        survey_version_id="00000000-0000-4000-8000-000000000000",
        statements=[
            PageStatement("warmup.visited-today", "I was in the store today.", True),
            PageStatement("ease.quick-to-pay", "Paying went quickly.", False),
            PageStatement("recognition.felt-welcome", "I felt welcome.", False),
        ],
        outcome=OutcomeQuestion("nps", 0, 10, "How likely are you to recommend this store to a friend?"),
        comment_prompt="What was the best or worst moment of your visit?",
        scale_labels=("Strongly disagree", "Disagree", "Neither", "Agree", "Strongly agree"),
        submit_url="/s/gul/torget/responses", form_url="/s/gul/torget/form", brand_colour=brand, logo_url=logo,
    )


def request_for(path: str = "/s/gul/torget") -> Request:
    return Request({"type": "http", "method": "GET", "path": path, "query_string": b"", "headers": []})


def test_logo_and_brand_colour_reach_the_page() -> None:
    page = render_survey(request_for(), constructed_page(logo="https://cdn.example.com/gul.svg")).body.decode()
    assert '<img src="https://cdn.example.com/gul.svg" alt="Gul Torget">' in page
    colours = brand_colours("#ffd400")
    assert f"--b-fill:{colours.fill};--b-on:{colours.on_fill}" in page
    assert '<meta name="theme-color" content="' + colours.fill + '">' in page
    # the store name is escaped in every place it appears
    shop = constructed_page(brand="#1f5f8b")
    hostile = SurveyPage(**{**shop.__dict__, "store_name": "<b>x</b>"})
    html = render_survey(request_for(), hostile).body.decode()
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert re.search(r"<title>[^<]*&lt;b&gt;", html)

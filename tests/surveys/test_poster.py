"""The printed code: the poster PDF from the API (A4 and A5) is rasterised (pypdfium2) and its QR code decoded back
(zxing-cpp) to the code's ``/q/<code>`` URL, also at the resolution a phone has at 1.5 m; the SVG and PNG decode too;
the poster carries the tenant's logo and colour and the texts in the store's language."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlsplit

import httpx
import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image

from pejling.core.settings import Settings
from pejling.core.surveys.poster import CODE_SIDE_MM, PAGE_SIZES_MM, PosterText, poster_pdf
from pejling.frontend.brand import brand_colours, parse_hex
from pejling.frontend.language import messages
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.models import Role, Tenant
from tests.support.tenancy import member, token_for
from tests.surveys.conftest import Shop

CREATE = """mutation($store: ID!, $zone: ID) {
  createSurveyCode(storeId: $store, zoneId: $zone) {
    surveyCode { code url svgUrl pngUrl posterA4Url posterA5Url } errors { code message }
  }
}"""
PHONE_AT_1_5_M = 1920 / 2100
"""Pixels per millimetre of a poster 1.5 m from a phone: a 1 920-pixel frame across a 70° view (2.1 m wide)."""
PHONE_AT_1_M = 1920 / 1400


def _render(pdf: bytes, px_per_mm: float) -> Image.Image:
    document = pdfium.PdfDocument(pdf)
    try:
        image: Image.Image = document[0].render(scale=px_per_mm * 25.4 / 72).to_pil()
    finally:
        document.close()
    return image


def _decoded(image: Image.Image) -> list[Any]:
    return [r for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]


def _text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        return str(document[0].get_textpage().get_text_bounded())
    finally:
        document.close()


async def _code(client: httpx.AsyncClient, shop: Shop) -> tuple[dict[str, Any], dict[str, str]]:
    token = await token_for(shop.tenant, await member(shop.tenant, Role.ADMIN))
    headers = {"Authorization": f"Bearer {token}"}
    reply = await client.post("/graphql", headers=headers, json={"query": CREATE, "variables": {
        "store": encode_id("Store", shop.store.id), "zone": encode_id("Zone", shop.zone.id)}})
    payload = reply.json()["data"]["createSurveyCode"]
    assert payload["errors"] == []
    return payload["surveyCode"], headers


@pytest.fixture
async def branded(shop: Shop) -> Shop:
    """The shop's tenant with a logo (a 300 x 100 PNG, solid green) and an orange brand colour."""
    logo = io.BytesIO()
    Image.new("RGB", (300, 100), (0, 140, 60)).save(logo, format="PNG")
    await Tenant.filter(id=shop.tenant.id).update(brand_colour="#e8590c", logo=logo.getvalue(), logo_type="image/png",
                                                  logo_version=1)
    return shop


@pytest.mark.parametrize("size", ["A4", "A5"])
async def test_the_poster_from_the_api_scans_to_the_code_url(
    client: httpx.AsyncClient, branded: Shop, database: Settings, size: str
) -> None:
    made, headers = await _code(client, branded)
    url = made["posterA4Url"] if size == "A4" else made["posterA5Url"]
    assert (await client.get(urlsplit(url).path)).status_code == 401
    reply = await client.get(urlsplit(url).path, headers=headers)
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == "application/pdf"
    assert "attachment" in reply.headers["content-disposition"]
    pdf = reply.content
    expected = f"{database.base_url.rstrip('/')}/q/{made['code']}"
    assert made["url"] == expected

    px_per_mm = 6.0
    page = _render(pdf, px_per_mm)
    width_mm, height_mm = PAGE_SIZES_MM[size]
    assert abs(page.width / px_per_mm - width_mm) < 1 and abs(page.height / px_per_mm - height_mm) < 1
    found = _decoded(page)
    assert [r.text for r in found] == [expected]
    # The code is as large as promised: its modules area measured on the rendered page.
    corners = found[0].position
    side_mm = (corners.top_right.x - corners.top_left.x) / px_per_mm
    assert side_mm >= CODE_SIDE_MM[size] * 0.95
    assert side_mm >= (100 if size == "A4" else 80)

    # From where a shopper stands: 1.5 m from the A4 poster on a wall, 1 m from the A5 one on a counter.
    far = _render(pdf, PHONE_AT_1_5_M if size == "A4" else PHONE_AT_1_M)
    assert [r.text for r in _decoded(far)] == [expected]

    # Brand colour in the band under the logo, the logo itself, and the store's language (da).
    fill = parse_hex(brand_colours("#e8590c").fill)
    band = page.convert("RGB").getpixel((int(8 * px_per_mm), int((14 + 28 + 15) * px_per_mm * width_mm / 210)))
    assert band == fill
    logo = page.convert("RGB").getpixel((int(width_mm / 2 * px_per_mm), int((14 + 11) * px_per_mm * width_mm / 210)))
    assert logo == (0, 140, 60)
    text = " ".join(_text(pdf).split())
    t = messages("da")
    assert t["poster_headline"] in text and t["poster_minute"] in text
    assert t["poster_changes"].replace("{store}", branded.store.name) in text
    assert made["code"] in text  # the short URL is printed for those who type it


async def test_svg_and_png_decode_to_the_code_url(client: httpx.AsyncClient, shop: Shop, database: Settings) -> None:
    made, headers = await _code(client, shop)
    png = await client.get(urlsplit(made["pngUrl"]).path, headers=headers)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert [r.text for r in _decoded(Image.open(io.BytesIO(png.content)))] == [made["url"]]
    svg = await client.get(urlsplit(made["svgUrl"]).path, headers=headers)
    assert svg.status_code == 200 and b"<svg" in svg.content and made["url"].encode() in svg.content


@pytest.mark.parametrize("language", ["da", "nb", "sv", "en"])
def test_the_poster_speaks_each_language_and_survives_odd_names(language: str) -> None:
    name = "Café “Ølstue” – Åbo 😀"
    pdf = poster_pdf("https://pejling.example/q/ABCD2345", PosterText(name, language, "#ffffff", b"not an image"))
    text = " ".join(_text(pdf).split())
    assert messages(language)["poster_minute"] in text
    assert "Café \"Ølstue\" - Åbo" in text  # typographic quotes and dashes plainly; what the font lacks is a '?'
    assert [r.text for r in _decoded(_render(pdf, 4))] == ["https://pejling.example/q/ABCD2345"]

"""Brand colour and logo: set through GraphQL by admins, served by us to the survey page."""

from __future__ import annotations

import base64
import io
import struct
import zlib

import httpx
import pytest
from PIL import Image, PngImagePlugin

from pejling.tenants.branding import MAX_LOGO_BYTES
from pejling.tenants.logo_pixels import MAX_LOGO_PIXELS, LogoRefused, redrawn_logo
from pejling.tenants.models import Role, Store, Tenant
from pejling.tenants.scope import tenant_scope
from tests.support.tenancy import gql, make_tenant, member, token_for

UPDATE = """mutation($input: TenantChanges!) { updateTenant(input: $input) {
  tenant { name brandColour logoUrl } errors { code field } } }"""
LOGO = "mutation($d: String) { setTenantLogo(dataUrl: $d) { tenant { logoUrl } errors { code field message } } }"


def chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data and CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def tiny_png() -> bytes:
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xd0\x30\x30"))
            + chunk(b"IEND", b""))


def logo_image() -> Image.Image:
    """A small logo with half-transparent and opaque pixels in several colours."""
    image = Image.new("RGBA", (24, 12), (31, 95, 139, 255))
    for x in range(12):
        image.putpixel((x, x), (232, 89, 12, 128))
    return image


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def pixels(data: bytes) -> tuple[str, tuple[int, int], bytes]:
    with Image.open(io.BytesIO(data)) as image:
        return image.mode, image.size, image.tobytes()


def data_url(kind: str, data: bytes) -> str:
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


async def test_admin_sets_colour_and_logo_and_the_survey_page_uses_them(client: httpx.AsyncClient) -> None:
    shop = await make_tenant(stores=1)
    changed = await gql(client, UPDATE, {"input": {"brandColour": "#AA3300", "name": "Nordlys"}}, shop.headers)
    assert changed["data"]["updateTenant"]["tenant"] == {"name": "Nordlys", "brandColour": "#aa3300", "logoUrl": None}
    png = tiny_png()
    logo = (await gql(client, LOGO, {"d": data_url("image/png", png)}, shop.headers))["data"]["setTenantLogo"]
    url = logo["tenant"]["logoUrl"]
    assert logo["errors"] == [] and url.startswith(f"/s/{shop.tenant.slug}/logo?v=")
    served = await client.get(url)
    assert pixels(served.content) == pixels(png) and served.headers["content-type"] == "image/png"
    assert "immutable" in served.headers["cache-control"]
    page = await client.get(f"/s/{shop.tenant.slug}/{shop.stores[0].slug}")
    assert page.status_code == 200 and url.replace("&", "&amp;") in page.text
    removed = (await gql(client, LOGO, {"d": None}, shop.headers))["data"]["setTenantLogo"]
    assert removed["tenant"]["logoUrl"] is None
    assert (await client.get(url)).status_code == 404


async def test_bad_branding_is_refused_and_changes_nothing(client: httpx.AsyncClient) -> None:
    shop = await make_tenant(stores=0)
    bad = await gql(client, UPDATE, {"input": {"brandColour": "red", "name": ""}}, shop.headers)
    assert {e["field"] for e in bad["data"]["updateTenant"]["errors"]} == {"brandColour", "name"}
    svg = data_url("image/svg+xml", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>")
    for candidate in (svg, data_url("image/png", b"GIF89a not a png"), data_url("image/png", tiny_png() * 400),
                      "https://example.com/logo.png"):
        refused = (await gql(client, LOGO, {"d": candidate}, shop.headers))["data"]["setTenantLogo"]
        assert refused["tenant"] is None and refused["errors"][0]["field"] == "logo"
    tenant = await Tenant.get(id=shop.tenant.id)
    assert (tenant.name, tenant.brand_colour, tenant.logo_type) == (shop.tenant.name, "#1f5f8b", None)


async def test_only_admins_change_branding_and_logo_is_not_a_store_slug(client: httpx.AsyncClient) -> None:
    shop = await make_tenant(stores=0)
    analyst = await member(shop.tenant, Role.ANALYST)
    headers = {"Authorization": f"Bearer {await token_for(shop.tenant, analyst)}"}
    refused = await gql(client, UPDATE, {"input": {"brandColour": "#000000"}}, headers)
    assert refused["data"]["updateTenant"]["errors"][0]["code"] == "forbidden"
    store = await gql(client, 'mutation { createStore(input: {name: "Logo", slug: "logo"}) { errors { field } } }',
                      headers=shop.headers)
    assert store["data"]["createStore"]["errors"] == [{"field": "slug"}]
    with tenant_scope(shop.tenant.id):
        assert await Store.all().count() == 0


async def _set_logo(client: httpx.AsyncClient, headers: dict[str, str], kind: str, data: bytes) -> dict:
    return (await gql(client, LOGO, {"d": data_url(kind, data)}, headers))["data"]["setTenantLogo"]


async def _served(client: httpx.AsyncClient, headers: dict[str, str], kind: str, data: bytes) -> bytes:
    """The logo shoppers get at /s/<tenant>/logo after setting ``data``."""
    logo = await _set_logo(client, headers, kind, data)
    assert logo["errors"] == [], logo
    served = await client.get(logo["tenant"]["logoUrl"])
    assert served.status_code == 200 and served.headers["content-type"] == kind
    return served.content


async def test_what_follows_the_image_is_not_served(client: httpx.AsyncClient) -> None:
    """A PNG that is also a ZIP (its archive appended after IEND) or an HTML page: only the image is served."""
    shop = await make_tenant(stores=0)
    png = encoded(logo_image(), "PNG")
    zip_tail = b"PK\x03\x04\x14\x00\x00\x00payload.exe" + b"MZ" * 20 + b"PK\x05\x06" + b"\0" * 18
    html_tail = b"<html><script>alert(document.cookie)</script></html>"
    for tail in (zip_tail, html_tail):
        served = await _served(client, shop.headers, "image/png", png + tail)
        assert served.endswith(b"IEND\xaeB`\x82")
        assert b"PK\x03\x04" not in served and b"payload" not in served and b"<script" not in served
        assert pixels(served) == pixels(png)


async def test_exif_gps_and_text_chunks_are_not_served(client: httpx.AsyncClient) -> None:
    shop = await make_tenant(stores=0)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif.get_ifd(0x8825).update({1: "N", 2: (59.0, 54.0, 41.0), 3: "E", 4: (10.0, 45.0, 8.0)})  # GPS
    photo = encoded(Image.new("RGB", (32, 32), (200, 40, 40)), "JPEG", exif=exif.tobytes(), quality=95,
                    comment=b"shot at home")
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(0x8825) and b"shot at home" in photo  # in the upload
    served = await _served(client, shop.headers, "image/jpeg", photo)
    with Image.open(io.BytesIO(served)) as image:
        assert not image.getexif() and not image.getexif().get_ifd(0x8825) and "comment" not in image.info
    assert b"Exif" not in served and b"PhoneMaker" not in served and b"shot at home" not in served

    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "internal draft, do not publish")
    text.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>GPSLatitude 59,54.7N</x:xmpmeta>")
    png = encoded(logo_image(), "PNG", pnginfo=text, exif=exif.tobytes(), icc_profile=b"\0" * 128)
    assert b"tEXt" in png and b"iTXt" in png and b"eXIf" in png and b"iCCP" in png
    served = await _served(client, shop.headers, "image/png", png)
    for kind in (b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"iCCP", b"internal draft", b"GPSLatitude"):
        assert kind not in served, kind
    assert pixels(served) == pixels(png)


async def test_each_type_keeps_its_type_and_alpha(client: httpx.AsyncClient) -> None:
    shop = await make_tenant(stores=0)
    webp = await _served(client, shop.headers, "image/webp", encoded(logo_image(), "WEBP", lossless=True))
    assert pixels(webp) == pixels(encoded(logo_image(), "PNG"))  # lossless when it fits
    palette = logo_image().convert("RGB").quantize(8)
    served = await _served(client, shop.headers, "image/png", encoded(palette, "PNG", transparency=0))
    with Image.open(io.BytesIO(served)) as image:
        assert image.mode == "P" and image.info["transparency"] == 0
    jpeg = await _served(client, shop.headers, "image/jpeg", encoded(Image.new("L", (16, 16), 90), "JPEG"))
    assert Image.open(io.BytesIO(jpeg)).format == "JPEG"


def _declared_png(width: int, height: int) -> bytes:
    """A small PNG whose header declares ``width`` × ``height`` one-bit pixels, with data for a few rows only."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = zlib.compress(b"\0" * ((width + 7) // 8 + 1) * 4)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


async def _refused_and_the_old_logo_stays(client: httpx.AsyncClient, kind: str, data: bytes) -> str:
    shop = await make_tenant(stores=0)
    old = encoded(logo_image(), "PNG")
    url = (await _set_logo(client, shop.headers, "image/png", old))["tenant"]["logoUrl"]
    before = await Tenant.get(id=shop.tenant.id)
    refused = await _set_logo(client, shop.headers, kind, data)
    assert refused["tenant"] is None and [e["field"] for e in refused["errors"]] == ["logo"], refused
    after = await Tenant.get(id=shop.tenant.id)
    assert (bytes(after.logo or b""), after.logo_type, after.logo_version) == (
        bytes(before.logo or b""), "image/png", before.logo_version)
    assert pixels((await client.get(url)).content) == pixels(old)
    return str(refused["errors"][0]["message"])


@pytest.mark.parametrize("side", [2100, 10_000, 30_000], ids=["over-our-limit", "pillow-warns", "pillow-refuses"])
async def test_a_decompression_bomb_is_refused_and_the_old_logo_stays(client: httpx.AsyncClient, side: int) -> None:
    bomb = _declared_png(side, side)
    assert len(bomb) < MAX_LOGO_BYTES and side * side > MAX_LOGO_PIXELS
    message = await _refused_and_the_old_logo_stays(client, "image/png", bomb)
    assert "pixels" in message


@pytest.mark.parametrize("kind, data", [
    ("image/png", encoded(logo_image(), "PNG")[:60]),  # cut off in the middle of its pixels
    ("image/png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64),
    ("image/jpeg", b"\xff\xd8\xff\xe0" + b"garbage" * 20),
    ("image/webp", b"RIFF\x20\0\0\0WEBPVP8 " + b"\0" * 24),
    ("image/jpeg", encoded(logo_image(), "PNG")),  # PNG bytes declared as JPEG
    ("image/png", encoded(logo_image(), "PNG", save_all=True, append_images=[Image.new("RGBA", (24, 12))])),
], ids=["truncated-png", "garbage-png", "garbage-jpeg", "garbage-webp", "png-declared-as-jpeg", "animated-png"])
async def test_what_does_not_decode_as_its_type_is_refused_and_the_old_logo_stays(
        client: httpx.AsyncClient, kind: str, data: bytes) -> None:
    await _refused_and_the_old_logo_stays(client, kind, data)


def test_a_logo_over_the_limit_once_encoded_is_refused() -> None:
    png = encoded(logo_image(), "PNG")
    assert redrawn_logo(png, "image/png", len(png) * 2)
    with pytest.raises(LogoRefused, match="Once cleaned"):
        redrawn_logo(png, "image/png", 40)


def test_a_16_bit_grey_logo_keeps_its_greys() -> None:
    """A 16-bit greyscale PNG (as some design tools export) is scaled to 8 bits, not clipped to white."""
    greys = Image.new("I;16", (64, 4))
    for x in range(64):
        for y in range(4):
            greys.putpixel((x, y), x * 1024)  # 0 … 64 512 of 65 535
    with Image.open(io.BytesIO(redrawn_logo(encoded(greys, "PNG"), "image/png", MAX_LOGO_BYTES))) as image:
        assert image.mode == "L"
        assert [image.getpixel((x, 0)) for x in range(64)] == [x * 4 for x in range(64)]

"""Brand colour and logo: set through GraphQL by admins, served by us to the survey page."""

from __future__ import annotations

import base64
import struct
import zlib

import httpx

from pejling.tenants.models import Role, Store, Tenant
from pejling.tenants.scope import tenant_scope
from tests.support.tenancy import gql, make_tenant, member, token_for

UPDATE = """mutation($input: TenantChanges!) { updateTenant(input: $input) {
  tenant { name brandColour logoUrl } errors { code field } } }"""
LOGO = "mutation($d: String) { setTenantLogo(dataUrl: $d) { tenant { logoUrl } errors { code field message } } }"


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xd0\x30\x30"))
            + chunk(b"IEND", b""))


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
    assert served.content == png and served.headers["content-type"] == "image/png"
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

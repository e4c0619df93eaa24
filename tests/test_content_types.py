"""Every response with a body says what it is, and a text one names its charset (ASVS V4.1.1): HTML, CSS, scripts,
CSV, SVG and event streams as ``charset=utf-8``; JSON is UTF-8 by definition; images, PDFs and archives are binary."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import httpx

from pejling.graphql.relay_ids import encode_id
from pejling.tenants.models import Role
from tests.support.tenancy import member, token_for
from tests.survey_page.conftest import make_shop

CREATE_CODE = """mutation($store: ID!) { createSurveyCode(storeId: $store) {
  surveyCode { svgUrl pngUrl posterA4Url } errors { code } } }"""
BINARY = ("image/png", "image/jpeg", "image/webp", "application/pdf", "application/zip", "font/")


def check_content_type(response: httpx.Response) -> None:
    """The response's Content-Type fits the rules above (and a text body really is UTF-8)."""
    where = f"{response.request.method} {response.request.url.path} ({response.status_code})"
    if not response.content:
        return
    content_type = response.headers.get("content-type", "")
    media_type = content_type.split(";")[0].strip().lower()
    assert media_type, f"{where}: a body without a Content-Type"
    if media_type.startswith(BINARY):
        return
    if media_type == "application/json" or media_type.endswith("+json"):
        response.json()
        return
    assert media_type.startswith("text/") or media_type.endswith(("+xml", "/javascript")), f"{where}: {media_type}"
    assert re.search(r";\s*charset=utf-8\b", content_type, flags=re.I), f"{where}: {content_type} names no charset"
    response.content.decode("utf-8")


async def test_every_kind_of_response_names_its_charset_or_is_json_or_binary(
    client: httpx.AsyncClient, database: Any
) -> None:
    shop = await make_shop()
    token = await token_for(shop.tenant, await member(shop.tenant, Role.ADMIN))
    api = {"Authorization": f"Bearer {token}"}
    made = (await client.post("/graphql", headers=api, json={"query": CREATE_CODE, "variables": {
        "store": encode_id("Store", shop.store.id)}})).json()["data"]["createSurveyCode"]["surveyCode"]
    portal = await client.get("/login")
    assets = re.findall(r'(?:src|href)="(/portal-assets/[^"]+)"', portal.text)
    assert assets, "the portal page links its bundle"
    graphiql = await client.get("/graphql", headers={"Accept": "text/html"})
    graphiql_assets = re.findall(r'(?:src|href)="(/graphiql-assets/[^"]+)"', graphiql.text)
    responses = [
        portal, graphiql,
        await client.get("/"), await client.get("/portal/stores"), await client.get("/no/such/page"),
        await client.get("/healthz"), await client.get("/readyz"),
        await client.get(shop.url), await client.get(f"/s/{shop.tenant.slug}/no-such-store"),
        await client.post(f"{shop.url}/form", data={"comment": "x"}),
        await client.post("/graphql", json={"query": "{ __typename }"}),
        await client.post("/graphql", content=b"not json", headers={"Content-Type": "application/json"}),
        await client.get(urlsplit(made["svgUrl"]).path, headers=api),
        await client.get(urlsplit(made["pngUrl"]).path, headers=api),
        await client.get(urlsplit(made["posterA4Url"]).path, headers=api),
        *[await client.get(path) for path in assets + graphiql_assets],
    ]
    kinds = set()
    for response in responses:
        check_content_type(response)
        kinds.add(response.headers.get("content-type", "").split(";")[0])
    assert {"text/html", "application/json", "image/svg+xml", "image/png", "application/pdf"} <= kinds, kinds
    assert any("javascript" in kind for kind in kinds) and "text/css" in kinds, kinds

"""Vipps Login: a shopper who wants a reply identifies themselves after responding, against a local OIDC provider
(discovery, PKCE, nonce, RS256 ID token from the JWKS). Never required; a forged or expired token changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from pejling.core.settings import Settings
from pejling.core.surveys.models import Response
from pejling.plugins.vipps.login import ALLOW_PRIVATE
from pejling.tenants.plugin_settings import PluginSetting
from pejling.tenants.scope import all_tenants, tenant_scope
from tests.surveys.conftest import Shop, make_shop
from tests.surveys.test_model_questions import _app_plugins
from tests.vipps.oidc_provider import CLIENT_ID, CLIENT_SECRET, EMAIL, Provider, serve_provider


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    """The local provider, at a loopback address: the internal-address opt-in is set while it serves."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ALLOW_PRIVATE, "1")
        yield from serve_provider()


async def test_an_issuer_at_an_internal_address_is_not_called_without_the_opt_in(
    app: Any, client: httpx.AsyncClient, provider: Provider, database: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issuer is a tenant setting: the server must not be made to call its own network (SSRF)."""
    shop, answer = await responded(app, client, provider)
    monkeypatch.delenv(ALLOW_PRIVATE)
    start = await client.get("/vipps/login", params={"response": answer["id"], "receipt": answer["receipt_code"]})
    assert start.status_code == 502
    assert await stored(shop, answer) == (False, None)


async def responded(app: Any, client: httpx.AsyncClient, provider: Provider) -> tuple[Shop, dict[str, Any]]:
    """A shop with Vipps Login configured and one anonymous response, as the thank-you screen has it."""
    shop = await make_shop()
    await _app_plugins(app).enable_plugin(shop.tenant.id, "vipps", {
        "login_issuer": provider.issuer, "login_client_id": CLIENT_ID, "login_client_secret": CLIENT_SECRET})
    reply = await client.post(f"/s/{shop.tenant.slug}/main/responses", json=shop.payload())
    assert reply.status_code == 201, reply.text
    return shop, reply.json()


async def login(client: httpx.AsyncClient, answer: dict[str, Any], receipt: str | None = None,
                state: str | None = None) -> httpx.Response:
    """The shopper's browser: start, consent at the provider, come back."""
    start = await client.get("/vipps/login", params={"response": answer["id"],
                                                      "receipt": receipt or answer["receipt_code"]})
    if start.status_code != 302:
        return start
    async with httpx.AsyncClient() as browser:
        consent = await browser.get(start.headers["location"])
    assert consent.status_code == 302, consent.text
    back = urlsplit(consent.headers["location"])
    query = back.query if state is None else back.query.split("&state=")[0] + f"&state={state}"
    return await client.get(f"{back.path}?{query}")


async def stored(shop: Shop, answer: dict[str, Any]) -> tuple[bool, str | None]:
    with tenant_scope(shop.tenant.id):
        response = await Response.get(id=answer["id"])
    return response.consent_contact, response.contact_email


async def test_a_shopper_identifies_with_vipps_login_after_responding(
    app: Any, client: httpx.AsyncClient, provider: Provider, database: Settings
) -> None:
    shop, answer = await responded(app, client, provider)
    assert await stored(shop, answer) == (False, None)  # anonymous until the shopper chooses to log in
    done = await login(client, answer)
    assert done.status_code == 200 and EMAIL in done.text
    assert await stored(shop, answer) == (True, EMAIL)
    asked = provider.authorized[-1]
    assert asked["code_challenge_method"] == "S256" and asked["nonce"] and "openid" in asked["scope"]
    assert parse_qs(urlsplit(asked["redirect_uri"]).query) == {}
    with all_tenants():
        config = (await PluginSetting.get(tenant_id=shop.tenant.id, plugin="vipps")).config
    assert config["login_client_secret"] != CLIENT_SECRET  # sealed at rest


@pytest.mark.parametrize("trouble", ["forged", "expired", "state", "receipt"])
async def test_a_bad_login_changes_nothing(
    app: Any, client: httpx.AsyncClient, provider: Provider, database: Settings, trouble: str
) -> None:
    shop, answer = await responded(app, client, provider)
    provider.forge, provider.lifetime = trouble == "forged", -60 if trouble == "expired" else 300
    try:
        if trouble == "receipt":
            reply = await login(client, answer, receipt="AAA-AAA")
        else:
            reply = await login(client, answer, state="not-the-state" if trouble == "state" else None)
    finally:
        provider.forge, provider.lifetime = False, 300
    assert reply.status_code == (404 if trouble == "receipt" else 400)
    assert EMAIL not in reply.text
    assert await stored(shop, answer) == (False, None)

"""Installing the Shopify app end to end against the test Shopify: signed install request, authlib's authorisation
code flow with a state bound to the retailer's tenant, the code exchange, the sealed token; forgeries change nothing."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import httpx

from pejling.core.secrets_at_rest import unseal
from pejling.core.settings import Settings
from pejling.plugins.shopify.install import token_purpose
from pejling.plugins.shopify.models import ShopifyShop
from pejling.tenants.models import Role, Tenant, User
from pejling.tenants.scope import all_tenants
from tests.shopify.conftest import CLIENT_ID, Retailer, install, install_query
from tests.shopify.shopify_server import FakeShopify
from tests.support.tenancy import member, token_for
from tests.surveys.conftest import make_shop


async def _shops(domain: str) -> list[ShopifyShop]:
    with all_tenants():
        return await ShopifyShop.filter(shop=domain)


async def test_install_end_to_end_keeps_the_offline_token_sealed(
    client: httpx.AsyncClient, shopify: FakeShopify, retailer: Retailer, database: Settings,
) -> None:
    start = await client.get("/integrations/shopify/install", params=install_query(shopify, retailer.domain),
                             headers=retailer.auth)
    assert start.status_code == 302
    authorize = urlsplit(start.headers["location"])
    assert authorize.path == f"/shops/{retailer.domain}/admin/oauth/authorize"
    query = parse_qs(authorize.query)
    assert query["client_id"] == [CLIENT_ID] and query["response_type"] == ["code"]
    assert query["scope"] == ["read_orders,read_customers,write_discounts"]
    assert query["redirect_uri"] == [database.base_url.rstrip("/") + "/integrations/shopify/callback"]

    done = await install(client, shopify, retailer)
    assert done.status_code == 302, done.text
    assert done.headers["location"] == f"{shopify.base}/shops/{retailer.domain}/admin/apps/{CLIENT_ID}"
    (row,) = await _shops(retailer.domain)
    assert row.tenant_id == retailer.shop.tenant.id and row.uninstalled_at is None
    token = unseal(row.sealed_token or "", purpose=token_purpose(row.tenant_id, row.shop), settings=database)
    assert shopify.tokens[token] == retailer.domain
    assert token not in (row.sealed_token or "")
    assert shopify.exchanges[-1]["client_id"] == CLIENT_ID and shopify.exchanges[-1]["code"]

    # The retailer sees the shop as connected, never the token.
    listed = await client.get("/plugins/shopify/shops", headers=retailer.auth)
    assert listed.status_code == 200
    (shown,) = listed.json()["shops"]
    assert shown["shop"] == retailer.domain and shown["connected"] is True
    assert token not in listed.text and (row.sealed_token or "") not in listed.text


async def test_forged_or_stale_install_requests_are_refused(
    client: httpx.AsyncClient, shopify: FakeShopify, retailer: Retailer,
) -> None:
    url = "/integrations/shopify/install"
    forged = install_query(shopify, retailer.domain, hmac="0" * 64)
    assert (await client.get(url, params=forged, headers=retailer.auth)).status_code == 401
    # A query signed for one shop, with the shop swapped afterwards.
    swapped = {**install_query(shopify, retailer.domain), "shop": "other-shop.myshopify.com"}
    assert (await client.get(url, params=swapped, headers=retailer.auth)).json()["error"] == "invalid_signature"
    stale = shopify.sign_query({"shop": retailer.domain, "timestamp": str(int(time.time()) - 7200)})
    assert (await client.get(url, params=stale, headers=retailer.auth)).json()["error"] == "stale_request"
    for bad in ("evil.example.com", "shop.myshopify.com.evil.example", "https://x.myshopify.com", "-x.myshopify.com"):
        answer = await client.get(url, params=shopify.sign_query({"shop": bad, "timestamp": str(int(time.time()))}),
                                  headers=retailer.auth)
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_shop", bad
    # Signed, but nobody is logged in; and an analyst may not connect a shop.
    assert (await client.get(url, params=install_query(shopify, retailer.domain))).status_code == 401
    # … and a browser that is not logged in is sent to the login, which brings it back to this very request.
    query = install_query(shopify, retailer.domain)
    browser = await client.get(url, params=query, headers={"Accept": "text/html,application/xhtml+xml"})
    assert browser.status_code == 303
    target = urlsplit(browser.headers["location"])
    assert target.path == "/login"
    back = urlsplit(parse_qs(target.query)["next"][0])
    assert back.path == url and parse_qs(back.query) == {k: [v] for k, v in query.items()}
    analyst = await token_for(retailer.shop.tenant, await member(retailer.shop.tenant, Role.ANALYST))
    answer = await client.get(url, params=install_query(shopify, retailer.domain),
                              headers={"Authorization": f"Bearer {analyst}"})
    assert answer.status_code == 403
    assert await _shops(retailer.domain) == []


async def test_forged_callback_or_a_state_of_another_tenant_stores_nothing(
    client: httpx.AsyncClient, shopify: FakeShopify, retailer: Retailer,
) -> None:
    start = await client.get("/integrations/shopify/install", params=install_query(shopify, retailer.domain),
                             headers=retailer.auth)
    async with httpx.AsyncClient(timeout=10) as browser:
        approved = await browser.get(start.headers["location"])
    back = urlsplit(approved.headers["location"])
    params = {k: v[0] for k, v in parse_qs(back.query).items()}

    # The code swapped after Shopify signed: the HMAC no longer holds.
    forged = {**params, "code": "f" * 32}
    answer = await client.get(back.path, params=forged, headers=retailer.auth)
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_signature"

    # Correctly signed by Shopify, but the state was made for this retailer's tenant: another tenant's owner who
    # follows the link is refused.
    intruder = await token_for(*(await _other_owner()))
    answer = await client.get(back.path, params=params, headers={"Authorization": f"Bearer {intruder}"})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_state"

    # A state that is not ours, signed by Shopify.
    tampered = shopify.sign_query({**{k: v for k, v in params.items() if k != "hmac"}, "state": "abc.def"})
    answer = await client.get(back.path, params=tampered, headers=retailer.auth)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_state"
    assert await _shops(retailer.domain) == []
    assert shopify.codes, "no code was exchanged"

    # The genuine callback still works once, and its code cannot be used again.
    assert (await client.get(back.path, params=params, headers=retailer.auth)).status_code == 302
    again = await client.get(back.path, params=params, headers=retailer.auth)
    assert again.status_code == 502 and again.json()["error"] == "token_exchange_failed"
    assert len(await _shops(retailer.domain)) == 1


async def test_a_shop_connected_to_one_tenant_cannot_be_taken_by_another(
    client: httpx.AsyncClient, shopify: FakeShopify, retailer: Retailer,
) -> None:
    assert (await install(client, shopify, retailer)).status_code == 302
    tenant, owner = await _other_owner()
    other = Retailer(retailer.shop, await token_for(tenant, owner), retailer.domain)
    answer = await install(client, shopify, other)
    assert answer.status_code == 409 and answer.json()["error"] == "shop_taken"
    (row,) = await _shops(retailer.domain)
    assert row.tenant_id == retailer.shop.tenant.id


async def _other_owner() -> tuple[Tenant, User]:
    other = await make_shop()
    return other.tenant, await member(other.tenant, Role.OWNER)

"""The GraphQL field ``shopifyShops``: after a real install (against the test Shopify) the retailer's owner sees the
shop connected with its token's fingerprint, never the token; after ``app/uninstalled`` it is no longer connected;
an analyst is refused."""

from __future__ import annotations

import httpx

from pejling.core.secrets_at_rest import fingerprint, unseal
from pejling.core.settings import Settings
from pejling.plugins.shopify.install import token_purpose
from pejling.plugins.shopify.models import ShopifyShop
from pejling.tenants.models import Role
from pejling.tenants.scope import tenant_scope
from tests.shopify.conftest import Retailer, install, send_webhook
from tests.shopify.shopify_server import FakeShopify
from tests.support.tenancy import gql, member, token_for

SHOPS = "{ shopifyShops { shop connected tokenFingerprint installedAt uninstalledAt } }"


async def test_the_connected_shop_is_shown_without_its_token(
    client: httpx.AsyncClient, shopify: FakeShopify, retailer: Retailer, database: Settings,
) -> None:
    before = await gql(client, SHOPS, {}, retailer.auth)
    assert before["data"]["shopifyShops"] == [], before

    assert (await install(client, shopify, retailer)).status_code == 302
    with tenant_scope(retailer.shop.tenant.id):
        row = await ShopifyShop.get(shop=retailer.domain)
    token = unseal(row.sealed_token or "", purpose=token_purpose(row.tenant_id, row.shop), settings=database)
    seen = await gql(client, SHOPS, {}, retailer.auth)
    (shop,) = seen["data"]["shopifyShops"]
    assert shop["shop"] == retailer.domain and shop["connected"] is True and shop["uninstalledAt"] is None
    assert shop["tokenFingerprint"] == fingerprint(row.sealed_token or "")
    assert token not in str(seen) and (row.sealed_token or "") not in str(seen)

    gone = await send_webhook(client, shopify, retailer.domain, "app/uninstalled", {"domain": retailer.domain})
    assert gone.status_code == 200
    (after,) = (await gql(client, SHOPS, {}, retailer.auth))["data"]["shopifyShops"]
    assert after["connected"] is False and after["tokenFingerprint"] is None and after["uninstalledAt"] is not None


async def test_an_analyst_cannot_list_the_shops(client: httpx.AsyncClient, retailer: Retailer) -> None:
    analyst = await token_for(retailer.shop.tenant, await member(retailer.shop.tenant, Role.ANALYST))
    answer = await gql(client, SHOPS, {}, {"Authorization": f"Bearer {analyst}"})
    assert answer["data"] is None or answer["data"].get("shopifyShops") is None, answer
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN", answer

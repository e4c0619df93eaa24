"""Shopify's mandatory privacy webhooks: a customer's data request becomes an export the retailer sees, a customer's
and a shop's erasure remove the orders, invitations and responses (through core's erasure), and nothing else."""

from __future__ import annotations

import re
import secrets
from typing import Any

import httpx

from pejling.core.settings import Settings
from pejling.core.surveys.models import Answer, Invitation, Response
from pejling.plugins.shopify.models import ShopifyDataRequest, ShopifyOrder, ShopifyShop, ShopifyWebhook
from pejling.tenants.models import Role
from pejling.tenants.scope import tenant_scope
from tests.shopify.conftest import UA_PHONE, Retailer, address, paid_order, run_jobs, send_webhook
from tests.shopify.shopify_server import FakeShopify
from tests.support.tenancy import member, token_for
from tests.surveys.conftest import make_shop

CUSTOMER = 207119551


async def shopper_responds(client: httpx.AsyncClient, shopify: FakeShopify, retailer: Retailer, plugins: Any,
                           settings: Settings, smtp: Any, order: dict[str, Any]) -> Response:
    """The order's webhook, its invitation mail, and the shopper's response through the link."""
    email = order["email"]
    assert (await send_webhook(client, shopify, retailer.domain, "orders/paid", order)).status_code == 200
    await run_jobs(settings, plugins)
    (mail,) = await smtp.wait_for(email)
    (token,) = set(re.findall(r"https?://\S+/i/([A-Za-z0-9_-]+)", mail.get_body(("plain",)).get_content()))
    payload = retailer.shop.payload(invitation=token, channel="email", comment="Venlig betjening")
    answer = await client.post(f"/s/{retailer.shop.tenant.slug}/main/responses", json=payload,
                               headers={"user-agent": UA_PHONE})
    assert answer.status_code == 201, answer.text
    with tenant_scope(retailer.shop.tenant.id):
        return await Response.get(id=payload["id"])


def privacy_payload(retailer: Retailer, email: str, orders_key: str, orders: list[int]) -> dict[str, Any]:
    return {"shop_id": 954889, "shop_domain": retailer.domain, orders_key: orders,
            "customer": {"id": CUSTOMER, "email": email, "phone": "555-625-1199"}}


async def test_a_data_request_exports_what_is_held_about_the_customer(
    client: httpx.AsyncClient, shopify: FakeShopify, installed: Retailer, app_plugins: Any,
    mail_settings: Settings, smtp_server: Any,
) -> None:
    email = address()
    order = paid_order(email)
    response = await shopper_responds(client, shopify, installed, app_plugins, mail_settings, smtp_server, order)
    stranger = paid_order(address(), customer={"id": 42, "email": "someone-else@example.com"})
    assert (await send_webhook(client, shopify, installed.domain, "orders/paid", stranger)).status_code == 200

    payload = {**privacy_payload(installed, email, "orders_requested", [order["id"]]), "data_request": {"id": 9999}}
    assert (await send_webhook(client, shopify, installed.domain, "customers/data_request", payload)
            ).status_code == 200
    listed = await client.get("/plugins/shopify/data-requests", headers=installed.auth)
    assert listed.status_code == 200
    (request,) = listed.json()["data_requests"]
    assert request["request_id"] == "9999" and request["customer_id"] == str(CUSTOMER)
    (exported,) = request["export"]["orders"]
    assert exported["order_id"] == str(order["id"]) and exported["store"] == "Main street"
    assert exported["lawful_basis"] == "marketing_consent" and exported["invitation"] == "invited"
    (answers,) = exported["responses"]
    assert answers["receipt_code"] == response.receipt_code and answers["comment"] == "Venlig betjening"
    assert len(answers["answers"]) == len(installed.shop.statement_ids) + len(installed.shop.warmup_ids)
    assert str(stranger["id"]) not in listed.text

    # Another tenant's owner sees none of it.
    other = await make_shop()
    token = await token_for(other.tenant, await member(other.tenant, Role.OWNER))
    theirs = await client.get("/plugins/shopify/data-requests", headers={"Authorization": f"Bearer {token}"})
    assert theirs.status_code == 200 and theirs.json() == {"data_requests": []}
    # An analyst of the tenant may not read the exports.
    analyst = await token_for(installed.shop.tenant, await member(installed.shop.tenant, Role.ANALYST))
    assert (await client.get("/plugins/shopify/data-requests",
                             headers={"Authorization": f"Bearer {analyst}"})).status_code == 403


async def test_customer_redact_erases_the_customers_orders_and_responses_only(
    client: httpx.AsyncClient, shopify: FakeShopify, installed: Retailer, app_plugins: Any,
    mail_settings: Settings, smtp_server: Any,
) -> None:
    email = address()
    order = paid_order(email)
    response = await shopper_responds(client, shopify, installed, app_plugins, mail_settings, smtp_server, order)
    stranger_email = address()
    stranger = paid_order(stranger_email, customer={"id": 42, "email": stranger_email})
    kept = await shopper_responds(client, shopify, installed, app_plugins, mail_settings, smtp_server, stranger)
    request = {**privacy_payload(installed, email, "orders_requested", []), "data_request": {"id": 1}}
    assert (await send_webhook(client, shopify, installed.domain, "customers/data_request", request)
            ).status_code == 200

    redact = privacy_payload(installed, email, "orders_to_redact", [order["id"]])
    assert (await send_webhook(client, shopify, installed.domain, "customers/redact", redact)).status_code == 200
    with tenant_scope(installed.shop.tenant.id):
        assert not await Response.exists(id=response.id)
        assert await Answer.filter(response_id=response.id).count() == 0
        assert not await Invitation.exists(id=response.invitation_id)
        assert [o.order_id for o in await ShopifyOrder.all()] == [str(stranger["id"])]
        assert await ShopifyDataRequest.all().count() == 0
        # The other customer's response is untouched.
        assert await Response.exists(id=kept.id)
        assert await Answer.filter(response_id=kept.id).count() > 0


async def test_shop_redact_erases_everything_of_the_shop(
    client: httpx.AsyncClient, shopify: FakeShopify, installed: Retailer, app_plugins: Any,
    mail_settings: Settings, smtp_server: Any,
) -> None:
    order = paid_order(address())
    response = await shopper_responds(client, shopify, installed, app_plugins, mail_settings, smtp_server, order)
    # A response through the tenant's own QR code is not the shop's: it stays.
    own = installed.shop.payload()
    assert (await client.post(f"/s/{installed.shop.tenant.slug}/main/responses", json=own,
                              headers={"user-agent": UA_PHONE})).status_code == 201

    assert (await send_webhook(client, shopify, installed.domain, "app/uninstalled", {})).status_code == 200
    shop_redact = {"shop_id": 954889, "shop_domain": installed.domain}
    webhook_id = secrets.token_hex(8)
    answer = await send_webhook(client, shopify, installed.domain, "shop/redact", shop_redact, webhook_id=webhook_id)
    assert answer.status_code == 200
    with tenant_scope(installed.shop.tenant.id):
        assert not await Response.exists(id=response.id)
        assert await ShopifyOrder.all().count() == 0
        assert await ShopifyShop.all().count() == 0 and await ShopifyWebhook.all().count() == 0
        assert await Response.exists(id=own["id"])
    # Shopify's retry finds nothing more to do.
    again = await send_webhook(client, shopify, installed.domain, "shop/redact", shop_redact, webhook_id=webhook_id)
    assert again.status_code == 200 and again.json() == {"handled": False}

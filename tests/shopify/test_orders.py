"""Paid orders → exactly one email invitation, end to end: a signed ``orders/paid`` webhook from the test Shopify, the
delayed job, the mail on a real SMTP server, the shopper's response through its link (attributed to the order) and
the discount code made through the Admin GraphQL API. Forged, replayed, unconsented and suppressed orders invite
nobody."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest

from pejling.core.jobs.models import Job
from pejling.core.plugin_manager import PluginConfigInvalid
from pejling.core.settings import Settings
from pejling.core.surveys.models import Invitation, Response
from pejling.core.surveys.suppressions import address_hash, suppress_hash
from pejling.plugins.shopify.models import ShopifyOrder, ShopifyShop, ShopifyWebhook
from pejling.plugins.shopify.orders import INVITE_JOB
from pejling.tenants.scope import tenant_scope
from tests.shopify.conftest import LOCATION, UA_PHONE, Retailer, address, configure, paid_order, run_jobs, send_webhook
from tests.shopify.shopify_server import FakeShopify


async def orders_of(retailer: Retailer) -> list[ShopifyOrder]:
    with tenant_scope(retailer.shop.tenant.id):
        return await ShopifyOrder.all()


async def invitations_of(retailer: Retailer) -> list[Invitation]:
    with tenant_scope(retailer.shop.tenant.id):
        return await Invitation.filter(store_id=retailer.shop.store.id)


async def test_one_paid_order_leads_to_one_invitation_and_an_attributed_response_with_a_reward(
    client: httpx.AsyncClient, shopify: FakeShopify, installed: Retailer, app_plugins: Any, mail_settings: Settings,
    smtp_server: Any,
) -> None:
    await configure(app_plugins, installed, reward_percent=15)
    email = address()
    order = paid_order(email)
    first = await send_webhook(client, shopify, installed.domain, "orders/paid", order, webhook_id="wh-1-" + email)
    assert first.status_code == 200 and first.json() == {"handled": True}
    # Shopify's retry of the same delivery, and a second delivery of the same order, schedule nothing more.
    replay = await send_webhook(client, shopify, installed.domain, "orders/paid", order, webhook_id="wh-1-" + email)
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    assert (await send_webhook(client, shopify, installed.domain, "orders/paid", order)).status_code == 200

    (row,) = await orders_of(installed)
    assert row.order_id == str(order["id"]) and row.store_id == installed.shop.store.id
    assert row.lawful_basis == "marketing_consent" and row.status == "scheduled"
    assert row.sealed_email and email not in row.sealed_email
    assert await Job.filter(kind=INVITE_JOB, idempotency_key=f"{INVITE_JOB}:{row.id}").count() == 1

    await run_jobs(mail_settings, app_plugins)
    (mail,) = await smtp_server.wait_for(email)
    (invitation,) = await invitations_of(installed)
    (row,) = await orders_of(installed)
    assert row.status == "invited" and row.invitation_id == invitation.id and row.sealed_email is None
    text = mail.get_body(("plain",)).get_content()
    (link,) = set(re.findall(r"https?://\S+/i/([A-Za-z0-9_-]+)", text))

    # The shopper answers through the link: the response is the order's, and earns a one-time discount code.
    payload = installed.shop.payload(invitation=link, channel="email")
    answer = await client.post(f"/s/{installed.shop.tenant.slug}/main/responses", json=payload,
                               headers={"user-agent": UA_PHONE})
    assert answer.status_code == 201, answer.text
    with tenant_scope(installed.shop.tenant.id):
        response = await Response.get(id=payload["id"])
        row = await ShopifyOrder.get(id=row.id)
    assert response.invitation_id == row.invitation_id and response.channel == "email"
    (discount,) = [d for d in shopify.discounts if d["code"] == row.reward_code]
    assert discount["shop"] == installed.domain and discount["usageLimit"] == 1
    assert discount["customerGets"] == {"value": {"percentage": 0.15}, "items": {"all": True}}
    reward = answer.json()["reward"]
    assert reward["code"] == row.reward_code and "15" in reward["description"]["en"]
    assert response.reward is not None and response.reward["code"] == row.reward_code
    # The code is mailed too (tests/shopify/test_reward_mail.py); nothing is sent twice.
    await run_jobs(mail_settings, app_plugins)
    _, reward_mail = await smtp_server.wait_for(email, count=2)
    assert row.reward_code in reward_mail.get_body(("plain",)).get_content()
    await run_jobs(mail_settings, app_plugins)
    assert len(smtp_server.to(email)) == 2 and len(await invitations_of(installed)) == 1


async def test_the_invitation_waits_for_the_configured_delay(
    client: httpx.AsyncClient, shopify: FakeShopify, installed: Retailer, app_plugins: Any, mail_settings: Settings,
) -> None:
    await configure(app_plugins, installed, invitation_delay_minutes=90)
    assert (await send_webhook(client, shopify, installed.domain, "orders/paid", paid_order(address()))
            ).status_code == 200
    (row,) = await orders_of(installed)
    job = await Job.get(kind=INVITE_JOB, idempotency_key=f"{INVITE_JOB}:{row.id}")
    assert job.run_at >= row.created_at + timedelta(minutes=89)
    assert row.invite_at == job.run_at
    await run_jobs(mail_settings, app_plugins)
    assert (await orders_of(installed))[0].status == "scheduled" and await invitations_of(installed) == []


async def test_a_forged_webhook_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, shopify: FakeShopify, installed: Retailer,
) -> None:
    order = paid_order(address())
    for signature in ("", "bm90IGEgc2lnbmF0dXJl", shopify.sign_body(b"{}")):
        answer = await send_webhook(client, shopify, installed.domain, "orders/paid", order, signature=signature)
        assert answer.status_code == 401 and answer.json()["error"] == "invalid_signature"
    # Signed by someone else's secret.
    other = FakeShopify(client_id="x", client_secret="not-the-app-secret")
    answer = await send_webhook(client, other, installed.domain, "orders/paid", order)
    assert answer.status_code == 401
    answer = await send_webhook(client, shopify, installed.domain, "app/uninstalled", {}, signature="AAAA")
    assert answer.status_code == 401
    assert await orders_of(installed) == []
    with tenant_scope(installed.shop.tenant.id):
        assert await ShopifyWebhook.all().count() == 0
        assert (await ShopifyShop.get(shop=installed.domain)).sealed_token is not None


async def test_no_lawful_basis_no_store_or_no_address_means_no_invitation(
    client: httpx.AsyncClient, shopify: FakeShopify, installed: Retailer, app_plugins: Any,
) -> None:
    unconsented = paid_order(address(), marketing=False)
    for order in (unconsented, paid_order(address(), location=999), paid_order("", customer={"id": 1})):
        assert (await send_webhook(client, shopify, installed.domain, "orders/paid", order)).status_code == 200
    assert await orders_of(installed) == []
    # With the retailer's legitimate interest, the unconsented customer is invited (and the online store is mapped).
    await configure(app_plugins, installed, legitimate_interest=True, online_store="harbour")
    again = {**unconsented, "location_id": None}
    assert (await send_webhook(client, shopify, installed.domain, "orders/paid", again)).status_code == 200
    (row,) = await orders_of(installed)
    assert row.lawful_basis == "legitimate_interest" and row.store_id == installed.shop.other_store.id


async def test_a_suppressed_address_gets_no_invitation(
    client: httpx.AsyncClient, shopify: FakeShopify, installed: Retailer, app_plugins: Any, mail_settings: Settings,
    smtp_server: Any,
) -> None:
    email = address()
    with tenant_scope(installed.shop.tenant.id):
        await suppress_hash("email", address_hash(installed.shop.tenant.id, "email", email))
    order = paid_order(email.upper())
    assert (await send_webhook(client, shopify, installed.domain, "orders/paid", order)).status_code == 200
    assert await orders_of(installed) == []
    # An address suppressed after the order was scheduled is not invited either.
    later = address()
    assert (await send_webhook(client, shopify, installed.domain, "orders/paid", paid_order(later))).status_code == 200
    with tenant_scope(installed.shop.tenant.id):
        await suppress_hash("email", address_hash(installed.shop.tenant.id, "email", later))
    await run_jobs(mail_settings, app_plugins)
    (row,) = await orders_of(installed)
    assert row.status == "skipped" and row.skipped_because == "suppressed" and row.sealed_email is None
    assert await invitations_of(installed) == [] and smtp_server.to(later) == []


async def test_uninstalling_forgets_the_token_and_sends_no_scheduled_invitation(
    client: httpx.AsyncClient, shopify: FakeShopify, installed: Retailer, app_plugins: Any, mail_settings: Settings,
) -> None:
    assert (await send_webhook(client, shopify, installed.domain, "orders/paid", paid_order(address()))
            ).status_code == 200
    answer = await send_webhook(client, shopify, installed.domain, "app/uninstalled",
                                {"id": 548380009, "domain": installed.domain})
    assert answer.status_code == 200
    with tenant_scope(installed.shop.tenant.id):
        shop = await ShopifyShop.get(shop=installed.domain)
    assert shop.sealed_token is None and shop.uninstalled_at is not None
    await run_jobs(mail_settings, app_plugins)
    (row,) = await orders_of(installed)
    assert row.status == "skipped" and row.skipped_because == "uninstalled"
    assert await invitations_of(installed) == []
    # Orders after the uninstall are ignored.
    assert (await send_webhook(client, shopify, installed.domain, "orders/paid", paid_order(address()))
            ).status_code == 200
    assert len(await orders_of(installed)) == 1


async def test_turning_the_plugin_off_stops_scheduled_and_new_invitations(
    client: httpx.AsyncClient, shopify: FakeShopify, installed: Retailer, app_plugins: Any, mail_settings: Settings,
) -> None:
    assert (await send_webhook(client, shopify, installed.domain, "orders/paid", paid_order(address()))
            ).status_code == 200
    await app_plugins.disable_plugin(installed.shop.tenant.id, "shopify")
    assert (await send_webhook(client, shopify, installed.domain, "orders/paid", paid_order(address()))
            ).status_code == 200
    await run_jobs(mail_settings, app_plugins)
    (row,) = await orders_of(installed)
    assert row.status == "skipped" and row.skipped_because == "plugin_disabled"
    assert await invitations_of(installed) == []


async def test_bad_settings_and_bad_webhooks_are_refused_with_a_reason(
    client: httpx.AsyncClient, shopify: FakeShopify, installed: Retailer, app_plugins: Any,
) -> None:
    for bad, field in (({"locations": {"till-1": "main"}}, "locations"), ({"online_store": "Main Street"},
                       "online_store"), ({"invitation_delay_minutes": -5}, "invitation_delay_minutes"),
                       ({"reward_percent": 150}, "reward_percent"), ({"shop_secret": "x"}, "shop_secret")):
        with pytest.raises(PluginConfigInvalid) as refused:
            await app_plugins.enable_plugin(installed.shop.tenant.id, "shopify", bad)
        assert refused.value.problems[0].field.split(".")[0] == field
    enabled = (await app_plugins.enabled_plugins(installed.shop.tenant.id))["shopify"]
    assert enabled.config["locations"] == {str(LOCATION): "main"}  # the settings before are kept

    # Signed, but not JSON, or without the headers Shopify always sends: 400 and nothing stored.
    body = b"not json"
    answer = await client.post("/webhooks/shopify", content=body, headers={
        "X-Shopify-Hmac-SHA256": shopify.sign_body(body), "X-Shopify-Topic": "orders/paid",
        "X-Shopify-Shop-Domain": installed.domain, "X-Shopify-Webhook-Id": "w1"})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_webhook"
    answer = await send_webhook(client, shopify, "not a shop", "orders/paid", paid_order(address()))
    assert answer.status_code == 400
    # A shop nobody installed, or a topic Pejling does not use: acknowledged, nothing stored.
    answer = await send_webhook(client, shopify, "nobody.myshopify.com", "orders/paid", paid_order(address()))
    assert answer.status_code == 200 and answer.json() == {"handled": False}
    answer = await send_webhook(client, shopify, installed.domain, "products/update", {"id": 1})
    assert answer.status_code == 200 and answer.json() == {"handled": False}
    assert await orders_of(installed) == []
    with tenant_scope(installed.shop.tenant.id):
        assert await ShopifyWebhook.all().count() == 0

"""The reward mail, end to end: a signed ``orders/paid`` webhook, the invitation on a real SMTP server, the shopper's
response through its link, the discount code from the test Shopify's Admin GraphQL API, and the code mailed once in
the shopper's language through the job queue. The order's address is kept (sealed) only where a reward is set, and is
gone after the mail, at the invitation's expiry, on ``customers/redact``, ``shop/redact`` and the shopper's own
erasure; a failing SMTP send is retried."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from pejling.core import followups
from pejling.core.jobs.models import Job, JobStatus
from pejling.core.secrets_at_rest import SealedSecretError, unseal
from pejling.core.settings import Settings
from pejling.core.surveys.erasure import erase_response, find_by_receipt
from pejling.core.surveys.hooks import shopper_response
from pejling.core.surveys.models import Invitation, Response
from pejling.plugins.shopify.discounts import reward_for
from pejling.plugins.shopify.models import ShopifyOrder
from pejling.plugins.shopify.orders import email_hash, email_purpose
from pejling.plugins.shopify.reward_mail import (
    FORGET_REWARD_EMAIL_JOB,
    REWARD_MAIL_JOB,
    TEXTS,
    forget_job_key,
    reward_email_purpose,
)
from pejling.tenants.scope import all_tenants, tenant_scope
from tests.shopify.conftest import UA_PHONE, Retailer, address, configure, paid_order, run_jobs, send_webhook
from tests.shopify.shopify_server import FakeShopify


async def invited(client: httpx.AsyncClient, shopify: FakeShopify, retailer: Retailer, plugins: Any,
                  settings: Settings, smtp: Any, email: str, **order: Any) -> tuple[ShopifyOrder, str]:
    """A paid order of ``email`` and its invitation mail: the order row and the invitation's token."""
    assert (await send_webhook(client, shopify, retailer.domain, "orders/paid", paid_order(email, **order))
            ).status_code == 200
    await run_jobs(settings, plugins)
    (mail,) = await smtp.wait_for(email)
    (token,) = set(re.findall(r"https?://\S+/i/([A-Za-z0-9_-]+)", mail.get_body(("plain",)).get_content()))
    return await the_order(retailer, email), token


async def the_order(retailer: Retailer, email: str) -> ShopifyOrder:
    with tenant_scope(retailer.shop.tenant.id):
        return await ShopifyOrder.get(email_hash=email_hash(retailer.shop.tenant.id, email))


async def respond(client: httpx.AsyncClient, retailer: Retailer, token: str, language: str = "da"
                  ) -> dict[str, Any]:
    payload = retailer.shop.payload(invitation=token, channel="email", language=language)
    answer = await client.post(f"/s/{retailer.shop.tenant.slug}/main/responses", json=payload,
                               headers={"user-agent": UA_PHONE})
    assert answer.status_code == 201, answer.text
    return {**answer.json(), "id": payload["id"]}


def parts(message: EmailMessage) -> dict[str, str]:
    return {part.get_content_type(): str(part.get_content()) for part in message.walk()
            if part.get_content_type() in ("text/plain", "text/html")}


async def reward_jobs(row: ShopifyOrder) -> list[Job]:
    return await Job.filter(kind=REWARD_MAIL_JOB, idempotency_key=f"{REWARD_MAIL_JOB}:{row.id}")


@pytest.mark.parametrize("language", ["da", "nb", "sv", "en"])
async def test_the_reward_code_is_mailed_once_in_the_shoppers_language(
    client: httpx.AsyncClient, shopify: FakeShopify, installed: Retailer, app_plugins: Any, mail_settings: Settings,
    smtp_server: Any, language: str,
) -> None:
    await configure(app_plugins, installed, reward_percent=20, reward_valid_days=14)
    email = address()
    row, token = await invited(client, shopify, installed, app_plugins, mail_settings, smtp_server, email)
    tenant_id = installed.shop.tenant.id
    # A reward is set: the address outlives the invitation, sealed for the reward mail only.
    assert row.status == "invited" and row.sealed_email is None
    assert row.sealed_reward_email and email not in row.sealed_reward_email
    assert unseal(row.sealed_reward_email, purpose=reward_email_purpose(tenant_id, row.id),
                  settings=app_plugins.settings) == email
    with pytest.raises(SealedSecretError):
        unseal(row.sealed_reward_email, purpose=email_purpose(tenant_id, row.id), settings=app_plugins.settings)

    result = await respond(client, installed, token, language)
    code = result["reward"]["code"]
    await run_jobs(mail_settings, app_plugins)
    invitation_mail, mail = await smtp_server.wait_for(email, count=2)
    texts = TEXTS[language]
    assert mail["Subject"] == texts["subject"].replace("{store}", "Main street")
    assert mail["Content-Language"] == language and mail["To"] == email
    body = parts(mail)
    assert code in body["text/plain"] and code in body["text/html"]
    assert texts["percent"].replace("{percent}", "20") in body["text/plain"]
    assert texts["thanks"].replace("{store}", "Main street") in body["text/plain"]
    assert f'lang="{language}"' in body["text/html"]

    row = await the_order(installed, email)
    assert row.reward_code == code and row.reward_mailed_at is not None
    assert row.sealed_reward_email is None  # wiped once the mail is sent
    (job,) = await reward_jobs(row)
    assert job.status == JobStatus.SUCCEEDED and email not in str(job.payload)

    # Asked for the reward again, and the jobs run again: no second mail.
    with tenant_scope(tenant_id):
        stored = await Response.get(id=result["id"])
    with tenant_scope(tenant_id):
        again = await reward_for(shopper_response(stored, []))
    assert again is not None and again.code == code
    await run_jobs(mail_settings, app_plugins)
    assert len(smtp_server.to(email)) == 2 and len(await reward_jobs(row)) == 1
    assert invitation_mail["Message-ID"] != mail["Message-ID"]


async def test_without_a_reward_no_address_is_kept_and_no_reward_mail_is_sent(
    client: httpx.AsyncClient, shopify: FakeShopify, installed: Retailer, app_plugins: Any, mail_settings: Settings,
    smtp_server: Any,
) -> None:
    email = address()
    row, token = await invited(client, shopify, installed, app_plugins, mail_settings, smtp_server, email)
    assert row.status == "invited" and row.sealed_email is None and row.sealed_reward_email is None
    assert await Job.filter(kind=FORGET_REWARD_EMAIL_JOB, idempotency_key=forget_job_key(row.id)).count() == 0

    result = await respond(client, installed, token)
    assert result["reward"] is None
    await run_jobs(mail_settings, app_plugins)
    assert len(smtp_server.to(email)) == 1 and await reward_jobs(row) == []
    # The retailer turns the reward on afterwards: an order invited without one still holds no address.
    await configure(app_plugins, installed, reward_percent=10)
    row = await the_order(installed, email)
    assert row.sealed_reward_email is None and row.reward_code is None


async def test_the_reward_address_is_forgotten_when_the_invitation_expires(
    client: httpx.AsyncClient, shopify: FakeShopify, installed: Retailer, app_plugins: Any, mail_settings: Settings,
    smtp_server: Any,
) -> None:
    await configure(app_plugins, installed, reward_percent=10)
    email = address()
    row, _ = await invited(client, shopify, installed, app_plugins, mail_settings, smtp_server, email)
    assert row.sealed_reward_email is not None
    with tenant_scope(installed.shop.tenant.id):
        invitation = await Invitation.get(id=row.invitation_id)
    job = await Job.get(kind=FORGET_REWARD_EMAIL_JOB, idempotency_key=forget_job_key(row.id))
    assert job.run_at == invitation.expires_at and job.status == JobStatus.QUEUED
    await run_jobs(mail_settings, app_plugins)
    assert (await the_order(installed, email)).sealed_reward_email is not None  # not before the expiry

    with all_tenants():
        await Job.filter(id=job.id).update(run_at=datetime.now(UTC))  # the invitation's expiry has come
    await run_jobs(mail_settings, app_plugins)
    row = await the_order(installed, email)
    assert row.sealed_reward_email is None and row.reward_mailed_at is None
    assert (await Job.get(id=job.id)).status == JobStatus.SUCCEEDED
    assert len(smtp_server.to(email)) == 1


async def test_a_failing_smtp_send_is_retried_and_the_code_still_goes_once(
    client: httpx.AsyncClient, shopify: FakeShopify, installed: Retailer, app_plugins: Any, mail_settings: Settings,
    smtp_server: Any,
) -> None:
    await configure(app_plugins, installed, reward_percent=25)
    email = address()
    row, token = await invited(client, shopify, installed, app_plugins, mail_settings, smtp_server, email)
    down = mail_settings.model_copy(update={"smtp_url": "smtp://127.0.0.1:9"})
    followups.use_settings(down)
    try:
        result = await respond(client, installed, token, "sv")  # the shopper is thanked with the code regardless
        await run_jobs(down, app_plugins, rounds=1)
    finally:
        followups.use_settings(mail_settings)
    (job,) = await reward_jobs(row)
    assert job.status == JobStatus.QUEUED and job.attempts == 1 and job.last_error
    row = await the_order(installed, email)
    assert row.reward_mail_sending_at is None and row.reward_mailed_at is None  # the claim was given back
    assert row.sealed_reward_email is not None  # kept for the retry

    with all_tenants():
        await Job.filter(id=job.id).update(run_at=job.created_at)  # due now, not after the back-off
    await run_jobs(mail_settings, app_plugins)
    _, mail = await smtp_server.wait_for(email, count=2)
    assert result["reward"]["code"] in parts(mail)["text/plain"] and mail["Content-Language"] == "sv"
    row = await the_order(installed, email)
    assert row.reward_mailed_at is not None and row.sealed_reward_email is None
    job = await Job.get(id=job.id)
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 2
    await run_jobs(mail_settings, app_plugins)
    assert len(smtp_server.to(email)) == 2


async def test_redact_and_the_shoppers_own_erasure_wipe_the_reward_address(
    client: httpx.AsyncClient, shopify: FakeShopify, installed: Retailer, app_plugins: Any, mail_settings: Settings,
    smtp_server: Any,
) -> None:
    await configure(app_plugins, installed, reward_percent=10)
    tenant_id = installed.shop.tenant.id
    erasing, redacted, last = address(), address(), address()
    row, token = await invited(client, shopify, installed, app_plugins, mail_settings, smtp_server, erasing,
                               customer={"id": 1001, "email": erasing})
    redacted_row, redacted_token = await invited(client, shopify, installed, app_plugins, mail_settings, smtp_server,
                                                 redacted, customer={"id": 1002, "email": redacted})
    last_row, _ = await invited(client, shopify, installed, app_plugins, mail_settings, smtp_server, last,
                                customer={"id": 1003, "email": last})

    # The data request reports that an address is held for the reward mail (not the address itself).
    request = {"shop_id": 954889, "shop_domain": installed.domain, "orders_requested": [],
               "customer": {"id": 1002, "email": redacted}, "data_request": {"id": 77}}
    assert (await send_webhook(client, shopify, installed.domain, "customers/data_request", request)
            ).status_code == 200
    listed = (await client.get("/plugins/shopify/data-requests", headers=installed.auth)).json()
    (exported,) = listed["data_requests"][0]["export"]["orders"]
    assert exported["reward_email_held"] is True and exported["reward_mailed_at"] is None
    assert redacted not in str(listed)

    # The shopper erases their answer by its receipt code before the reward mail went: the address goes with it.
    result = await respond(client, installed, token)
    assert (await the_order(installed, erasing)).sealed_reward_email is not None
    with tenant_scope(tenant_id):
        response = await find_by_receipt(result["receipt_code"])
        assert response is not None
        await erase_response(response)
    assert (await the_order(installed, erasing)).sealed_reward_email is None

    # customers/redact after the response, before its mail: the order and its address are gone.
    await respond(client, installed, redacted_token)
    redact = {"shop_id": 954889, "shop_domain": installed.domain, "orders_to_redact": [],
              "customer": {"id": 1002, "email": redacted}}
    assert (await send_webhook(client, shopify, installed.domain, "customers/redact", redact)).status_code == 200
    with tenant_scope(tenant_id):
        assert not await ShopifyOrder.exists(id=redacted_row.id)
        assert await ShopifyOrder.filter(id=last_row.id, sealed_reward_email__isnull=False).exists()

    # The reward mails queued for the erased and the redacted orders find no address: nothing is sent.
    await run_jobs(mail_settings, app_plugins)
    assert len(smtp_server.to(erasing)) == 1 and len(smtp_server.to(redacted)) == 1

    # shop/redact takes the last order and its address.
    assert (await send_webhook(client, shopify, installed.domain, "app/uninstalled", {})).status_code == 200
    shop_redact = {"shop_id": 954889, "shop_domain": installed.domain}
    assert (await send_webhook(client, shopify, installed.domain, "shop/redact", shop_redact)).status_code == 200
    with tenant_scope(tenant_id):
        assert await ShopifyOrder.all().count() == 0

"""Billing against a real localstripe: real customers, plans, cards, subscriptions and signed webhooks."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from pejling.core.jobs.models import Job
from pejling.core.settings import Settings
from pejling.core.surveys.models import SurveyCode
from pejling.graphql.relay_ids import encode_id
from pejling.plugins.billing.catalogue_sync import sync_catalogue
from pejling.plugins.billing.models import BillingState, StripeEvent, Subscription
from pejling.plugins.billing.plans import plan
from pejling.plugins.billing.stripe_events import JOB_KIND
from pejling.plugins.billing.stripe_sessions import ensure_customer
from pejling.plugins.billing.stripe_settings import stripe_client
from pejling.tenants.models import Store, Tenant
from pejling.tenants.scope import all_tenants, tenant_scope
from tests.billing.conftest import run_billing_jobs, signed, wait_for_event
from tests.support.cli import pejling
from tests.support.tenancy import gql, make_tenant

GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000341"  # attaches, then every charge is declined

BILLING = "{ billing { configured state stripeStatus plan { key name } readOnly readOnlyStoreIds usage { stores } } }"
CREATE_STORE = ("mutation($input: StoreInput!) { createStore(input: $input) { store { id } "
                "errors { code message field } } }")


async def _subscribe(tenant: Tenant, plan_key: str, card: str, quantity: int = 1) -> Any:
    """What a completed Checkout does: a card on the tenant's customer and a subscription to the plan's price."""
    client = stripe_client()
    customer = await ensure_customer(tenant, "owner@example.com")
    method = await client.v1.payment_methods.create_async(
        {"type": "card", "card": {"number": card, "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    await client.v1.payment_methods.attach_async(method.id, {"customer": customer})
    await client.v1.customers.update_async(customer, {"invoice_settings": {"default_payment_method": method.id}})
    return await client.v1.subscriptions.create_async({
        "customer": customer, "items": [{"plan": plan(plan_key).lookup_key, "quantity": quantity}],
        "metadata": {"tenant_id": str(tenant.id)},
    })


async def _subscription(tenant: Tenant) -> Subscription:
    with tenant_scope(tenant.id):
        return await Subscription.get()


async def _post(client: httpx.AsyncClient, body: bytes, signature: str | None) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if signature is not None:
        headers["stripe-signature"] = signature
    return await client.post("/webhooks/stripe", content=body, headers=headers)


def _event(event_id: str, event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {"id": event_id, "object": "event", "type": event_type, "created": int(time.time()),
            "data": {"object": obj}}


async def test_the_catalogue_sync_is_idempotent(stripe_env: str) -> None:
    first = {line.plan: line for line in await sync_catalogue()}
    again = await sync_catalogue()
    assert set(first) == {"store", "chain"}
    assert not any(line.created for line in again)
    price = await stripe_client().v1.plans.retrieve_async(plan("store").lookup_key)
    assert (price.amount, price.currency, price.interval, price.product) == (4900, "eur", "month", "pejling-store")


async def test_a_paid_subscription_activates_the_plan_through_the_webhook(
        stripe_env: str, stripe_webhooks: str, client: httpx.AsyncClient, database: Settings) -> None:
    await sync_catalogue()
    shop = await make_tenant(stores=1)
    before = await gql(client, BILLING, headers={**shop.headers, "X-Pejling-Tenant": shop.tenant.slug})
    assert before["data"]["billing"]["state"] == "PILOT", before
    subscription = await _subscribe(shop.tenant, "store", GOOD_CARD)
    assert subscription.status == "active"
    await wait_for_event(subscription.id, "customer.subscription.created")
    await run_billing_jobs(database)
    row = await _subscription(shop.tenant)
    assert (row.state, row.plan, row.stripe_subscription_id) == (BillingState.ACTIVE, "store", subscription.id)
    assert row.current_period_end is not None
    after = await gql(client, BILLING, headers={**shop.headers, "X-Pejling-Tenant": shop.tenant.slug})
    assert after["data"]["billing"]["state"] == "ACTIVE"
    assert after["data"]["billing"]["plan"] == {"key": "store", "name": "Store"}
    assert after["data"]["billing"]["configured"] is True


async def test_a_declined_card_leaves_the_subscription_incomplete(
        stripe_env: str, stripe_webhooks: str, database: Settings) -> None:
    await sync_catalogue()
    shop = await make_tenant(stores=1)
    subscription = await _subscribe(shop.tenant, "store", DECLINED_CARD)
    assert subscription.status == "incomplete"
    await wait_for_event(subscription.id, "customer.subscription.created")
    await run_billing_jobs(database)
    row = await _subscription(shop.tenant)
    assert (row.state, row.plan, row.stripe_status) == (BillingState.PILOT, "pilot", "incomplete")


async def test_forged_and_stale_signatures_are_refused_and_change_nothing(
        stripe_env: str, client: httpx.AsyncClient) -> None:
    shop = await make_tenant(stores=1)
    obj = {"id": "sub_forged", "object": "subscription", "customer": "cus_x", "status": "active",
           "metadata": {"tenant_id": str(shop.tenant.id)}}
    event = _event("evt_forged_1", "customer.subscription.updated", obj)
    body, forged = signed(event, secret="whsec_someone_else")
    _, stale = signed(event, at=int(time.time()) - 301)
    assert (await _post(client, body, forged)).status_code == 400
    assert (await _post(client, body, stale)).status_code == 400
    assert (await _post(client, body, None)).status_code == 400
    tampered_body, good = signed(event)
    assert (await _post(client, tampered_body.replace(b"active", b"canceled"), good)).status_code == 400
    with all_tenants():
        assert not await StripeEvent.exists(id="evt_forged_1")
        assert not await Job.filter(kind=JOB_KIND, idempotency_key="stripe-event:evt_forged_1").exists()
    with tenant_scope(shop.tenant.id):
        assert not await Subscription.exists()


async def test_a_replayed_event_is_acknowledged_and_ignored(
        stripe_env: str, stripe_webhooks: str, client: httpx.AsyncClient, database: Settings) -> None:
    await sync_catalogue()
    shop = await make_tenant(stores=1)
    subscription = await _subscribe(shop.tenant, "store", GOOD_CARD)
    event = _event(f"evt_replay_{subscription.id}", "invoice.paid",
                   {"id": "in_replay", "object": "invoice", "subscription": subscription.id})
    body, signature = signed(event)
    first = await _post(client, body, signature)
    second = await _post(client, body, signature)
    assert (first.status_code, first.json()) == (200, {"received": True})
    assert (second.status_code, second.json()) == (200, {"received": True, "duplicate": True})
    with all_tenants():
        assert await Job.filter(kind=JOB_KIND, idempotency_key=f"stripe-event:{event['id']}").count() == 1
    await run_billing_jobs(database)
    row = await _subscription(shop.tenant)
    assert row.state == BillingState.ACTIVE
    with all_tenants():
        processed = (await StripeEvent.get(id=event["id"])).processed_at
    assert processed is not None
    third = await _post(client, body, signature)
    assert third.json() == {"received": True, "duplicate": True}
    with all_tenants():
        assert await Job.filter(kind=JOB_KIND, idempotency_key=f"stripe-event:{event['id']}").count() == 1
        assert await StripeEvent.filter(id=event["id"]).count() == 1
    await run_billing_jobs(database)
    with all_tenants():
        assert (await StripeEvent.get(id=event["id"])).processed_at == processed


async def test_events_out_of_order_end_in_the_right_state(
        stripe_env: str, client: httpx.AsyncClient, database: Settings) -> None:
    await sync_catalogue()
    shop = await make_tenant(stores=1)
    subscription = await _subscribe(shop.tenant, "store", GOOD_CARD)
    created = subscription.to_dict()
    canceled = (await stripe_client().v1.subscriptions.cancel_async(subscription.id)).to_dict()
    assert canceled["status"] == "canceled"
    # The deletion arrives (and is processed) first; the creation, with its stale "active" object, after it.
    for event in (_event(f"evt_del_{subscription.id}", "customer.subscription.deleted", canceled),
                  _event(f"evt_new_{subscription.id}", "customer.subscription.created", created)):
        body, signature = signed(event)
        assert (await _post(client, body, signature)).status_code == 200
        await run_billing_jobs(database)
    row = await _subscription(shop.tenant)
    assert (row.state, row.plan, row.stripe_status) == (BillingState.CANCELED, "pilot", "canceled")


async def test_a_downgrade_below_usage_deletes_nothing_and_makes_extra_stores_read_only(
        stripe_env: str, client: httpx.AsyncClient, database: Settings) -> None:
    await sync_catalogue()
    shop = await make_tenant(stores=4)
    headers = {**shop.headers, "X-Pejling-Tenant": shop.tenant.slug}
    subscription = await _subscribe(shop.tenant, "chain", GOOD_CARD, quantity=4)
    body, signature = signed(_event(f"evt_chain_{subscription.id}", "customer.subscription.created",
                                    subscription.to_dict()))
    assert (await _post(client, body, signature)).status_code == 200
    await run_billing_jobs(database)
    assert (await _subscription(shop.tenant)).plan == "chain"
    item = subscription.to_dict()["items"]["data"][0]
    downgraded = await stripe_client().v1.subscriptions.update_async(
        subscription.id, {"items": [{"id": item["id"], "plan": plan("store").lookup_key, "quantity": 3}]})
    body, signature = signed(_event(f"evt_down_{subscription.id}", "customer.subscription.updated",
                                    downgraded.to_dict()))
    assert (await _post(client, body, signature)).status_code == 200
    await run_billing_jobs(database)
    assert (await _subscription(shop.tenant)).plan == "store"
    with tenant_scope(shop.tenant.id):
        assert await Store.all().count() == 4
    billing = (await gql(client, BILLING, headers=headers))["data"]["billing"]
    assert billing["plan"]["key"] == "store" and billing["usage"]["stores"] == 4
    newest = shop.stores[-1]
    assert billing["readOnlyStoreIds"] == [encode_id("Store", newest.id)]
    refused = await gql(client, CREATE_STORE, {"input": {"name": "Fifth", "slug": "fifth"}}, headers)
    errors = refused["data"]["createStore"]["errors"]
    assert [e["code"] for e in errors] == ["plan_limit"]
    assert "Chain plan allows it" in errors[0]["message"]

    # The extra store and its zones are read-only; the others are not; deleting the extra one is allowed.
    rename = "mutation($input: StoreChanges!) { updateStore(input: $input) { store { name } errors { code } } }"
    zone = ("mutation($input: ZoneChanges!) { updateZone(input: $input) { zone { name } errors { code } } }")
    newest_id, oldest_id = encode_id("Store", newest.id), encode_id("Store", shop.stores[0].id)
    for document, variables in ((rename, {"input": {"id": newest_id, "name": "Renamed"}}),
                                (zone, {"input": {"id": encode_id("Zone", shop.zones[-1].id), "name": "Door"}})):
        body = await gql(client, document, variables, headers)
        assert [e["extensions"]["code"] for e in body["errors"]] == ["BILLING_READ_ONLY_STORE"], body
    # … and so are the objects of it that a mutation names by their own id (here a survey code).
    with tenant_scope(shop.tenant.id):
        code = await SurveyCode.create(code="ROSTORE1", store_id=newest.id)
        other_code = await SurveyCode.create(code="RWSTORE1", store_id=shop.stores[0].id)
    retire = "mutation($id: ID!) { retireSurveyCode(id: $id) { errors { code } } }"
    body = await gql(client, retire, {"id": encode_id("SurveyCode", code.id)}, headers)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BILLING_READ_ONLY_STORE"], body
    body = await gql(client, retire, {"id": encode_id("SurveyCode", other_code.id)}, headers)
    assert body["data"]["retireSurveyCode"]["errors"] == [], body
    with tenant_scope(shop.tenant.id):
        assert (await Store.get(id=newest.id)).name == newest.name
        assert (await SurveyCode.get(id=code.id)).retired_at is None
    ok = await gql(client, rename, {"input": {"id": oldest_id, "name": "Still mine"}}, headers)
    assert ok["data"]["updateStore"] == {"store": {"name": "Still mine"}, "errors": []}
    deleted = await gql(client, "mutation($id: ID!) { deleteStore(id: $id) { errors { code } } }", {"id": newest_id},
                        headers)
    assert deleted["data"]["deleteStore"]["errors"] == []
    assert (await gql(client, BILLING, headers=headers))["data"]["billing"]["readOnlyStoreIds"] == []


async def test_the_billing_sync_command_creates_the_catalogue(
        stripe_env: str, database: Settings, tmp_path: Path) -> None:
    code, out, err = await pejling(database, tmp_path, "billing", "sync")
    assert code == 0, err
    assert "store: product pejling-store, price pejling-store-eur-4900-month" in out
    assert "chain: product pejling-chain, price pejling-chain-eur-3900-month" in out
    assert "pilot" not in out
    product = await stripe_client().v1.products.retrieve_async("pejling-chain")
    assert product.metadata.to_dict() == {"pejling_plan": "chain"}

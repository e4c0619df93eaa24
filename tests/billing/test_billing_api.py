"""Billing through GraphQL: Checkout and Portal sessions at Stripe's HTTP boundary (respx), entitlements, the
read-only portal and over-quota responses."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from pejling.plugins.billing.models import BillingState, OverQuotaResponse, Subscription
from pejling.plugins.billing.plans import plan, plans
from pejling.tenants.models import Role, Tenant
from pejling.tenants.scope import tenant_scope
from tests.billing.conftest import SECRET_KEY, WEBHOOK_SECRET
from tests.support.tenancy import TenantFixture, gql, make_tenant, member, token_for

STRIPE = "https://api.stripe.test"
CHECKOUT = "mutation($plan: String!) { startCheckout(plan: $plan) { url errors { code message field } } }"
PORTAL = "mutation { openBillingPortal { url errors { code message field } } }"
CREATE_STORE = ("mutation($input: StoreInput!) { createStore(input: $input) { store { id } "
                "errors { code message field } } }")
INVITE = ("mutation($email: String!) { inviteMember(email: $email, role: ANALYST) { invitation { id } "
          "errors { code message field } } }")
ENABLE = "mutation($name: String!) { enablePlugin(name: $name) { plugin { name } errors { code message field } } }"
RENAME = "mutation { updateTenant(input: {name: \"Renamed\"}) { tenant { name } errors { code } } }"
BILLING = ("{ billing { configured state readOnly readOnlyReason overQuota overQuotaResponses pilotEndsAt afterPilot "
           "plan { key stores monthlyResponses users } usage { stores monthlyResponses seats } plans { key } } }")


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> None:
    """Billing configured against a Stripe that only respx answers."""
    monkeypatch.setenv("PEJLING_STRIPE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("PEJLING_STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("PEJLING_STRIPE_API_BASE", STRIPE)


@pytest.fixture
def stripe_api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=STRIPE, assert_all_called=False, assert_all_mocked=False) as router:
        yield router


def _headers(shop: TenantFixture, token: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token or shop.token}", "X-Pejling-Tenant": shop.tenant.slug}


def _form(request: httpx.Request) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(request.content.decode()).items()}


async def _set_state(shop: TenantFixture, **changes: Any) -> None:
    from pejling.plugins.billing.subscription_state import stored_subscription

    row = await stored_subscription(shop.tenant)
    for key, value in changes.items():
        setattr(row, key, value)
    with tenant_scope(shop.tenant.id):
        await row.save()


async def test_start_checkout_sends_stripe_the_documented_session(
        configured: None, stripe_api: respx.MockRouter, client: httpx.AsyncClient) -> None:
    shop = await make_tenant(stores=2)
    customers = stripe_api.post("/v1/customers").respond(200, json={"id": "cus_pej1", "object": "customer"})
    sessions = stripe_api.post("/v1/checkout/sessions").respond(
        200, json={"id": "cs_test_1", "object": "checkout.session", "url": "https://checkout.stripe.test/c/cs_test_1"})
    body = await gql(client, CHECKOUT, {"plan": "store"}, _headers(shop))
    assert body["data"]["startCheckout"] == {"url": "https://checkout.stripe.test/c/cs_test_1", "errors": []}
    customer = customers.calls.last.request
    assert customer.headers["authorization"] == f"Bearer {SECRET_KEY}"
    assert customer.headers["idempotency-key"] == f"pejling-customer-{shop.tenant.id}"
    assert _form(customer)["metadata[tenant_id]"] == str(shop.tenant.id)
    sent = _form(sessions.calls.last.request)
    tenant_id = str(shop.tenant.id)
    assert sent == {
        "mode": "subscription", "customer": "cus_pej1", "client_reference_id": tenant_id,
        "line_items[0][price]": plan("store").lookup_key, "line_items[0][quantity]": "2",
        "success_url": "http://127.0.0.1:8000/portal/billing?checkout=done",
        "cancel_url": "http://127.0.0.1:8000/portal/billing?checkout=canceled",
        "metadata[tenant_id]": tenant_id, "metadata[pejling_plan]": "store",
        "subscription_data[metadata][tenant_id]": tenant_id, "subscription_data[metadata][pejling_plan]": "store",
    }
    # A second checkout reuses the stored customer.
    await gql(client, CHECKOUT, {"plan": "chain"}, _headers(shop))
    assert customers.call_count == 1 and sessions.call_count == 2


async def test_open_billing_portal_sends_the_customer_and_return_url(
        configured: None, stripe_api: respx.MockRouter, client: httpx.AsyncClient) -> None:
    shop = await make_tenant()
    before = await gql(client, PORTAL, headers=_headers(shop))
    assert [e["code"] for e in before["data"]["openBillingPortal"]["errors"]] == ["not_found"]
    await _set_state(shop, stripe_customer_id="cus_portal")
    portal = stripe_api.post("/v1/billing_portal/sessions").respond(
        200, json={"id": "bps_1", "object": "billing_portal.session", "url": "https://billing.stripe.test/p/1"})
    body = await gql(client, PORTAL, headers=_headers(shop))
    assert body["data"]["openBillingPortal"] == {"url": "https://billing.stripe.test/p/1", "errors": []}
    assert _form(portal.calls.last.request) == {"customer": "cus_portal",
                                                "return_url": "http://127.0.0.1:8000/portal/billing"}


async def test_checkout_refuses_bad_input_and_other_roles_and_calls_no_one(
        configured: None, stripe_api: respx.MockRouter, client: httpx.AsyncClient) -> None:
    shop = await make_tenant()
    anything = stripe_api.route().respond(500)
    for wanted in ("pilot", "gold"):
        body = await gql(client, CHECKOUT, {"plan": wanted}, _headers(shop))
        assert [(e["code"], e["field"]) for e in body["data"]["startCheckout"]["errors"]] == [("invalid", "plan")]
    analyst = await token_for(shop.tenant, await member(shop.tenant, Role.ANALYST))
    body = await gql(client, CHECKOUT, {"plan": "store"}, _headers(shop, analyst))
    assert [e["code"] for e in body["data"]["startCheckout"]["errors"]] == ["forbidden"]
    assert anything.call_count == 0
    with tenant_scope(shop.tenant.id):
        assert not await Subscription.exists()


async def test_stripe_failing_is_a_typed_error(
        configured: None, stripe_api: respx.MockRouter, client: httpx.AsyncClient) -> None:
    shop = await make_tenant()
    stripe_api.post("/v1/customers").respond(200, json={"id": "cus_fail", "object": "customer"})
    stripe_api.post("/v1/checkout/sessions").respond(
        400, json={"error": {"type": "invalid_request_error", "message": "No such price"}})
    body = await gql(client, CHECKOUT, {"plan": "store"}, _headers(shop))
    assert body["data"]["startCheckout"]["url"] is None
    assert [e["code"] for e in body["data"]["startCheckout"]["errors"]] == ["unavailable"]


async def test_stripe_off_the_operators_list_is_not_called_and_the_error_is_typed(
        configured: None, stripe_api: respx.MockRouter, client: httpx.AsyncClient,
        outbound_hosts: Callable[[str], None]) -> None:
    """Stripe is a fixed destination, yet PEJLING_OUTBOUND_ALLOWED_HOSTS binds it: off the list (the tests' Stripe
    is api.stripe.test), no request leaves and the caller gets the typed error of Stripe being unreachable."""
    outbound_hosts("api.stripe.com")
    shop = await make_tenant()
    customers = stripe_api.post("/v1/customers").respond(200, json={"id": "cus_never", "object": "customer"})
    body = await gql(client, CHECKOUT, {"plan": "store"}, _headers(shop))
    assert body["data"]["startCheckout"]["url"] is None
    assert [e["code"] for e in body["data"]["startCheckout"]["errors"]] == ["unavailable"]
    assert not customers.called


async def test_without_keys_billing_is_not_configured_and_nothing_is_enforced(
        monkeypatch: pytest.MonkeyPatch, client: httpx.AsyncClient) -> None:
    for name in ("SECRET_KEY", "WEBHOOK_SECRET", "API_BASE"):
        monkeypatch.delenv(f"PEJLING_STRIPE_{name}", raising=False)
    shop = await make_tenant(stores=1)
    billing = (await gql(client, BILLING, headers=_headers(shop)))["data"]["billing"]
    assert (billing["configured"], billing["state"], billing["plan"]["key"]) == (False, "PILOT", "pilot")
    assert "not configured" in billing["afterPilot"]
    created = await gql(client, CREATE_STORE, {"input": {"name": "Second", "slug": "second"}}, _headers(shop))
    assert created["data"]["createStore"]["errors"] == []
    checkout = await gql(client, CHECKOUT, {"plan": "store"}, _headers(shop))
    assert [e["code"] for e in checkout["data"]["startCheckout"]["errors"]] == ["billing_not_configured"]
    hook = await client.post("/webhooks/stripe", content=b"{}", headers={"stripe-signature": "t=1,v1=00"})
    assert hook.status_code == 404


async def test_the_pilot_limits_are_typed_errors_naming_the_plan_that_allows_it(
        configured: None, client: httpx.AsyncClient) -> None:
    shop = await make_tenant(stores=1)
    billing = (await gql(client, BILLING, headers=_headers(shop)))["data"]["billing"]
    assert billing["plan"] == {"key": "pilot", "stores": 1, "monthlyResponses": 500, "users": 3}
    assert billing["usage"] == {"stores": 1, "monthlyResponses": 0, "seats": 1}
    assert [p["key"] for p in billing["plans"]] == ["pilot", "store", "chain"]

    store = await gql(client, CREATE_STORE, {"input": {"name": "Second", "slug": "second"}}, _headers(shop))
    assert store["data"]["createStore"]["store"] is None
    [error] = store["data"]["createStore"]["errors"]
    assert error["code"] == "plan_limit" and "Pilot plan allows 1 store" in error["message"]
    assert "The Store plan allows it." in error["message"]

    plugin = await gql(client, ENABLE, {"name": "email"}, _headers(shop))
    [error] = plugin["data"]["enablePlugin"]["errors"]
    assert (error["code"], error["field"]) == ("plan_limit", "name")
    assert "The Store plan allows it." in error["message"]
    allowed = await gql(client, ENABLE, {"name": "nps"}, _headers(shop))
    assert allowed["data"]["enablePlugin"]["errors"] == []

    for number in range(2):  # the owner and two invitations fill the pilot's three seats
        invited = await gql(client, INVITE, {"email": f"person{number}@{shop.tenant.slug}.example"}, _headers(shop))
        assert invited["data"]["inviteMember"]["errors"] == [], invited
    refused = await gql(client, INVITE, {"email": f"third@{shop.tenant.slug}.example"}, _headers(shop))
    [error] = refused["data"]["inviteMember"]["errors"]
    assert error["code"] == "plan_limit" and "The Store plan allows it." in error["message"]
    with tenant_scope(shop.tenant.id):
        from pejling.tenants.models import Invitation, Store

        assert await Store.all().count() == 1
        assert await Invitation.all().count() == 2


async def test_an_active_chain_plan_lifts_the_limits(configured: None, client: httpx.AsyncClient) -> None:
    shop = await make_tenant(stores=1)
    await _set_state(shop, plan="chain", state=BillingState.ACTIVE)
    store = await gql(client, CREATE_STORE, {"input": {"name": "Second", "slug": "second"}}, _headers(shop))
    assert store["data"]["createStore"]["errors"] == []
    plugin = await gql(client, ENABLE, {"name": "email"}, _headers(shop))
    assert plugin["data"]["enablePlugin"]["errors"] == []


@pytest.mark.parametrize("changes", [
    {"state": BillingState.CANCELED},
    {"state": BillingState.UNPAID, "plan": "store"},
    {"state": BillingState.PILOT, "pilot_ends_at": "past"},
    {"state": BillingState.PAST_DUE, "plan": "store", "past_due_since": "long ago"},
])
async def test_a_lapsed_tenant_gets_a_read_only_portal_but_billing_still_works(
        configured: None, stripe_api: respx.MockRouter, client: httpx.AsyncClient, changes: dict[str, Any]) -> None:
    from datetime import UTC, datetime, timedelta

    shop = await make_tenant(stores=1)
    stamps = {"past": datetime.now(UTC) - timedelta(minutes=1), "long ago": datetime.now(UTC) - timedelta(days=8)}
    await _set_state(shop, **{k: stamps.get(v, v) if isinstance(v, str) else v for k, v in changes.items()})
    refused = await gql(client, RENAME, headers=_headers(shop))
    assert refused["data"] is None
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["BILLING_READ_ONLY"]
    from pejling.tenants.models import Tenant
    from pejling.tenants.scope import all_tenants

    with all_tenants():
        assert (await Tenant.get(id=shop.tenant.id)).name == shop.tenant.name != "Renamed"
    from pejling.core.audit.models import AuditEntry, AuditOutcome
    from pejling.tenants.scope import tenant_scope

    with tenant_scope(shop.tenant.id):  # the refusal is in the audit log (docs/security.md, "Audit log")
        latest = await AuditEntry.all().order_by("-at", "-id").first()
    assert latest is not None and (latest.outcome, latest.error_codes) == (AuditOutcome.REFUSED, ["BILLING_READ_ONLY"])
    billing = (await gql(client, BILLING, headers=_headers(shop)))["data"]["billing"]
    assert billing["readOnly"] is True and billing["readOnlyReason"]
    stripe_api.post("/v1/customers").respond(200, json={"id": "cus_lapsed", "object": "customer"})
    stripe_api.post("/v1/checkout/sessions").respond(200, json={"id": "cs_l", "object": "checkout.session",
                                                                "url": "https://checkout.stripe.test/l"})
    checkout = await gql(client, CHECKOUT, {"plan": "store"}, _headers(shop))
    assert checkout["data"]["startCheckout"]["url"] == "https://checkout.stripe.test/l"


async def test_past_due_within_the_grace_keeps_the_portal_writable(configured: None, client: httpx.AsyncClient) -> None:
    from datetime import UTC, datetime, timedelta

    shop = await make_tenant(stores=1)
    await _set_state(shop, state=BillingState.PAST_DUE, plan="store",
                     past_due_since=datetime.now(UTC) - timedelta(days=2))
    renamed = await gql(client, RENAME, headers=_headers(shop))
    assert renamed["data"]["updateTenant"] == {"tenant": {"name": "Renamed"}, "errors": []}
    billing = (await gql(client, "{ billing { readOnly notice } }", headers=_headers(shop)))["data"]["billing"]
    until = (datetime.now(UTC) + timedelta(days=5)).strftime("%Y-%m-%d")
    assert billing["readOnly"] is False and f"before {until}" in billing["notice"]


async def test_responses_over_the_quota_are_stored_and_marked(
        configured: None, monkeypatch: pytest.MonkeyPatch, app: Any, client: httpx.AsyncClient) -> None:
    from pejling.core.surveys.models import Response
    from tests.followups.conftest import make_chain

    monkeypatch.setitem(plans(), "pilot", dataclasses.replace(plan("pilot"), monthly_responses=1))
    chain = await make_chain(app)
    await _set_state(TenantFixture(chain.tenant, chain.owner.user, chain.owner.token), plan="pilot")
    first = await chain.submit(outcome=4)
    second = await chain.submit(outcome=2)
    with tenant_scope(chain.tenant.id):
        assert await Response.filter(id__in=[first, second]).count() == 2
        marked = [str(m.response_id) for m in await OverQuotaResponse.all()]
    assert marked == [second]
    headers = {"Authorization": f"Bearer {chain.owner.token}", "X-Pejling-Tenant": chain.tenant.slug}
    billing = (await gql(client, BILLING, headers=headers))["data"]["billing"]
    assert (billing["overQuota"], billing["overQuotaResponses"], billing["usage"]["monthlyResponses"]) == (True, 1, 2)


async def test_a_tenant_cannot_switch_billing_off_and_an_old_switch_does_not_lift_the_quota(
        configured: None, monkeypatch: pytest.MonkeyPatch, app: Any, client: httpx.AsyncClient) -> None:
    from pejling.core.surveys.models import Response
    from pejling.tenants.plugin_settings import PluginSetting
    from tests.followups.conftest import make_chain

    monkeypatch.setitem(plans(), "pilot", dataclasses.replace(plan("pilot"), monthly_responses=1))
    chain = await make_chain(app)
    await _set_state(TenantFixture(chain.tenant, chain.owner.user, chain.owner.token), plan="pilot")
    with tenant_scope(chain.tenant.id):  # a switch stored before tenants were refused it
        await PluginSetting.update_or_create(defaults={"enabled": False}, plugin="billing")
    headers = {"Authorization": f"Bearer {chain.owner.token}", "X-Pejling-Tenant": chain.tenant.slug}
    refused = (await gql(client, 'mutation { disablePlugin(name: "billing") { errors { code field message } } }',
                         headers=headers))["data"]["disablePlugin"]["errors"]
    assert [(e["code"], e["field"]) for e in refused] == [("conflict", "name")]
    assert "PEJLING_PLUGINS_DISABLED=billing" in refused[0]["message"]
    listed = (await gql(client, "{ plugins { name enabled alwaysOnReason } }", headers=headers))["data"]["plugins"]
    billing = next(p for p in listed if p["name"] == "billing")
    assert billing["enabled"] is True and "operator" in billing["alwaysOnReason"]
    first = await chain.submit(outcome=4)
    second = await chain.submit(outcome=2)
    with tenant_scope(chain.tenant.id):
        assert await Response.filter(id__in=[first, second]).count() == 2
        assert [str(m.response_id) for m in await OverQuotaResponse.all()] == [second]


async def test_a_tenant_with_a_live_paid_subscription_cannot_be_deleted(configured: None,
                                                                        client: httpx.AsyncClient) -> None:
    shop = await make_tenant()
    delete = "mutation($s: String!) { deleteTenant(confirmSlug: $s) { deletedSlug errors { code message } } }"
    await _set_state(shop, state=BillingState.ACTIVE, plan="store", stripe_subscription_id="sub_live_1")
    refused = (await gql(client, delete, {"s": shop.tenant.slug}, _headers(shop)))["data"]["deleteTenant"]
    assert refused["deletedSlug"] is None and [e["code"] for e in refused["errors"]] == ["conflict"]
    assert "billing portal" in refused["errors"][0]["message"]
    assert await Tenant.exists(id=shop.tenant.id)
    await _set_state(shop, state=BillingState.CANCELED)  # canceled: the portal is read-only, privacy tools are not
    exported = await gql(client, "mutation { startTenantExport { errors { code } } }", None, _headers(shop))
    assert exported["data"]["startTenantExport"]["errors"] == []
    done = (await gql(client, delete, {"s": shop.tenant.slug}, _headers(shop)))["data"]["deleteTenant"]
    assert done == {"deletedSlug": shop.tenant.slug, "errors": []}
    assert not await Tenant.exists(id=shop.tenant.id)

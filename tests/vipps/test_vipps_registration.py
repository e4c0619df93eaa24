"""Pejling registers the tenant's ePayment webhook with the Vipps Webhooks API when the retailer saves Vipps' API keys
(against a local Vipps: Access Token API and Webhooks API, headers checked), verifies events with the secret Vipps
returned, refuses what that secret did not sign, and removes the registration when Vipps is switched off. A refusal
from Vipps is a typed error and changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from pejling.core.settings import Settings
from pejling.plugins.vipps.models import VippsPayment, VippsWebhookRegistration
from pejling.plugins.vipps.vipps_api import BASE_URL_ENV, EPAYMENT_EVENTS
from pejling.tenants.models import Role
from pejling.tenants.plugin_settings import PluginSetting
from pejling.tenants.scope import all_tenants, tenant_scope
from tests.support.tenancy import gql, member, token_for
from tests.surveys.conftest import Shop, make_shop
from tests.vipps.test_vipps_webhooks import MSN, Vipps, run_jobs
from tests.vipps.vipps_api_server import CLIENT_ID, CLIENT_SECRET, SUBSCRIPTION_KEY, LocalVipps, serve_vipps

OTHER_MSN = "654321"
ENABLE = """mutation($config: JSON) { enablePlugin(name: "vipps", config: $config) {
  plugin { enabled config } errors { code message field } } }"""
DISABLE = """mutation { disablePlugin(name: "vipps") { plugin { enabled } errors { code message field } } }"""


@pytest.fixture
def vipps_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalVipps]:
    """The local Vipps, for both sales units; Pejling is pointed at it as an operator would (not a tenant)."""
    for local in serve_vipps({MSN, OTHER_MSN}):
        monkeypatch.setenv(BASE_URL_ENV, local.base_url)
        yield local


def keys(**changes: Any) -> dict[str, Any]:
    return {"api_client_id": CLIENT_ID, "api_client_secret": CLIENT_SECRET, "api_subscription_key": SUBSCRIPTION_KEY,
            "sales_units": {MSN: "main"}, **changes}


async def owner(shop: Shop) -> dict[str, str]:
    return {"Authorization": f"Bearer {await token_for(shop.tenant, await member(shop.tenant, Role.OWNER))}"}


async def stored(shop: Shop) -> tuple[PluginSetting | None, list[VippsWebhookRegistration]]:
    with all_tenants():
        setting = await PluginSetting.get_or_none(tenant_id=shop.tenant.id, plugin="vipps")
    with tenant_scope(shop.tenant.id):
        return setting, await VippsWebhookRegistration.all().order_by("msn")


async def test_configure_registers_the_webhook_whose_secret_verifies_a_capture_and_disable_removes_it(
    app: Any, client: httpx.AsyncClient, vipps_api: LocalVipps, database: Settings
) -> None:
    shop = await make_shop()
    headers = await owner(shop)
    reply = await gql(client, ENABLE, {"config": keys()}, headers)
    payload = reply["data"]["enablePlugin"]
    assert payload["errors"] == [], payload
    config = payload["plugin"]["config"]
    assert config["api_client_secret"] is None and config["api_subscription_key"] is None  # write-only
    webhook_id = config["webhook_id"]

    [webhook] = vipps_api.webhooks.values()
    assert webhook.msn == MSN and set(webhook.events) == set(EPAYMENT_EVENTS)
    assert "epayments.payment.captured.v1" in webhook.events
    assert urlsplit(webhook.url).path == f"/webhooks/vipps/{webhook_id}"
    assert webhook.url == database.base_url.rstrip("/") + f"/webhooks/vipps/{webhook_id}"
    assert [c for c in vipps_api.calls if c[0] == "POST"] == [
        ("POST", "/accesstoken/get", MSN), ("POST", "/webhooks/v1/webhooks", MSN)]
    setting, [row] = await stored(shop)
    assert setting is not None and setting.enabled
    assert row.vipps_id == webhook.id and row.msn == MSN
    assert webhook.secret not in row.secret  # sealed at rest
    for plain in (CLIENT_SECRET, SUBSCRIPTION_KEY, webhook.secret):
        assert plain not in str(setting.config)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        sender = Vipps(http, webhook_id, secret=webhook.secret)
        for second, name in enumerate(("CREATED", "AUTHORIZED", "CAPTURED")):
            sent = await sender.send(sender.event(name, "order-2001", second=second))
            assert sent.status_code == 200 and sent.json() == {"status": "accepted"}, sent.text
        forged = await sender.send(sender.event("CAPTURED", "order-2002"), secret="another-secret-" + "x" * 20)
        assert forged.status_code == 401
        await run_jobs(database)
        link = await http.get("/plugins/vipps/payments/order-2001", headers=headers)
        assert link.status_code == 200 and link.json()["state"] == "CAPTURED"
        assert f"/s/{shop.tenant.slug}/main?" in link.json()["survey_url"]
        with tenant_scope(shop.tenant.id):
            assert await VippsPayment.filter(reference="order-2002").count() == 0

        # Saving again keeps the registration Vipps still lists (secrets left out keep their stored values).
        again = await gql(client, ENABLE, {"config": {"sales_units": {MSN: "main"}, "api_client_id": CLIENT_ID,
                                                      "webhook_id": webhook_id}}, headers)
        assert again["data"]["enablePlugin"]["errors"] == []
        assert list(vipps_api.webhooks) == [webhook.id]
        # Gone at Vipps (removed in Vipps' portal): saving again registers it anew, with a new secret.
        vipps_api.webhooks.clear()
        repaired = await gql(client, ENABLE, {"config": keys(webhook_id=webhook_id)}, headers)
        assert repaired["data"]["enablePlugin"]["errors"] == []
        [renewed] = vipps_api.webhooks.values()
        assert renewed.id != webhook.id and renewed.url == webhook.url
        _, [row] = await stored(shop)
        assert row.vipps_id == renewed.id
        old = await sender.send(sender.event("CAPTURED", "order-2003"))
        assert old.status_code == 401  # the replaced secret verifies nothing any more

        off = await gql(client, DISABLE, {}, headers)
        assert off["data"]["disablePlugin"]["errors"] == []
        assert ("DELETE", f"/webhooks/v1/webhooks/{renewed.id}", MSN) in vipps_api.calls
        assert vipps_api.webhooks == {}
        setting, registrations = await stored(shop)
        assert setting is not None and not setting.enabled and registrations == []
        late = await Vipps(http, webhook_id, secret=renewed.secret).send(sender.event("CAPTURED", "order-2004"))
        assert late.status_code == 404


async def test_a_refusal_from_vipps_is_a_typed_error_and_changes_nothing(
    client: httpx.AsyncClient, vipps_api: LocalVipps, database: Settings
) -> None:
    shop = await make_shop()
    headers = await owner(shop)
    wrong = await gql(client, ENABLE, {"config": keys(api_client_secret="not-the-client-secret")}, headers)
    [error] = wrong["data"]["enablePlugin"]["errors"]
    assert error["code"] == "service_refused" and error["field"] == "config.api_client_id"
    assert "refused the API keys" in error["message"] and "not-the-client-secret" not in error["message"]
    assert await stored(shop) == (None, [])

    vipps_api.refuse_registration = 400
    refused = await gql(client, ENABLE, {"config": keys()}, headers)
    [error] = refused["data"]["enablePlugin"]["errors"]
    assert error["code"] == "service_refused" and "Registration refused by the test" in error["message"]
    assert await stored(shop) == (None, [])
    vipps_api.refuse_registration = None

    # The second sales unit's keys are refused: the first one's fresh registration is taken back at Vipps.
    vipps_api.msns.discard(OTHER_MSN)
    partial = await gql(client, ENABLE, {"config": keys(sales_units={MSN: "main", OTHER_MSN: "main"})}, headers)
    [error] = partial["data"]["enablePlugin"]["errors"]
    assert error["code"] == "service_refused" and OTHER_MSN in error["message"]
    assert vipps_api.webhooks == {} and ("POST", "/webhooks/v1/webhooks", MSN) in vipps_api.calls
    assert await stored(shop) == (None, [])

    # Switching off while Vipps refuses to remove the webhook: Vipps stays on, the registration is kept.
    assert (await gql(client, ENABLE, {"config": keys()}, headers))["data"]["enablePlugin"]["errors"] == []
    vipps_api.msns.clear()
    off = await gql(client, DISABLE, {}, headers)
    [error] = off["data"]["disablePlugin"]["errors"]
    assert error["code"] == "service_refused"
    setting, [row] = await stored(shop)
    assert setting is not None and setting.enabled and row.vipps_id in vipps_api.webhooks


async def test_a_registered_secret_verifies_only_its_own_sales_units_events(
    app: Any, client: httpx.AsyncClient, vipps_api: LocalVipps, database: Settings
) -> None:
    shop = await make_shop()
    reply = await gql(client, ENABLE, {"config": keys(sales_units={MSN: "main", OTHER_MSN: "main"})},
                      await owner(shop))
    assert reply["data"]["enablePlugin"]["errors"] == []
    webhook_id = reply["data"]["enablePlugin"]["plugin"]["config"]["webhook_id"]
    by_msn = {w.msn: w for w in vipps_api.webhooks.values()}
    assert set(by_msn) == {MSN, OTHER_MSN} and by_msn[MSN].secret != by_msn[OTHER_MSN].secret
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        sender = Vipps(http, webhook_id, secret=by_msn[MSN].secret)
        crossed = await sender.send(sender.event("CAPTURED", "order-3001", msn=OTHER_MSN))
        assert crossed.status_code == 401
        own = await Vipps(http, webhook_id, secret=by_msn[OTHER_MSN].secret).send(
            sender.event("CAPTURED", "order-3001", msn=OTHER_MSN))
        assert own.status_code == 200 and own.json() == {"status": "accepted"}


@pytest.mark.parametrize("issuer", ["http://127.0.0.1:9/", "https://127.0.0.1/", "https://10.1.2.3/",
                                    "https://[::ffff:169.254.169.254]/"])
async def test_a_login_issuer_at_an_internal_address_is_refused_when_saved(
    client: httpx.AsyncClient, database: Settings, monkeypatch: pytest.MonkeyPatch, issuer: str
) -> None:
    """Without the tests' opt-in (PEJLING_VIPPS_ALLOW_PRIVATE_ISSUER) the server never calls its own network."""
    monkeypatch.delenv("PEJLING_VIPPS_ALLOW_PRIVATE_ISSUER", raising=False)
    shop = await make_shop()
    reply = await gql(client, ENABLE, {"config": {"login_issuer": issuer, "login_client_id": "c",
                                                  "login_client_secret": "login-secret-1"}}, await owner(shop))
    [error] = reply["data"]["enablePlugin"]["errors"]
    assert error["code"] == "invalid" and error["field"] == "config.login_issuer", error
    assert await stored(shop) == (None, [])


async def test_a_vipps_api_off_the_operators_list_is_not_called(
    client: httpx.AsyncClient, vipps_api: LocalVipps, database: Settings, outbound_hosts: Callable[[str], None]
) -> None:
    """The Vipps API's address is the operator's, yet PEJLING_OUTBOUND_ALLOWED_HOSTS binds it too: off the list, the
    save is a typed error, Vipps hears nothing and nothing is stored."""
    outbound_hosts("api.vipps.no,apitest.vipps.no")
    shop = await make_shop()
    reply = await gql(client, ENABLE, {"config": keys()}, await owner(shop))
    [error] = reply["data"]["enablePlugin"]["errors"]
    assert error["code"] == "service_refused", error
    assert error["message"] == ("Vipps MobilePay was not called: This server may not call 127.0.0.1: it is not one "
                                "of the destinations its operator allows.")
    assert vipps_api.calls == [] and await stored(shop) == (None, [])


async def test_a_login_issuer_off_the_operators_list_is_refused_when_saved(
    client: httpx.AsyncClient, database: Settings, monkeypatch: pytest.MonkeyPatch,
    outbound_hosts: Callable[[str], None],
) -> None:
    monkeypatch.setenv("PEJLING_VIPPS_ALLOW_PRIVATE_ISSUER", "1")  # the allow-list binds above the tests' opt-in
    outbound_hosts("login.vipps.no")
    shop = await make_shop()
    reply = await gql(client, ENABLE, {"config": {"login_issuer": "http://127.0.0.1:9/", "login_client_id": "c",
                                                  "login_client_secret": "login-secret-1"}}, await owner(shop))
    [error] = reply["data"]["enablePlugin"]["errors"]
    assert error["code"] == "invalid" and error["field"] == "config.login_issuer", error
    assert "may not call 127.0.0.1" in error["message"]
    assert await stored(shop) == (None, [])

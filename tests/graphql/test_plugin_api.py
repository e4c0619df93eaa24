"""Plugins through GraphQL: owners and admins list, switch on (configuration checked) and off; secrets stay in."""

from __future__ import annotations

from typing import Any

import httpx

from pejling.tenants.models import Role
from pejling.tenants.plugin_settings import PluginSetting
from pejling.tenants.scope import tenant_scope
from tests.support.tenancy import gql, make_tenant, member, token_for

SECRET = "a-long-shared-gateway-secret"
LIST = "{ plugins { name builtin enabled enabledByDefault alwaysOnReason config secretFields settingsSchema " \
       "provides { channels scoringModels } } }"
ENABLE = """mutation($name: String!, $config: JSON) { enablePlugin(name: $name, config: $config) {
  plugin { name enabled config secretFields } errors { code field message } } }"""
DISABLE = """mutation($name: String!) { disablePlugin(name: $name) {
  plugin { name enabled config } errors { code field message } } }"""


def _by_name(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in body["data"]["plugins"]}


async def _stored(tenant_id: Any, name: str) -> PluginSetting | None:
    with tenant_scope(tenant_id):
        return await PluginSetting.get_or_none(plugin=name)


async def test_an_owner_lists_switches_on_with_checked_configuration_and_off(client: httpx.AsyncClient) -> None:
    shop = await make_tenant()
    listed = _by_name(await gql(client, LIST, headers=shop.headers))
    assert listed["kiosk"]["builtin"] and listed["kiosk"]["enabled"] and listed["kiosk"]["provides"]["channels"] == [
        "kiosk"]
    assert listed["sms"] == {**listed["sms"], "builtin": False, "enabled": False, "enabledByDefault": False,
                             "config": None, "secretFields": ["secret"]}
    assert "gateway_url" in listed["sms"]["settingsSchema"]["properties"]
    assert listed["implicit_goals"]["alwaysOnReason"]

    refused = (await gql(client, ENABLE, {"name": "sms", "config": {"gateway_url": "not a url", "secret": "short"}},
                         shop.headers))["data"]["enablePlugin"]
    assert refused["plugin"] is None
    assert {e["field"] for e in refused["errors"]} == {"config.gateway_url", "config.secret"}
    assert await _stored(shop.tenant.id, "sms") is None
    nul = {"gateway_url": "https://sms.example.com/send", "secret": "a-long-secret\u0000with-a-nul"}
    refused = (await gql(client, ENABLE, {"name": "sms", "config": nul}, shop.headers))["data"]["enablePlugin"]
    assert refused["errors"] == [{"code": "invalid", "field": "config.secret",
                                  "message": "Remove the control characters from this value."}]
    assert await _stored(shop.tenant.id, "sms") is None

    config = {"gateway_url": "https://sms.example.com/send", "secret": SECRET, "sender": "Shop"}
    enabled = (await gql(client, ENABLE, {"name": "sms", "config": config}, shop.headers))["data"]["enablePlugin"]
    assert enabled["errors"] == []
    assert enabled["plugin"] == {"name": "sms", "enabled": True, "secretFields": ["secret"],
                                 "config": {"gateway_url": "https://sms.example.com/send", "secret": None,
                                            "sender": "Shop"}}
    assert SECRET not in str(await gql(client, LIST, headers=shop.headers))

    # Changing the sender without sending the secret again keeps the stored secret.
    again = await gql(client, ENABLE, {"name": "sms", "config": {"gateway_url": config["gateway_url"],
                                                                 "sender": "Other"}}, shop.headers)
    assert again["data"]["enablePlugin"]["errors"] == []
    row = await _stored(shop.tenant.id, "sms")
    assert row is not None and row.enabled and row.config["secret"] == SECRET and row.config["sender"] == "Other"

    off = (await gql(client, DISABLE, {"name": "sms"}, shop.headers))["data"]["disablePlugin"]
    assert off["errors"] == [] and off["plugin"]["enabled"] is False
    row = await _stored(shop.tenant.id, "sms")
    assert row is not None and not row.enabled and row.config["secret"] == SECRET
    assert not _by_name(await gql(client, LIST, headers=shop.headers))["sms"]["enabled"]


async def test_core_and_unknown_plugins_are_typed_errors_that_change_nothing(client: httpx.AsyncClient) -> None:
    shop = await make_tenant()
    core = (await gql(client, DISABLE, {"name": "implicit_goals"}, shop.headers))["data"]["disablePlugin"]
    assert core["plugin"] is None and core["errors"][0]["code"] == "conflict"
    for mutation, key in ((DISABLE, "disablePlugin"), (ENABLE, "enablePlugin")):
        unknown = (await gql(client, mutation, {"name": "no-such-plugin"}, shop.headers))["data"][key]
        assert unknown["errors"][0]["code"] == "not_found"
    assert await _stored(shop.tenant.id, "implicit_goals") is None


async def test_analysts_read_without_configuration_and_cannot_switch_and_tenants_stay_apart(
    client: httpx.AsyncClient,
) -> None:
    shop, other = await make_tenant(), await make_tenant()
    config = {"gateway_url": "https://sms.example.com/send", "secret": SECRET}
    assert (await gql(client, ENABLE, {"name": "sms", "config": config}, shop.headers))["data"]["enablePlugin"][
        "errors"] == []
    analyst = {"Authorization": f"Bearer {await token_for(shop.tenant, await member(shop.tenant, Role.ANALYST))}"}
    seen = _by_name(await gql(client, LIST, headers=analyst))["sms"]
    assert seen["enabled"] is True and seen["config"] is None
    refused = (await gql(client, DISABLE, {"name": "sms"}, analyst))["data"]["disablePlugin"]
    assert refused["errors"][0]["code"] == "forbidden"
    assert _by_name(await gql(client, LIST, headers=shop.headers))["sms"]["enabled"] is True
    # The other tenant's list knows nothing of this one's choice.
    theirs = _by_name(await gql(client, LIST, headers=other.headers))["sms"]
    assert theirs["enabled"] is False and theirs["config"] is None
    anonymous = await gql(client, LIST)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

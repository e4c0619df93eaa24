"""SSRF: without the test opt-in, webhook URLs must be https on public addresses, at registration and delivery."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest

from pejling.core.outbound_addresses import UrlRefused, check_url, is_public
from pejling.plugins.webhooks.models import WebhookEndpoint
from pejling.tenants.scope import tenant_scope
from tests.followups.conftest import Chain
from tests.webhooks.conftest import Deliveries, Receiver, create_endpoint, delivery_log

INTERNAL = [
    "https://127.0.0.1/hook",
    "https://localhost/hook",  # a host name that resolves to 127.0.0.1
    "https://[::ffff:127.0.0.1]/hook",  # IPv4-mapped IPv6
    "https://[::ffff:7f00:1]/hook",
    "https://[::1]/hook",
    "https://169.254.169.254/latest/meta-data/",  # cloud metadata
    "https://[fd00:ec2::254]/",  # the IPv6 metadata address
    "https://10.1.2.3/hook",
    "https://172.16.0.1/hook",
    "https://192.168.1.10/hook",
    "https://100.100.100.200/",  # shared address space (a cloud's metadata)
    "https://0.0.0.0/hook",
    "https://224.0.0.1/hook",
    "https://240.0.0.1/hook",
    "https://[64:ff9b::7f00:1]/hook",  # NAT64 of 127.0.0.1
    "https://[2002:7f00:1::]/hook",  # 6to4 of 127.0.0.1
    "https://[fe80::1]/hook",
    "https://2130706433/hook",  # 127.0.0.1 as a number
]


@pytest.mark.parametrize("url", INTERNAL)
async def test_internal_addresses_are_refused_without_the_opt_in(url: str) -> None:
    with pytest.raises(UrlRefused):
        await check_url(url)


#: Schemes that run script or carry a document, and addresses without a scheme of their own (ASVS V1.2.2).
UNSAFE_SCHEMES = [
    "javascript:alert(1)", "JavaScript://93.184.215.14/%0aalert(1)", "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)", "//93.184.215.14/hook", "/hook", "93.184.215.14/hook", "file:///etc/passwd",
    "ftp://93.184.215.14/hook", " https://93.184.215.14/hook", "https:\\\\93.184.215.14/hook",
]


@pytest.mark.parametrize("url", UNSAFE_SCHEMES)
@pytest.mark.parametrize("allow_private", [False, True])
async def test_only_https_urls_are_kept_never_script_or_protocol_relative(url: str, allow_private: bool) -> None:
    """Every URL a tenant gives (webhook, SSO issuer and the endpoints its discovery names, Vipps issuer) goes through
    ``check_url``: so no ``javascript:``, ``data:``, ``vbscript:`` or scheme-less URL is stored, called or redirected
    to, whatever the opt-in for internal addresses."""
    with pytest.raises(UrlRefused):
        await check_url(url, allow_private=allow_private)


async def test_plain_http_is_refused_without_the_opt_in() -> None:
    with pytest.raises(UrlRefused, match="https"):
        await check_url("http://93.184.215.14/hook")


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "1.1.1.1"])
def test_public_addresses_pass(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


async def test_a_public_literal_url_is_accepted() -> None:
    target = await check_url("https://93.184.215.14:8443/hook?x=1")
    assert str(target.address) == "93.184.215.14" and target.url.port == 8443


async def test_registration_refuses_loopback_and_mapped_addresses(api: httpx.AsyncClient, chain: Chain) -> None:
    for url in ("https://localhost/hook", "https://[::ffff:127.0.0.1]/hook", "https://169.254.169.254/"):
        made = await create_endpoint(api, chain.owner.headers, url)
        assert made["endpoint"] is None and made["secret"] is None
        assert [(e["code"], e["field"]) for e in made["errors"]] == [("invalid", "url")], made
    with tenant_scope(chain.tenant.id):
        assert await WebhookEndpoint.all().count() == 0


async def test_the_address_is_checked_again_at_delivery(
    api: httpx.AsyncClient, chain: Chain, receiver: Receiver, deliveries: Deliveries, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Registered while loopback was allowed (as a rebinding host looks at registration); by delivery time it is
    not: the attempt is refused before any connection, and the log says why."""
    monkeypatch.setenv("PEJLING_WEBHOOKS_ALLOW_PRIVATE", "1")
    made = await create_endpoint(api, chain.owner.headers, receiver.url + "/hook")
    assert made["errors"] == []
    monkeypatch.delenv("PEJLING_WEBHOOKS_ALLOW_PRIVATE")
    await chain.submit()
    await deliveries.run()
    assert receiver.requests == []
    [logged] = await delivery_log(api, chain.owner.headers, made["endpoint"]["id"])
    assert logged["status"] == "RETRYING" and logged["lastResponseCode"] is None
    assert logged["attemptLog"][0]["error"].startswith("refused:")
    # Moving the endpoint is checked the same way.
    moved = await api.post("/graphql", headers=chain.owner.headers, json={
        "query": "mutation($i: WebhookEndpointUpdate!) { updateWebhookEndpoint(input: $i) { errors { code field } } }",
        "variables": {"i": {"id": made["endpoint"]["id"], "url": "https://[::ffff:10.0.0.1]/x"}}})
    assert moved.json()["data"]["updateWebhookEndpoint"]["errors"] == [{"code": "invalid", "field": "url"}]
    monkeypatch.setenv("PEJLING_WEBHOOKS_ALLOW_PRIVATE", "1")
    await deliveries.run(later=timedelta(hours=1))
    assert len(receiver.requests) == 1


async def test_a_host_off_the_operators_list_is_refused_at_registration_and_at_delivery(
    api: httpx.AsyncClient, chain: Chain, receiver: Receiver, deliveries: Deliveries, monkeypatch: pytest.MonkeyPatch,
    outbound_hosts: Callable[[str], None],
) -> None:
    """PEJLING_OUTBOUND_ALLOWED_HOSTS binds even where the tests' opt-in lets loopback through: a receiver not on it
    cannot be registered, and one taken off it after registration is not called at delivery."""
    monkeypatch.setenv("PEJLING_WEBHOOKS_ALLOW_PRIVATE", "1")
    outbound_hosts("hooks.example.com,*.integrations.example")
    refused = await create_endpoint(api, chain.owner.headers, receiver.url + "/hook")
    [error] = refused["errors"]
    assert (error["code"], error["field"]) == ("invalid", "url")
    assert error["message"] == ("This server may not call 127.0.0.1: it is not one of the destinations its operator "
                                "allows.")
    outbound_hosts("hooks.example.com,127.0.0.1")
    made = await create_endpoint(api, chain.owner.headers, receiver.url + "/hook")
    assert made["errors"] == []
    outbound_hosts("hooks.example.com")
    await chain.submit()
    await deliveries.run()
    assert receiver.requests == []
    [logged] = await delivery_log(api, chain.owner.headers, made["endpoint"]["id"])
    assert logged["status"] == "RETRYING"
    assert logged["attemptLog"][0]["error"].startswith("refused: This server may not call 127.0.0.1")
    outbound_hosts("127.0.0.1")
    await deliveries.run(later=timedelta(hours=1))
    assert len(receiver.requests) == 1

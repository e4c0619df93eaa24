"""The third-party "sms" channel (tests/plugins/pejling-sms-channel) end to end, without any core code knowing it.

A tenant configures the plugin with its gateway; an invitation on the channel is posted, signed, to a fake SMS
gateway (a real HTTP server on 127.0.0.1); the shopper opens the link in the text and answers; the response is
stored with channel "sms" and the channel's details, and the GraphQL responses filter finds it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from pejling.core.plugin_manager import Plugins, load_plugins
from pejling.core.settings import Settings
from pejling.core.surveys.channels import channel_registry
from pejling.core.surveys.invitations import InvitationRefused, send_invitation
from pejling.core.surveys.models import Invitation, Response
from pejling.tenants.models import Role
from pejling.tenants.scope import tenant_scope
from tests.support.tenancy import gql, member, token_for
from tests.surveys.conftest import Shop, make_shop

SECRET = "gateway-secret-" + "s" * 16
RESPONSES = """query($filter: ResponseFilterInput) {
  responses(filter: $filter, first: 10) { edges { node { id channel } } }
}"""


@pytest.fixture
async def plugins(database: Settings) -> Plugins:
    """The installed plugins, loaded as the app loads them. The tenant's enablement is in the database, so the app
    (which loaded its own) sees what is enabled here: each test uses a new tenant, read for the first time."""
    return await load_plugins(database)


@dataclass
class Gateway:
    """A fake SMS gateway: takes ``POST /messages`` signed with the shared secret, answers 202, keeps the texts."""

    url: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    state = Gateway(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            signed = hmac.compare_digest(self.headers.get("X-Signature", ""), expected)
            if self.path != "/messages" or self.headers.get("Content-Type") != "application/json" or not signed:
                state.refused += 1
                self.send_response(401)
            else:
                state.messages.append(json.loads(body))
                self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _submission(shop: Shop, page: dict[str, Any]) -> dict[str, Any]:
    """What the page's script sends, from the page's own data (channel, invitation, zone)."""
    return shop.payload(channel=page["channel"], invitation=page["invitation"], zone_id=page["zone_id"])


def _client_data(html: str) -> dict[str, Any]:
    fields = dict(re.findall(r'name="(channel|invitation|zone_id)" value="([^"]*)"', html))
    return {"channel": fields["channel"], "invitation": fields["invitation"] or None,
            "zone_id": fields.get("zone_id") or None}


async def test_sms_invitation_to_filtered_response(
    plugins: Plugins, client: httpx.AsyncClient, gateway: Gateway
) -> None:
    assert not plugins.loaded["sms"].builtin  # from the entry point of the test package, like any third party
    shop = await make_shop()
    await plugins.enable_plugin(shop.tenant.id, "sms", {"gateway_url": gateway.url, "secret": SECRET})
    channels = await channel_registry(plugins).for_tenant(shop.tenant.id)
    with tenant_scope(shop.tenant.id):
        invitation = await send_invitation(channels, shop.store, zone=shop.zone, channel="sms",
                                           recipient="+4791234567", language="nb", base_url="http://testserver")

    [message] = gateway.messages
    assert message["to"] == "+4791234567" and message["from"] == "Pejling"
    assert message["text"].startswith("Main street: Hvordan var besøket?")
    link = re.search(r"http://testserver/i/[A-Za-z0-9_-]+\S*", message["text"])
    assert link is not None
    parts = urlsplit(link.group(0))

    page = await client.get(parts.path + "?" + parts.query)
    assert page.status_code == 200
    data = _client_data(page.text)
    assert data["channel"] == "sms" and data["invitation"] and data["zone_id"] == str(shop.zone.id)
    payload = _submission(shop, data)
    reply = await client.post(f"/s/{shop.tenant.slug}/{shop.store.slug}/responses", json=payload)
    assert reply.status_code == 201, reply.text

    with tenant_scope(shop.tenant.id):
        stored = await Response.get(id=payload["id"])
        used = await Invitation.get(id=invitation.id)
    assert stored.channel == "sms" and stored.invitation_id == invitation.id and used.used_at is not None
    assert stored.channel_details == {"invited": True, "sender": "Pejling"}
    assert stored.zone_id == shop.zone.id

    owner = await member(shop.tenant, Role.OWNER)
    headers = {"Authorization": f"Bearer {await token_for(shop.tenant, owner)}"}
    found = await gql(client, RESPONSES, {"filter": {"channels": ["sms"]}}, headers)
    assert [e["node"]["channel"] for e in found["data"]["responses"]["edges"]] == ["sms"]
    qr_only = await gql(client, RESPONSES, {"filter": {"channels": ["qr"]}}, headers)
    assert qr_only["data"]["responses"]["edges"] == []


async def test_sms_invitations_are_refused_where_the_tenant_did_not_enable_it(
    plugins: Plugins, client: httpx.AsyncClient, gateway: Gateway
) -> None:
    shop = await make_shop()
    channels = await channel_registry(plugins).for_tenant(shop.tenant.id)
    assert channels.get("sms") is None and channels.get("qr") is not None  # third party off, built-ins on
    with tenant_scope(shop.tenant.id), pytest.raises(InvitationRefused) as refused:
        await send_invitation(channels, shop.store, channel="sms", recipient="+4791234567", language="en",
                              base_url="http://testserver")
    assert refused.value.code == "channel_not_enabled" and gateway.messages == []

    # A shopper who answers anyway (a page loaded before the tenant switched SMS off) loses nothing: stored, marked.
    reply = await client.post(f"/s/{shop.tenant.slug}/{shop.store.slug}/responses", json=shop.payload(channel="sms"))
    assert reply.status_code == 201, reply.text
    page = await client.get(f"/s/{shop.tenant.slug}/{shop.store.slug}?ch=sms")
    assert 'name="channel" value="qr"' in page.text  # the page does not offer a channel the tenant cannot use
    with tenant_scope(shop.tenant.id):
        stored = await Response.filter(store_id=shop.store.id)
    assert [(r.channel, r.channel_details) for r in stored] == [("sms", {"channel_enabled": False})]


async def test_an_sms_the_gateway_refuses_leaves_no_invitation(plugins: Plugins, gateway: Gateway) -> None:
    shop = await make_shop()
    with pytest.raises(Exception, match="secret"):
        await plugins.enable_plugin(shop.tenant.id, "sms", {"gateway_url": gateway.url, "secret": "short"})
    await plugins.enable_plugin(shop.tenant.id, "sms", {"gateway_url": gateway.url, "secret": "wrong-" + SECRET})
    channels = await channel_registry(plugins).for_tenant(shop.tenant.id)
    with tenant_scope(shop.tenant.id):
        with pytest.raises(InvitationRefused) as refused:
            await send_invitation(channels, shop.store, channel="sms", recipient="+4791234567", language="en",
                                  base_url="http://testserver")
        assert await Invitation.filter(store_id=shop.store.id).count() == 0
    assert refused.value.code == "not_delivered" and gateway.refused == 1 and gateway.messages == []

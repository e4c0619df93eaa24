"""Vipps MobilePay end to end: signed ePayment webhooks → events applied in order on the job queue → one survey link
per captured purchase → a response through it marked as a verified visit (keyed to the payment, not the person)."""

from __future__ import annotations

import json
import logging
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from pejling.core.jobs.models import Job
from pejling.core.jobs.worker import Worker
from pejling.core.plugin_manager import PluginConfigInvalid
from pejling.core.settings import Settings
from pejling.core.surveys.models import Response
from pejling.graphql.relay_ids import decode_id
from pejling.plugins.vipps.models import VippsEvent, VippsPayment
from pejling.plugins.vipps.payments import APPLY_JOB
from pejling.plugins.vipps.signatures import signed_headers
from pejling.tenants.models import Role
from pejling.tenants.plugin_settings import PluginSetting
from pejling.tenants.scope import all_tenants, tenant_scope
from tests.support.tenancy import gql, member, token_for
from tests.surveys.conftest import Shop, make_shop
from tests.surveys.test_model_questions import _app_plugins

SECRET = "vipps-webhook-secret-" + secrets.token_urlsafe(24)
MSN = "123456"
RESPONSE = """query($id: ID!) { node(id: $id) { ... on Response { channel verifiedVisit channelDetails } } }"""
RESPONSES = """query { responses(first: 10) { edges { node { id channel verifiedVisit } } } }"""
FILTERED = """query($v: Boolean) { responses(first: 10, filter: {verifiedVisit: $v}) { edges { node { id } } } }"""


class Vipps:
    """The Vipps side of one tenant's webhook: signs each event as the Webhooks API does and posts it."""

    def __init__(self, client: httpx.AsyncClient, webhook_id: str, secret: str = SECRET) -> None:
        self.client = client
        self.path = f"/webhooks/vipps/{webhook_id}"
        self.secret = secret
        self.start = datetime.now(UTC) - timedelta(minutes=2)

    def event(self, name: str, reference: str, *, second: int = 0, msn: str = MSN) -> dict[str, Any]:
        """An ePayment webhook event as Vipps documents it (no shopper data in it)."""
        return {"msn": msn, "reference": reference, "pspReference": f"psp-{reference}-{name.lower()}",
                "name": name, "amount": {"currency": "NOK", "value": 24900},
                "timestamp": (self.start + timedelta(seconds=second)).isoformat().replace("+00:00", "Z"),
                "idempotencyKey": f"idem-{reference}-{name}", "success": True}

    async def send(self, event: dict[str, Any], *, secret: str | None = None, body: bytes | None = None,
                   now: datetime | None = None, **changes: str) -> httpx.Response:
        raw = json.dumps(event).encode()
        headers = signed_headers(secret or self.secret, self.path, "testserver", raw, now=now)
        headers.update(changes)
        return await self.client.post(self.path, content=body if body is not None else raw,
                                      headers={**headers, "content-type": "application/json"})


async def configured_shop(app: Any, **settings: Any) -> tuple[Shop, Vipps, httpx.AsyncClient]:
    shop = await make_shop()
    webhook_id = secrets.token_urlsafe(18)
    config = {"webhook_id": webhook_id, "webhook_secret": SECRET, "sales_units": {MSN: "main"}, **settings}
    await _app_plugins(app).enable_plugin(shop.tenant.id, "vipps", config)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    return shop, Vipps(client, webhook_id), client


async def run_jobs(settings: Settings) -> None:
    worker = Worker(settings, kinds=[APPLY_JOB], concurrency=1)
    for _ in range(20):
        if not await worker.run_once():
            break


async def rows(shop: Shop) -> tuple[list[VippsPayment], list[VippsEvent]]:
    with tenant_scope(shop.tenant.id):
        return await VippsPayment.all(), await VippsEvent.all()


async def test_a_capture_gives_one_survey_link_and_a_verified_response(app: Any, database: Settings) -> None:
    shop, vipps, client = await configured_shop(app)
    async with client:
        for second, name in enumerate(("CREATED", "AUTHORIZED", "CAPTURED")):
            reply = await vipps.send(vipps.event(name, "order-1001", second=second))
            assert reply.status_code == 200 and reply.json() == {"status": "accepted"}, reply.text
        headers = {"Authorization": f"Bearer {await token_for(shop.tenant, await member(shop.tenant, Role.OWNER))}"}
        before = await client.get("/plugins/vipps/payments/order-1001", headers=headers)
        assert before.status_code == 200 and before.json()["survey_url"] is None  # not applied yet
        await run_jobs(database)

        [payment], events = await rows(shop)
        assert payment.state == "CAPTURED" and payment.link_token and len(events) == 3
        assert all(e.applied_at is not None for e in events)
        link = await client.get("/plugins/vipps/payments/order-1001", headers=headers)
        assert link.status_code == 200
        assert link.json()["state"] == "CAPTURED" and link.json()["answered"] is False
        url = urlsplit(link.json()["survey_url"])
        assert url.path == f"/s/{shop.tenant.slug}/main"
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        assert params == {"ch": "vipps", "vp": payment.link_token}
        assert (await client.get(f"{url.path}?{url.query}")).status_code == 200
        assert (await client.get("/plugins/vipps/payments/order-9999", headers=headers)).status_code == 404

        first = shop.payload(channel="vipps", channel_params={"vp": params["vp"]}, zone_id=None)
        reply = await client.post(f"/s/{shop.tenant.slug}/main/responses", json=first)
        assert reply.status_code == 201, reply.text
        again = shop.payload(channel="vipps", channel_params={"vp": params["vp"]}, zone_id=None)
        assert (await client.post(f"/s/{shop.tenant.slug}/main/responses", json=again)).status_code == 201
        with tenant_scope(shop.tenant.id):
            stored = await Response.get(id=first["id"])
            second_use = await Response.get(id=again["id"])
        assert stored.channel == "vipps"
        assert stored.channel_details == {"verified_visit": True, "payment_reference": "order-1001"}
        assert second_use.channel_details == {"verified_visit": False, "link_used": True}

        found = await gql(client, RESPONSES, {}, headers)
        verified = {e["node"]["verifiedVisit"] for e in found["data"]["responses"]["edges"]}
        assert len(found["data"]["responses"]["edges"]) == 2 and verified == {True, False}
        assert stored.verified_visit is True and second_use.verified_visit is False
        for wanted, expected in ((True, first["id"]), (False, again["id"])):
            only = await gql(client, FILTERED, {"v": wanted}, headers)
            assert [decode_id(e["node"]["id"], "Response") for e in only["data"]["responses"]["edges"]] == [
                uuid.UUID(expected)], wanted
        assert (await client.get("/plugins/vipps/payments/order-1001", headers=headers)).json()["answered"] is True

    with all_tenants():
        setting = await PluginSetting.get(tenant_id=shop.tenant.id, plugin="vipps")
    assert SECRET not in json.dumps(setting.config)  # sealed at rest


@pytest.mark.parametrize("forgery", ["signature", "content_hash", "body", "stale", "future", "missing"])
async def test_a_forged_or_stale_webhook_is_refused_and_changes_nothing(
    app: Any, database: Settings, forgery: str
) -> None:
    shop, vipps, client = await configured_shop(app)
    event = vipps.event("CAPTURED", "order-2001")
    async with client:
        if forgery == "signature":
            reply = await vipps.send(event, secret="another-secret-of-enough-length")
        elif forgery == "content_hash":
            reply = await vipps.send(event, **{"x-ms-content-sha256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="})
        elif forgery == "body":
            reply = await vipps.send(event, body=json.dumps({**event, "msn": "654321"}).encode())
        elif forgery == "stale":
            reply = await vipps.send(event, now=datetime.now(UTC) - timedelta(minutes=6))
        elif forgery == "future":
            reply = await vipps.send(event, now=datetime.now(UTC) + timedelta(minutes=6))
        else:
            reply = await vipps.send(event, authorization="")
    assert reply.status_code == 401 and reply.json() == {"error": "unauthorized"}
    assert await rows(shop) == ([], [])
    with all_tenants():
        assert not await Job.filter(kind=APPLY_JOB, tenant_id=shop.tenant.id).exists()


async def test_a_replayed_event_is_a_no_op(app: Any, database: Settings) -> None:
    shop, vipps, client = await configured_shop(app)
    event = vipps.event("CAPTURED", "order-3001")
    async with client:
        assert (await vipps.send(event)).json() == {"status": "accepted"}
        await run_jobs(database)
        [payment], _ = await rows(shop)
        replay = await vipps.send(event)
        await run_jobs(database)
    assert replay.status_code == 200 and replay.json() == {"status": "duplicate"}
    [after], events = await rows(shop)
    assert len(events) == 1 and after.link_token == payment.link_token
    with all_tenants():
        assert await Job.filter(kind=APPLY_JOB, tenant_id=shop.tenant.id).count() == 1


async def test_out_of_order_events_of_one_payment_end_in_the_right_state(app: Any, database: Settings) -> None:
    shop, vipps, client = await configured_shop(app)
    async with client:
        # The capture arrives first (an earlier delivery was retried): the link is made once, the state stays right.
        assert (await vipps.send(vipps.event("CAPTURED", "order-4001", second=2))).status_code == 200
        await run_jobs(database)
        [payment], _ = await rows(shop)
        token = payment.link_token
        assert payment.state == "CAPTURED" and token
        for name, second in (("AUTHORIZED", 1), ("CREATED", 0)):
            assert (await vipps.send(vipps.event(name, "order-4001", second=second))).status_code == 200
        await run_jobs(database)
        [payment], _ = await rows(shop)
        assert payment.state == "CAPTURED" and payment.link_token == token
        # A later refund is the newest state; the purchase's link stays.
        assert (await vipps.send(vipps.event("REFUNDED", "order-4001", second=30))).status_code == 200
        # Events of another payment that arrive authorised-after-cancelled end cancelled, with no link.
        assert (await vipps.send(vipps.event("CANCELLED", "order-4002", second=5))).status_code == 200
        assert (await vipps.send(vipps.event("AUTHORIZED", "order-4002", second=1))).status_code == 200
        await run_jobs(database)
    payments, events = await rows(shop)
    state = {p.reference: (p.state, p.link_token) for p in payments}
    assert state == {"order-4001": ("REFUNDED", token), "order-4002": ("CANCELLED", None)}
    assert len(events) == 6 and all(e.applied_at is not None for e in events)


async def test_an_unmapped_sales_unit_is_ignored_with_a_log_line(
    app: Any, database: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    shop, vipps, client = await configured_shop(app)
    with caplog.at_level(logging.INFO, logger="pejling.plugins.vipps"):
        async with client:
            reply = await vipps.send(vipps.event("CAPTURED", "order-5001", msn="999999"))
    assert reply.status_code == 200 and reply.json() == {"status": "ignored"}
    assert await rows(shop) == ([], [])
    [line] = [r.getMessage() for r in caplog.records if r.name.startswith("pejling.plugins.vipps")]
    assert "999999" in line and str(shop.tenant.id) in line
    assert "order-5001" not in line and "psp-" not in line and SECRET not in line


async def test_an_unknown_webhook_and_bad_settings_are_refused(app: Any, database: Settings) -> None:
    shop, vipps, client = await configured_shop(app)
    async with client:
        stranger = Vipps(client, secrets.token_urlsafe(18))
        assert (await stranger.send(stranger.event("CAPTURED", "order-6001"))).status_code == 404
        not_json = await vipps.send({}, body=b"")
        assert not_json.status_code == 401  # the content hash of the empty body is not the one signed
        bad = json.dumps({"name": "CAPTURED"}).encode()
        headers = signed_headers(SECRET, vipps.path, "testserver", bad)
        assert (await client.post(vipps.path, content=bad, headers=headers)).status_code == 400
    assert await rows(shop) == ([], [])

    plugins = _app_plugins(app)
    with pytest.raises(PluginConfigInvalid) as short:
        await plugins.enable_plugin(shop.tenant.id, "vipps", {"webhook_id": "x" * 20, "webhook_secret": "short"})
    assert [p.field for p in short.value.problems] == ["webhook_secret"]
    with all_tenants():
        sealed = (await PluginSetting.get(tenant_id=shop.tenant.id, plugin="vipps")).config["webhook_secret"]
    other = await make_shop()
    with pytest.raises(PluginConfigInvalid):  # a sealed secret does not open under another webhook id
        await plugins.enable_plugin(other.tenant.id, "vipps",
                                    {"webhook_id": uuid.uuid4().hex, "webhook_secret": sealed})


async def test_a_purchase_link_verifies_only_at_its_own_tenant_and_store(app: Any, database: Settings) -> None:
    shop, vipps, client = await configured_shop(app)
    other, _, other_client = await configured_shop(app)
    async with client, other_client:
        assert (await vipps.send(vipps.event("CAPTURED", "order-7001"))).status_code == 200
        await run_jobs(database)
        [payment], _ = await rows(shop)
        token = payment.link_token
        assert token
        elsewhere = other.payload(channel="vipps", channel_params={"vp": token}, zone_id=None)
        assert (await client.post(f"/s/{other.tenant.slug}/main/responses", json=elsewhere)).status_code == 201
        harbour = shop.payload(channel="vipps", channel_params={"vp": token}, zone_id=None)
        assert (await client.post(f"/s/{shop.tenant.slug}/harbour/responses", json=harbour)).status_code == 201
    with tenant_scope(other.tenant.id):
        assert (await Response.get(id=elsewhere["id"])).channel_details == {"verified_visit": False}
    with tenant_scope(shop.tenant.id):
        assert (await Response.get(id=harbour["id"])).channel_details == {"verified_visit": False}
        assert (await VippsPayment.get(id=payment.id)).response_id is None  # the link is still the purchaser's

"""End to end: a shopper's response or an opened follow-up becomes a signed delivery to a real local receiver,
retried with back-off, visible in the delivery log, and sent again on request."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from pejling.core.followups.models import AlertRule, FollowUp, RuleKind
from pejling.core.followups.notices import FollowUpNotice
from pejling.core.followups.notifications import NOTIFY_JOB
from pejling.core.followups.status_changes import STATUS_CHANGED_JOB
from pejling.core.jobs.models import Job
from pejling.core.jobs.worker import Worker
from pejling.graphql.relay_ids import decode_id, encode_id
from pejling.plugins import webhooks
from pejling.plugins.webhooks.events import DELIVER_JOB
from pejling.plugins.webhooks.models import WebhookDelivery, WebhookEndpoint
from pejling.tenants.scope import tenant_scope
from tests.followups.conftest import Chain
from tests.support.tenancy import gql
from tests.webhooks.conftest import Deliveries, Receiver, create_endpoint, delivery_log, verified

pytestmark = pytest.mark.usefixtures("allow_private")

SHOPPER_EMAIL = "shopper-who-consented@example.com"


async def test_a_submitted_response_leads_to_exactly_one_signed_delivery(
    api: httpx.AsyncClient, chain: Chain, receiver: Receiver, deliveries: Deliveries
) -> None:
    made = await create_endpoint(api, chain.owner.headers, receiver.url + "/hooks/pejling")
    assert made["errors"] == [] and made["secret"].startswith("whsec_"), made
    response_id = await chain.submit(outcome=9, comment="Quick checkout", consent_email=SHOPPER_EMAIL)

    assert await deliveries.run() == 1
    await deliveries.run(later=timedelta(days=1))
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    event = verified(made["secret"], request)
    assert event["type"] == "response.created" and request.headers["Pejling-Event-Type"] == "response.created"
    assert event["id"] == request.headers["Pejling-Event-Id"]
    assert event["tenant_id"] == str(chain.tenant.id)
    assert event["data"]["response"]["id"] == response_id
    assert event["data"]["response"]["store_id"] == str(chain.store.id)
    assert event["data"]["response"]["comment"] == "Quick checkout"
    assert SHOPPER_EMAIL not in request.body.decode() and "email" not in request.body.decode()

    [logged] = await delivery_log(api, chain.owner.headers, made["endpoint"]["id"])
    assert logged["eventId"] == event["id"] and logged["eventType"] == "RESPONSE_CREATED"
    assert (logged["status"], logged["attempts"], logged["lastResponseCode"]) == ("DELIVERED", 1, 200)
    assert logged["nextRetryAt"] is None and logged["deliveredAt"] is not None
    [attempt] = logged["attemptLog"]
    assert attempt["succeeded"] and attempt["responseCode"] == 200
    assert attempt["responseExcerpt"].startswith("ok xxx") and len(attempt["responseExcerpt"]) == 200


async def test_a_failing_receiver_gets_a_retry_and_the_log_shows_both_attempts(
    api: httpx.AsyncClient, chain: Chain, receiver: Receiver, deliveries: Deliveries
) -> None:
    made = await create_endpoint(api, chain.owner.headers, receiver.url + "/hook")
    receiver.answers = [500, 200]
    await chain.submit()

    assert await deliveries.run() == 1
    [first] = await delivery_log(api, chain.owner.headers, made["endpoint"]["id"])
    assert (first["status"], first["attempts"], first["lastResponseCode"]) == ("RETRYING", 1, 500)
    next_retry = datetime.fromisoformat(first["nextRetryAt"])
    # The first back-off is 30 s ± 10 %, not sooner: a run a few seconds on finds nothing due.
    assert timedelta(seconds=26) <= next_retry - datetime.now(UTC) <= timedelta(seconds=34)
    assert await deliveries.run(later=timedelta(seconds=5)) == 0
    assert len(receiver.requests) == 1

    assert await deliveries.run(later=timedelta(minutes=1)) == 1
    [done] = await delivery_log(api, chain.owner.headers, made["endpoint"]["id"])
    assert (done["status"], done["attempts"], done["lastResponseCode"]) == ("DELIVERED", 2, 200)
    assert [(a["number"], a["responseCode"], a["succeeded"]) for a in done["attemptLog"]] == [
        (1, 500, False), (2, 200, True)]
    assert done["attemptLog"][0]["responseExcerpt"].startswith("broken")
    events = [verified(made["secret"], r) for r in receiver.requests]
    assert len(events) == 2 and events[0] == events[1], "a retry sends the same event, signed afresh"


async def test_delivery_gives_up_after_the_last_attempt(
    api: httpx.AsyncClient, chain: Chain, receiver: Receiver, deliveries: Deliveries, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEJLING_WEBHOOKS_MAX_ATTEMPTS", "2")
    made = await create_endpoint(api, chain.owner.headers, receiver.url + "/hook")
    receiver.answers = [503, 302, 200]
    await chain.submit()
    await deliveries.run()
    await deliveries.run(later=timedelta(hours=2))
    await deliveries.run(later=timedelta(hours=4))
    [failed] = await delivery_log(api, chain.owner.headers, made["endpoint"]["id"])
    # The redirect is an answer like any other non-2xx: not followed, not delivered.
    assert len(receiver.requests) == 2
    assert (failed["status"], failed["attempts"], failed["lastResponseCode"]) == ("FAILED", 2, 302)
    assert failed["nextRetryAt"] is None

    again = await gql(api, "mutation($d: ID!) { redeliverWebhook(delivery: $d) { delivery { status } "
                      "errors { code } } }", {"d": failed["id"]}, chain.owner.headers)
    assert again["data"]["redeliverWebhook"] == {"delivery": {"status": "PENDING"}, "errors": []}
    assert await deliveries.run() == 1
    [redelivered] = await delivery_log(api, chain.owner.headers, made["endpoint"]["id"])
    assert (redelivered["status"], redelivered["attempts"]) == ("DELIVERED", 3)
    assert len(receiver.requests) == 3
    assert verified(made["secret"], receiver.requests[2]) == verified(made["secret"], receiver.requests[0])


async def test_an_opened_follow_up_is_delivered_without_the_staff_addresses(
    api: httpx.AsyncClient, chain: Chain, receiver: Receiver, deliveries: Deliveries
) -> None:
    made = await create_endpoint(api, chain.owner.headers, receiver.url + "/hook", ["FOLLOWUP_OPENED"])
    await chain.submit()  # a response.created event, which this endpoint did not subscribe to
    notice = FollowUpNotice(
        id=chain.store.id, tenant_id=chain.tenant.id, store_id=chain.store.id, store_name="Main street",
        rule_kind="outcome_at_most", rule_name="Low scores", reason="outcome 2 (alert at 3 or lower)",
        opened_at=datetime.now(UTC), language="da", title="Lav bedømmelse: 2 af 10",
        url="https://pejling.test/portal/follow-ups/x", details={"outcome": 2, "threshold": 3},
        recipients=("store-manager@example.com",),
    )
    await webhooks.follow_up_opened(tenant_id=chain.tenant.id, follow_up=notice)
    await deliveries.run()
    [request] = receiver.requests
    event = verified(made["secret"], request)
    assert event["type"] == "followup.opened"
    assert event["data"]["follow_up"]["reason"] == "outcome 2 (alert at 3 or lower)"
    assert event["data"]["follow_up"]["details"] == {"outcome": 2, "threshold": 3}
    assert "store-manager@example.com" not in request.body.decode()


async def test_a_secret_never_appears_in_logs_jobs_or_answers_after_creation(
    api: httpx.AsyncClient, chain: Chain, receiver: Receiver, deliveries: Deliveries, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    made = await create_endpoint(api, chain.owner.headers, receiver.url + "/hook")
    secret = made["secret"]
    receiver.answers = [500]
    await chain.submit()
    await deliveries.run()
    await deliveries.run(later=timedelta(hours=1))
    listed = await gql(api, "{ webhookEndpoints { id url secretFingerprint } }", None, chain.owner.headers)
    log = await delivery_log(api, chain.owner.headers, made["endpoint"]["id"])
    rotated = await gql(api, "mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint "
                        "{ secretFingerprint } errors { code } } }", {"id": made["endpoint"]["id"]},
                        chain.owner.headers)
    new_secret = rotated["data"]["rotateWebhookSecret"]["secret"]
    assert new_secret.startswith("whsec_") and new_secret != secret
    assert rotated["data"]["rotateWebhookSecret"]["endpoint"]["secretFingerprint"] != \
        made["endpoint"]["secretFingerprint"]

    jobs = [j.payload for j in await Job.filter(kind=DELIVER_JOB)]
    with tenant_scope(chain.tenant.id):
        endpoint = await WebhookEndpoint.get()
        stored = [endpoint.secret_sealed, endpoint.url, *(d.body for d in await WebhookDelivery.all())]
    for text in (caplog.text, str(listed), str(log), str(jobs), str(stored)):
        assert secret not in text and new_secret not in text
    assert len(receiver.requests) == 2

    # Deliveries after the rotation verify with the new secret only.
    await chain.submit()
    await deliveries.run()
    verified(new_secret, receiver.requests[-1])
    with pytest.raises(AssertionError):
        verified(secret, receiver.requests[-1])


ROTATE = ("mutation($id: ID!, $h: Int!) { rotateWebhookSecret(id: $id, keepOldHours: $h) { secret endpoint "
          "{ oldSecretSignsUntil } errors { code field } } }")


async def test_a_rotation_with_a_grace_period_signs_with_both_secrets_until_it_ends(
    api: httpx.AsyncClient, chain: Chain, receiver: Receiver, deliveries: Deliveries
) -> None:
    made = await create_endpoint(api, chain.owner.headers, receiver.url + "/hook")
    old, endpoint_id = made["secret"], made["endpoint"]["id"]
    for hours in (-1, 73):
        refused = (await gql(api, ROTATE, {"id": endpoint_id, "h": hours}, chain.owner.headers))["data"]
        assert refused["rotateWebhookSecret"]["errors"] == [{"code": "invalid", "field": "keepOldHours"}]
        assert refused["rotateWebhookSecret"]["secret"] is None
    rotated = (await gql(api, ROTATE, {"id": endpoint_id, "h": 24}, chain.owner.headers))["data"]["rotateWebhookSecret"]
    new = rotated["secret"]
    assert rotated["errors"] == [] and rotated["endpoint"]["oldSecretSignsUntil"] is not None

    # During the grace period a receiver still on the old secret and one already on the new both accept.
    await chain.submit()
    await deliveries.run()
    verified(old, receiver.requests[-1])
    verified(new, receiver.requests[-1])

    # After it, the old secret signs nothing.
    with tenant_scope(chain.tenant.id):
        await WebhookEndpoint.filter(id=decode_id(endpoint_id, "WebhookEndpoint")).update(
            previous_secret_until=datetime.now(UTC) - timedelta(seconds=1))
    await chain.submit()
    await deliveries.run()
    verified(new, receiver.requests[-1])
    with pytest.raises(AssertionError):
        verified(old, receiver.requests[-1])

    # A rotation without grace ends the old one's (and the one before's) at once.
    again = (await gql(api, ROTATE, {"id": endpoint_id, "h": 0}, chain.owner.headers))["data"]["rotateWebhookSecret"]
    assert again["endpoint"]["oldSecretSignsUntil"] is None
    await chain.submit()
    await deliveries.run()
    verified(again["secret"], receiver.requests[-1])
    for earlier in (old, new):
        with pytest.raises(AssertionError):
            verified(earlier, receiver.requests[-1])


async def test_an_endpoint_switched_off_or_removed_receives_nothing(
    api: httpx.AsyncClient, chain: Chain, receiver: Receiver, deliveries: Deliveries
) -> None:
    made = await create_endpoint(api, chain.owner.headers, receiver.url + "/hook")
    endpoint_id = made["endpoint"]["id"]
    off = await gql(api, "mutation($i: WebhookEndpointUpdate!) { updateWebhookEndpoint(input: $i) { endpoint "
                    "{ enabled events } errors { code } } }", {"i": {"id": endpoint_id, "enabled": False}},
                    chain.owner.headers)
    assert off["data"]["updateWebhookEndpoint"] == {"endpoint": {"enabled": False, "events": ["RESPONSE_CREATED"]},
                                                    "errors": []}
    await chain.submit()
    await deliveries.run()
    assert receiver.requests == [] and await delivery_log(api, chain.owner.headers, endpoint_id) == []

    gone = await gql(api, "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { deletedId errors { code } } }",
                     {"id": endpoint_id}, chain.owner.headers)
    assert gone["data"]["deleteWebhookEndpoint"] == {"deletedId": endpoint_id, "errors": []}
    listed = await gql(api, "{ webhookEndpoints { id } }", None, chain.owner.headers)
    assert listed["data"]["webhookEndpoints"] == []


async def test_members_who_are_not_admins_cannot_see_or_register_webhooks(
    api: httpx.AsyncClient, chain: Chain, receiver: Receiver
) -> None:
    made = await create_endpoint(api, chain.analyst.headers, receiver.url + "/hook")
    assert [e["code"] for e in made["errors"]] == ["forbidden"] and made["endpoint"] is None
    seen = await gql(api, "{ webhookEndpoints { id } }", None, chain.manager.headers)
    assert seen["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    with tenant_scope(chain.tenant.id):
        assert await WebhookEndpoint.all().count() == 0


def _has(body: dict[str, Any], code: str, field: str) -> bool:
    errors = body["data"]["createWebhookEndpoint"]["errors"]
    return [(e["code"], e["field"]) for e in errors] == [(code, field)]


async def test_bad_input_is_a_typed_error_and_changes_nothing(
    api: httpx.AsyncClient, chain: Chain, receiver: Receiver
) -> None:
    mutation = ("mutation($input: WebhookEndpointInput!) { createWebhookEndpoint(input: $input) "
                "{ endpoint { id } secret errors { code field } } }")
    for url, field in (("not a url", "url"), ("ftp://example.com/x", "url"), (receiver.url + "/x#f", "url"),
                       ("http://user:pw@127.0.0.1/x", "url"), ("https://no-such-host.invalid/x", "url")):
        body = await gql(api, mutation, {"input": {"url": url, "events": ["RESPONSE_CREATED"]}}, chain.owner.headers)
        assert _has(body, "invalid", field), (url, body)
    body = await gql(api, mutation, {"input": {"url": receiver.url, "events": []}}, chain.owner.headers)
    assert _has(body, "invalid", "events")
    body = await gql(api, mutation, {"input": {"url": receiver.url, "events": ["RESPONSE_CREATED"],
                                               "description": "x" * 201}}, chain.owner.headers)
    assert _has(body, "invalid", "description")
    with tenant_scope(chain.tenant.id):
        assert await WebhookEndpoint.all().count() == 0


async def test_a_follow_up_opened_by_a_rule_and_then_acknowledged_reaches_the_endpoint_twice(
    api: httpx.AsyncClient, chain: Chain, receiver: Receiver, deliveries: Deliveries
) -> None:
    made = await create_endpoint(api, chain.owner.headers, receiver.url + "/hook",
                                 ["FOLLOWUP_OPENED", "FOLLOWUP_UPDATED"])
    with tenant_scope(chain.tenant.id):
        await AlertRule.create(name="Very low", kind=RuleKind.OUTCOME_AT_MOST, threshold=2, notify_roles=[])
    await chain.submit(outcome=1)
    # The closed loop's own jobs, with the built-in plugins the worker loads (as ``pejling worker`` does).
    closed_loop = Worker(deliveries.settings, kinds=[NOTIFY_JOB, STATUS_CHANGED_JOB])
    while await closed_loop.run_once():
        pass
    with tenant_scope(chain.tenant.id):
        follow_up = await FollowUp.get()
    acknowledged = await gql(api, "mutation($id: ID!) { acknowledgeFollowUp(id: $id) { errors { code } } }",
                             {"id": encode_id("FollowUp", follow_up.id)}, chain.owner.headers)
    assert acknowledged["data"]["acknowledgeFollowUp"]["errors"] == []
    while await closed_loop.run_once():
        pass
    await deliveries.run()

    # Deliveries run concurrently, so they may arrive in either order (integrators order by the event's time).
    received = {event["type"]: event for event in (verified(made["secret"], r) for r in receiver.requests)}
    assert sorted(received) == ["followup.opened", "followup.updated"] and len(receiver.requests) == 2
    opened, updated = received["followup.opened"], received["followup.updated"]
    assert opened["data"]["follow_up"]["id"] == updated["data"]["follow_up"]["id"] == str(follow_up.id)
    assert opened["data"]["follow_up"]["status"] == "open"
    assert updated["data"]["follow_up"]["status"] == "acknowledged" and updated["data"]["previous_status"] == "open"
    assert opened["id"] != updated["id"]


async def test_a_tenant_that_switched_the_plugin_off_registers_nothing_and_gets_nothing(
    api: httpx.AsyncClient, chain: Chain, receiver: Receiver, deliveries: Deliveries
) -> None:
    made = await create_endpoint(api, chain.owner.headers, receiver.url + "/hook")
    off = await gql(api, 'mutation { disablePlugin(name: "webhooks") { errors { code } } }', None, chain.owner.headers)
    assert off["data"]["disablePlugin"]["errors"] == []
    refused = await create_endpoint(api, chain.owner.headers, receiver.url + "/other")
    assert [e["code"] for e in refused["errors"]] == ["forbidden"] and refused["endpoint"] is None
    await chain.submit()
    await deliveries.run()
    assert receiver.requests == []
    assert await delivery_log(api, chain.owner.headers, made["endpoint"]["id"]) == []


async def test_an_answer_with_control_characters_is_kept_as_printable_text(
    api: httpx.AsyncClient, chain: Chain, receiver: Receiver, deliveries: Deliveries
) -> None:
    made = await create_endpoint(api, chain.owner.headers, receiver.url + "/hook")
    receiver.answers, receiver.body = [500], b"bad\x00gate\x1bway \xff"
    await chain.submit()
    await deliveries.run()
    [logged] = await delivery_log(api, chain.owner.headers, made["endpoint"]["id"])
    assert logged["attemptLog"][0]["responseExcerpt"] == "bad\ufffdgate\ufffdway \ufffd"
    assert logged["status"] == "RETRYING"

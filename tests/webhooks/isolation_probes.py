"""Cross-tenant probes for the webhook root fields, in the shape of ``tests/graphql/test_tenant_isolation.py``.

A registers an endpoint (its secret and URL only A knows) with one delivery; whatever ``w.b`` reads or changes,
A's endpoint, secret and log stay A's.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from pejling.graphql.relay_ids import encode_id
from pejling.plugins.webhooks.endpoints import create_endpoint
from pejling.plugins.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from pejling.tenants.scope import tenant_scope

Probe = Callable[[Any], Awaitable[None]]
A_URL = "https://93.184.215.14/only-a-knows-this-path"
B_URL = "https://93.184.215.15/b"


async def _seed(w: Any) -> dict[str, str]:
    if "webhook_endpoint" in w.ids:
        return dict(w.ids)
    with tenant_scope(w.a.tenant.id):
        endpoint, secret = await create_endpoint(w.a.tenant.id, A_URL, ["response.created"], "A's CRM")
        delivery = await WebhookDelivery.create(endpoint_id=endpoint.id, event_id=uuid.uuid4(),
                                                event_type="response.created", body='{"only":"a"}',
                                                status=DeliveryStatus.FAILED, attempts=3)
    w.ids.update(webhook_endpoint=encode_id("WebhookEndpoint", endpoint.id),
                 webhook_delivery=encode_id("WebhookDelivery", delivery.id), webhook_secret=secret,
                 webhook_fingerprint=endpoint.secret_fingerprint)
    return dict(w.ids)


async def _a_unchanged(w: Any) -> None:
    ids = await _seed(w)
    with tenant_scope(w.a.tenant.id):
        [endpoint] = await WebhookEndpoint.all()
        [delivery] = await WebhookDelivery.all()
    assert (endpoint.url, endpoint.enabled, endpoint.events) == (A_URL, True, ["response.created"])
    assert endpoint.secret_fingerprint == ids["webhook_fingerprint"]
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)


def _not_found(result: dict[str, Any], field: str) -> None:
    assert [e["code"] for e in result["data"][field]["errors"]] == ["not_found"], result


async def _webhook_endpoints(w: Any) -> None:
    ids = await _seed(w)
    seen = await w.as_b("{ webhookEndpoints { id url description } }")
    assert ids["webhook_endpoint"] not in {e["id"] for e in seen["data"]["webhookEndpoints"]}, seen
    assert A_URL not in str(seen) and "A's CRM" not in str(seen), seen


async def _webhook_deliveries(w: Any) -> None:
    ids = await _seed(w)
    seen = await w.as_b("query($e: ID!) { webhookDeliveries(endpoint: $e) { id } }", e=ids["webhook_endpoint"])
    assert seen["data"]["webhookDeliveries"] == [], seen


async def _create_webhook_endpoint(w: Any) -> None:
    await _seed(w)
    made = await w.as_b("mutation($u: String!) { createWebhookEndpoint(input: {url: $u, events: [RESPONSE_CREATED]})"
                        " { endpoint { url } secret errors { code } } }", u=B_URL)
    payload = made["data"]["createWebhookEndpoint"]
    assert payload["errors"] == [] and payload["endpoint"] == {"url": B_URL}, made
    assert payload["secret"] != w.ids["webhook_secret"]
    await _a_unchanged(w)


async def _update_webhook_endpoint(w: Any) -> None:
    ids = await _seed(w)
    _not_found(await w.as_b("mutation($id: ID!, $u: String!) { updateWebhookEndpoint(input: {id: $id, url: $u, "
                            "enabled: false}) { endpoint { url } errors { code } } }",
                            id=ids["webhook_endpoint"], u=B_URL), "updateWebhookEndpoint")
    await _a_unchanged(w)


async def _rotate_webhook_secret(w: Any) -> None:
    ids = await _seed(w)
    result = await w.as_b("mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret errors { code } } }",
                          id=ids["webhook_endpoint"])
    _not_found(result, "rotateWebhookSecret")
    assert result["data"]["rotateWebhookSecret"]["secret"] is None
    await _a_unchanged(w)


async def _delete_webhook_endpoint(w: Any) -> None:
    ids = await _seed(w)
    _not_found(await w.as_b("mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { errors { code } } }",
                            id=ids["webhook_endpoint"]), "deleteWebhookEndpoint")
    await _a_unchanged(w)


async def _redeliver_webhook(w: Any) -> None:
    ids = await _seed(w)
    _not_found(await w.as_b("mutation($d: ID!) { redeliverWebhook(delivery: $d) { errors { code } } }",
                            d=ids["webhook_delivery"]), "redeliverWebhook")
    await _a_unchanged(w)


WEBHOOK_PROBES: dict[str, Probe] = {
    "webhookEndpoints": _webhook_endpoints, "webhookDeliveries": _webhook_deliveries,
    "createWebhookEndpoint": _create_webhook_endpoint, "updateWebhookEndpoint": _update_webhook_endpoint,
    "rotateWebhookSecret": _rotate_webhook_secret, "deleteWebhookEndpoint": _delete_webhook_endpoint,
    "redeliverWebhook": _redeliver_webhook,
}

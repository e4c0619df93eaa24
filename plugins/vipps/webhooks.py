"""``POST /webhooks/vipps/<webhook id>``: the ePayment events Vipps sends, verified, kept once, applied in order.

The webhook id in the path names one tenant's webhook (:class:`~.settings.VippsSettings`). The request is verified
on its raw body (:mod:`.signatures`) before it is parsed, with the secret of a webhook Pejling registered for a sales
unit (:mod:`.registration`; then the event must be of that sales unit) or the secret the retailer pasted; a
missing, forged or stale signature is ``401`` and changes nothing. An event of a sales unit the tenant has not mapped
to a store is answered ``200`` (so Vipps stops retrying) and ignored, with a log line naming only the tenant and the
sales unit. A replayed event is ``200`` and a no-op.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from uuid import UUID

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pejling.core import security_events
from pejling.core.secrets_at_rest import SealedSecretError, unseal
from pejling.plugins.vipps.models import VippsWebhookRegistration
from pejling.plugins.vipps.payments import EventInvalid, PaymentEventIn, record_event
from pejling.plugins.vipps.settings import VippsSettings, registration_secret_purpose
from pejling.plugins.vipps.signatures import SignatureInvalid, verify
from pejling.tenants.models import Store
from pejling.tenants.plugin_settings import PluginSetting
from pejling.tenants.scope import all_tenants, tenant_scope

log = logging.getLogger(__name__)

PLUGIN = "vipps"
MAX_BODY_BYTES = 64 * 1024


def _refused(status: int, code: str) -> JSONResponse:
    return JSONResponse({"error": code}, status_code=status)


async def _tenant_of(webhook_id: str) -> UUID | None:
    """The one tenant whose Vipps settings name ``webhook_id``, or None (none, or ambiguous)."""
    with all_tenants():
        rows = await PluginSetting.filter(plugin=PLUGIN, enabled=True).only("tenant_id", "config")
    tenants = {row.tenant_id for row in rows
               if isinstance(row.config, dict) and row.config.get("webhook_id") == webhook_id}
    return tenants.pop() if len(tenants) == 1 else None


ANY_SALES_UNIT = ""
"""The sales unit of the secret a retailer pasted (``webhook_secret``): it verifies the events of every one."""


async def _secrets(tenant_id: UUID, settings: VippsSettings) -> list[tuple[str, str]]:
    """The secrets an event of the tenant may be signed with: each registered webhook's (for its sales unit) and
    the pasted one (any sales unit). A secret that does not open with the current keys is logged and skipped."""
    keys: list[tuple[str, str]] = []
    with tenant_scope(tenant_id):
        rows = await VippsWebhookRegistration.all().order_by("msn")
    for row in rows:
        try:
            keys.append((row.msn, unseal(row.secret, purpose=registration_secret_purpose(row.vipps_id))))
        except SealedSecretError:
            log.error("vipps: the registered webhook secret of tenant %s (sales unit %s) does not open", tenant_id,
                      row.msn)
    try:
        pasted = settings.secret()
    except SealedSecretError:
        log.error("vipps: the webhook secret of tenant %s does not open with the current keys", tenant_id)
        pasted = None
    if pasted is not None:
        keys.append((ANY_SALES_UNIT, pasted))
    return keys


async def _read_body(request: Request) -> bytes | None:
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


async def receive_webhook(request: Request) -> JSONResponse:
    """Verify, keep and queue one ePayment webhook event."""
    webhook_id = request.path_params["webhook_id"]
    tenant_id = await _tenant_of(webhook_id)
    enabled = (await request.app.state.plugins.enabled_plugins(tenant_id)).get(PLUGIN) if tenant_id else None
    settings = enabled.settings if enabled is not None else None
    if tenant_id is None or not isinstance(settings, VippsSettings) or settings.webhook_id != webhook_id:
        return _refused(404, "not_found")
    body = await _read_body(request)
    if body is None:
        return _refused(413, "too_large")
    keys = await _secrets(tenant_id, settings)
    if not keys:
        return _refused(404, "not_found")
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    now = datetime.now(UTC)
    signed_for: str | None = None
    failure: SignatureInvalid | None = None
    for msn, secret in keys:
        try:
            verify(secret, path, request.headers, body, now)
        except SignatureInvalid as invalid:
            failure = invalid
            continue
        signed_for = msn
        break
    else:
        log.warning("vipps: webhook for tenant %s refused: %s", tenant_id, failure)
        security_events.refused("webhook_signature", request.scope, "vipps")
        return _refused(401, "unauthorized")
    try:
        event = PaymentEventIn.read(json.loads(body))
    except (ValueError, EventInvalid) as invalid:
        log.warning("vipps: webhook for tenant %s is not an ePayment event: %s", tenant_id, invalid)
        return _refused(400, "invalid_event")
    if signed_for not in (ANY_SALES_UNIT, event.msn):
        log.warning("vipps: webhook for tenant %s refused: signed with the secret of sales unit %s, not %s",
                    tenant_id, signed_for, event.msn)
        return _refused(401, "unauthorized")
    slug = settings.sales_units.get(event.msn)
    with tenant_scope(tenant_id):
        store = await Store.get_or_none(slug=slug) if slug is not None else None
        if store is None:
            log.info("vipps: %s event ignored for tenant %s: sales unit %s is mapped to no store",
                     event.name, tenant_id, event.msn)
            return JSONResponse({"status": "ignored"})
        kept = await record_event(tenant_id, event, store)
    return JSONResponse({"status": "accepted" if kept else "duplicate"})


ROUTES = [Route("/webhooks/vipps/{webhook_id:str}", receive_webhook, methods=["POST"])]

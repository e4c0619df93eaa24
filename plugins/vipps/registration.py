"""Pejling registers the tenant's ePayment webhook with the Vipps Webhooks API when the retailer configures Vipps.

With the API keys in the settings (``api_client_id``, ``api_client_secret``, ``api_subscription_key``), saving the
settings (``enablePlugin``) brings Vipps in line with them, for each sales unit of ``sales_units``, before anything is
stored: a registration Pejling holds that Vipps still lists at the tenant's webhook URL is kept; otherwise the URL is
registered for the ePayment events (:data:`~.vipps_api.EPAYMENT_EVENTS`) and the id and secret Vipps returns are kept
(the secret sealed); a sales unit no longer in the settings has its registration removed. So saving again is how a
registration is repaired (re-registered). Switching the plugin off (``disablePlugin``) removes every registration.

This runs synchronously in the settings mutation, not on the job queue: the retailer learns at once whether their keys
and sales units work, and a refusal stores nothing. Vipps returns a webhook's secret once only, in the answer to the
registration, so a queued retry after a lost answer would register a second webhook (Vipps allows 25 per event and
sales unit). When a later call of the same save fails, the webhooks this save registered are removed again (best
effort) and nothing is stored. Each call is bounded by :data:`~.vipps_api.TIMEOUT_SECONDS`.

Without API keys the plugin calls no Vipps API: the retailer registers the webhook and pastes its secret
(``webhook_secret``), as before.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any
from uuid import UUID

import httpx
from pydantic import BaseModel

from pejling.core.hookspecs import hookimpl
from pejling.core.outbound_http import outbound_client
from pejling.core.plugin_errors import FieldProblem, PluginConfigInvalid, PluginServiceRefused
from pejling.core.secrets_at_rest import seal
from pejling.core.settings import Settings
from pejling.plugins.vipps.login import LoginFailed, check_issuer
from pejling.plugins.vipps.models import VippsWebhookRegistration
from pejling.plugins.vipps.settings import VippsSettings, registration_secret_purpose
from pejling.plugins.vipps.vipps_api import EPAYMENT_EVENTS, TIMEOUT_SECONDS, VippsApi, VippsApiError, base_url
from pejling.tenants.scope import tenant_scope

log = logging.getLogger(__name__)

PLUGIN = "vipps"
WEBHOOK_PATH = "/webhooks/vipps/"


def webhook_url(settings: Settings, webhook_id: str) -> str:
    """The public URL Vipps posts the tenant's events to."""
    return settings.base_url.rstrip("/") + WEBHOOK_PATH + webhook_id


def _apis(http: httpx.AsyncClient, vipps: VippsSettings) -> dict[str, VippsApi]:
    client_id, client_secret, subscription_key = vipps.api_keys()
    base = base_url(vipps.api_test)
    return {msn: VippsApi(http, base, client_id, client_secret, subscription_key, msn) for msn in vipps.sales_units}


def _refused(error: VippsApiError) -> PluginServiceRefused:
    return PluginServiceRefused(PLUGIN, error.message, error.field)


async def register_webhooks(settings: Settings, tenant_id: UUID, vipps: VippsSettings) -> str:
    """Bring the tenant's registrations at Vipps in line with ``vipps``; the webhook path id to store.

    Raises :class:`PluginServiceRefused` when Vipps refuses or cannot be reached; then no registration row changed
    and the webhooks registered by this call were removed at Vipps again.
    """
    webhook_id = vipps.webhook_id or secrets.token_urlsafe(24)
    url = webhook_url(settings, webhook_id)
    with tenant_scope(tenant_id):
        held = {row.msn: row for row in await VippsWebhookRegistration.all()}
    created: list[tuple[VippsApi, str, str]] = []
    async with outbound_client(timeout=TIMEOUT_SECONDS, follow_redirects=False) as http:
        apis = _apis(http, vipps)
        try:
            for msn, api in apis.items():
                row = held.get(msn)
                if row is not None and row.url == url and any(
                        w.id == row.vipps_id and w.url == url for w in await api.webhooks()):
                    continue
                vipps_id, secret = await api.register(url)
                created.append((api, vipps_id, secret))
        except VippsApiError as error:
            for api, vipps_id, _ in created:
                try:
                    await api.delete(vipps_id)
                except VippsApiError:
                    log.warning("vipps: a webhook registered for tenant %s (sales unit %s) could not be removed "
                                "after a failed save", tenant_id, api.msn)
            log.warning("vipps: registering the webhook for tenant %s refused: %s", tenant_id, error.status)
            raise _refused(error) from None
        renewed = {api.msn for api, _, _ in created}
        replaced = [row for msn, row in held.items() if msn in renewed]
        dropped = [row for msn, row in held.items() if msn not in apis]
        # A replaced registration is forgotten even when Vipps did not remove it (its secret no longer verifies
        # anything); one of a sales unit taken out of the settings is kept until Vipps removes it.
        await _delete_at_vipps(http, vipps, replaced, tenant_id)
        removed = [*replaced, *await _delete_at_vipps(http, vipps, dropped, tenant_id)]
    with tenant_scope(tenant_id):
        if removed:
            await VippsWebhookRegistration.filter(id__in=[row.id for row in removed]).delete()
        for api, vipps_id, secret in created:
            await VippsWebhookRegistration.create(
                tenant_id=tenant_id, msn=api.msn, vipps_id=vipps_id, url=url, events=list(EPAYMENT_EVENTS),
                secret=seal(secret, purpose=registration_secret_purpose(vipps_id)))
    if created:
        log.info("vipps: webhook registered for tenant %s, sales units %s", tenant_id,
                 ", ".join(api.msn for api, _, _ in created))
    return webhook_id


async def _delete_at_vipps(http: httpx.AsyncClient, vipps: VippsSettings | None,
                           rows: list[VippsWebhookRegistration], tenant_id: UUID) -> list[VippsWebhookRegistration]:
    """Remove ``rows``' webhooks at Vipps; the rows removed (one that fails is logged and kept, to be tried again)."""
    if not rows or vipps is None or not vipps.api_configured:
        return []
    client_id, client_secret, subscription_key = vipps.api_keys()
    base = base_url(vipps.api_test)
    removed = []
    for row in rows:
        try:
            await VippsApi(http, base, client_id, client_secret, subscription_key, row.msn).delete(row.vipps_id)
        except VippsApiError as error:
            log.warning("vipps: the old webhook of tenant %s, sales unit %s, was not removed: %s", tenant_id,
                        row.msn, error.status)
            continue
        removed.append(row)
    return removed


async def remove_webhooks(tenant_id: UUID, vipps: VippsSettings | None) -> None:
    """Remove every webhook Pejling registered for the tenant (``DELETE``), then its rows.

    Raises :class:`PluginServiceRefused` when one could not be removed (the ones removed are forgotten; the others
    are kept, so switching off again tries them again).
    """
    with tenant_scope(tenant_id):
        rows = await VippsWebhookRegistration.all()
    if not rows:
        return
    if vipps is None or not vipps.api_configured:
        raise PluginServiceRefused(PLUGIN, "Pejling registered webhooks at Vipps MobilePay but holds no API keys to "
                                   "remove them: add the keys again, then switch Vipps off.", "api_client_id")
    async with outbound_client(timeout=TIMEOUT_SECONDS, follow_redirects=False) as http:
        removed = await _delete_at_vipps(http, vipps, rows, tenant_id)
    with tenant_scope(tenant_id):
        await VippsWebhookRegistration.filter(id__in=[row.id for row in removed]).delete()
    if len(removed) < len(rows):
        raise PluginServiceRefused(PLUGIN, "Vipps MobilePay did not remove every webhook of this tenant, so Vipps "
                                   "stays on. Try again.", None)
    log.info("vipps: webhooks of tenant %s removed", tenant_id)


@hookimpl
async def plugin_configuring(
    settings: Settings, tenant_id: UUID, plugin_settings: BaseModel, previous: BaseModel | None
) -> dict[str, Any] | None:
    """Check the Login issuer's address, and register the webhook when the settings carry API keys."""
    assert isinstance(plugin_settings, VippsSettings)
    if plugin_settings.login_issuer is not None:
        try:
            await check_issuer(str(plugin_settings.login_issuer))
        except LoginFailed as refused:
            raise PluginConfigInvalid(PLUGIN, [FieldProblem("login_issuer", str(refused))]) from None
    if not plugin_settings.api_configured:
        return None
    webhook_id = await register_webhooks(settings, tenant_id, plugin_settings)
    config = plugin_settings.model_dump(mode="json", exclude_unset=True)
    config["webhook_id"] = webhook_id
    return config


@hookimpl
async def plugin_disabling(settings: Settings, tenant_id: UUID, plugin_settings: BaseModel | None) -> None:
    """Remove the webhooks Pejling registered at Vipps for the tenant."""
    await remove_webhooks(tenant_id, plugin_settings if isinstance(plugin_settings, VippsSettings) else None)

"""Vipps MobilePay: a captured payment at a store's sales unit becomes a survey link and a verified visit.

A built-in plugin (docs/vipps.md): the ePayment webhook (:mod:`.webhooks`), its events applied in order per payment on
the job queue (:mod:`.payments`), the ``vipps`` receipt channel that marks a response as a verified visit
(:mod:`.channel`) and the survey link for the retailer's receipt integration (:mod:`.receipt_links`). A tenant
configures it with :class:`~.settings.VippsSettings`; with the sales units' API keys in them, Pejling registers the
webhook with the Vipps Webhooks API itself (:mod:`.registration`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from starlette.routing import BaseRoute

from pejling.core.contracts import Channel
from pejling.core.dev_only import DevSwitch
from pejling.core.hookspecs import hookimpl
from pejling.plugins.vipps import (
    login,
    payments,  # noqa: F401 - registers the job kind
    receipt_links,
    vipps_api,
    webhooks,
)
from pejling.plugins.vipps.channel import VippsReceipt
from pejling.plugins.vipps.registration import plugin_configuring, plugin_disabling
from pejling.plugins.vipps.settings import VippsSettings


@hookimpl
def register_model_apps() -> dict[str, dict[str, Any]]:
    return {"vipps": {"models": ["pejling.plugins.vipps.models"], "migrations": "pejling.plugins.vipps.migrations"}}


@hookimpl
def register_plugin_settings() -> type[BaseModel]:
    return VippsSettings


@hookimpl
def register_dev_switches() -> list[DevSwitch]:
    return [
        DevSwitch(f"{login.ALLOW_PRIVATE}=true", "Vipps Login issuers at internal addresses", login.private_allowed()),
        DevSwitch(f"{vipps_api.BASE_URL_ENV}=http://…", "the Vipps APIs over plain http (the tests' local Vipps)",
                  vipps_api.base_url(test=False).startswith("http://")),
    ]


@hookimpl
def register_channels() -> list[Channel]:
    return [VippsReceipt()]


@hookimpl
def register_app_routes() -> list[BaseRoute]:
    return [*webhooks.ROUTES, *login.ROUTES]


@hookimpl
def register_routes() -> list[BaseRoute]:
    return list(receipt_links.ROUTES)


__all__ = ["plugin_configuring", "plugin_disabling"]

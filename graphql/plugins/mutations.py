"""Switch a plugin on (with its configuration, checked against its schema) or off for the current tenant."""

from __future__ import annotations

from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from pejling.core.plugin_errors import PluginAlwaysOn, PluginConfigInvalid, PluginServiceRefused, UnknownPlugin
from pejling.core.stored_text import first_unstorable
from pejling.graphql.billing.entitlements import plugin_refused
from pejling.graphql.context import Info
from pejling.graphql.errors import UserError, invalid, not_found
from pejling.graphql.permissions import mutation_guard
from pejling.graphql.plugins.queries import loaded_plugins
from pejling.graphql.plugins.types import PluginPayload, PluginType, secret_fields
from pejling.tenants.plugin_settings import PluginSetting
from pejling.tenants.scope import tenant_scope


def _unknown(name: str) -> UserError:
    return not_found("name", f"No plugin named {name!r} is installed.")


def service_refused(exc: PluginServiceRefused) -> UserError:
    """The error of a plugin whose service (a payment provider's API) refused the change: nothing changed."""
    return UserError(code="service_refused", message=exc.message, field=f"config.{exc.field}" if exc.field else None)


@strawberry.type
class PluginMutation:
    @strawberry.mutation(description="Switch a plugin on for this tenant with its configuration (owners and admins). "
                         "The configuration is checked against the plugin's settingsSchema first, then by the plugin "
                         "(which may register it with the service it talks to, e.g. Vipps). When either refuses "
                         "nothing changes. A secret field left out keeps the value stored before.")
    async def enable_plugin(self, info: Info, name: str, config: JSON | None = None) -> PluginPayload:
        tenant, error = mutation_guard(info)
        if error or tenant is None:
            return PluginPayload(errors=[error] if error else [])
        plugins = loaded_plugins(info)
        if config is not None and not isinstance(config, dict):
            return PluginPayload(errors=[invalid("config", "The configuration must be a JSON object.")])
        unstorable = first_unstorable(config, "config")
        if unstorable is not None:
            return PluginPayload(errors=[invalid(unstorable, "Remove the control characters from this value.")])
        try:
            plugin = plugins.plugin(name)
        except UnknownPlugin:
            return PluginPayload(errors=[_unknown(name)])
        if refused := await plugin_refused(info, tenant, name):
            return PluginPayload(errors=[refused])
        wanted: dict[str, Any] = dict(cast(dict[str, Any], config or {}))
        with tenant_scope(tenant.id):
            row = await PluginSetting.get_or_none(plugin=name)
        for field in secret_fields(plugin):
            if field not in wanted and row is not None and field in (row.config or {}):
                wanted[field] = row.config[field]
        try:
            enabled = await plugins.enable_plugin(tenant.id, name, wanted)
        except PluginConfigInvalid as exc:
            return PluginPayload(errors=[invalid(f"config.{p.field}" if p.field else "config", p.message)
                                         for p in exc.problems])
        except PluginServiceRefused as exc:
            return PluginPayload(errors=[service_refused(exc)])
        return PluginPayload(plugin=PluginType.of(plugin, enabled, enabled.config, admin=True))

    @strawberry.mutation(description="Switch a plugin off for this tenant (owners and admins); its configuration is "
                         "kept for when it is switched on again. Core plugins refuse, with the reason.")
    async def disable_plugin(self, info: Info, name: str) -> PluginPayload:
        tenant, error = mutation_guard(info)
        if error or tenant is None:
            return PluginPayload(errors=[error] if error else [])
        plugins = loaded_plugins(info)
        try:
            await plugins.disable_plugin(tenant.id, name)
        except UnknownPlugin:
            return PluginPayload(errors=[_unknown(name)])
        except PluginAlwaysOn as exc:
            return PluginPayload(errors=[UserError(code="conflict", message=f"This plugin is always on: {exc.reason}",
                                                   field="name")])
        except PluginServiceRefused as exc:
            return PluginPayload(errors=[service_refused(exc)])
        plugin = plugins.plugin(name)
        with tenant_scope(tenant.id):
            row = await PluginSetting.get_or_none(plugin=name)
        return PluginPayload(plugin=PluginType.of(plugin, None, dict(row.config or {}) if row else None, admin=True))

"""The plugins installed in this Pejling and their state for the current tenant."""

from __future__ import annotations

import strawberry

from pejling.core.loaded_plugins import Plugins
from pejling.graphql.context import Info
from pejling.graphql.errors import ApiError
from pejling.graphql.permissions import require_tenant
from pejling.graphql.plugins.types import PluginType
from pejling.tenants.plugin_settings import PluginSetting
from pejling.tenants.scope import tenant_scope


def loaded_plugins(info: Info) -> Plugins:
    if info.context.plugins is None:
        raise ApiError("Plugins are not loaded in this process.", "UNAVAILABLE")
    return info.context.plugins


@strawberry.type
class PluginQuery:
    @strawberry.field(description="Every installed plugin, whether it is on for this tenant and what it brings; "
                      "owners and admins also see its configuration (secrets left out).")
    async def plugins(self, info: Info) -> list[PluginType]:
        tenant, actor = require_tenant(info)
        plugins = loaded_plugins(info)
        enabled = await plugins.enabled_plugins(tenant.id)
        stored: dict[str, dict[str, object]] = {}
        if actor.is_admin:
            with tenant_scope(tenant.id):
                stored = {row.plugin: dict(row.config or {}) for row in await PluginSetting.all()}
        return [PluginType.of(p, enabled.get(p.name), stored.get(p.name), actor.is_admin)
                for p in plugins.loaded.values()]

"""What ``pejling plugins`` prints: each installed plugin, where it comes from, what it provides, whether it is on."""

from __future__ import annotations

from collections.abc import Mapping

from pejling.core.loaded_plugins import Plugins
from pejling.core.plugin_catalogue import LoadedPlugin
from pejling.core.plugin_enablement import EnabledPlugin
from pejling.core.plugin_errors import UnknownTenant
from pejling.core.plugin_loading import ENTRY_POINT_GROUP


def _provides(plugin: LoadedPlugin) -> str:
    parts = []
    if plugin.scoring_models:
        parts.append("scoring models " + ", ".join(m.id for m in plugin.scoring_models))
    if plugin.channels:
        parts.append("channels " + ", ".join(c.id for c in plugin.channels))
    if plugin.integrations:
        parts.append("integrations " + ", ".join(i.id for i in plugin.integrations))
    if plugin.routes:
        parts.append(f"routes under /plugins/{plugin.name}/")
    if "register_app_routes" in plugin.hooks:
        parts.append("routes of the app")
    if plugin.graphql_types:
        parts.append("GraphQL types " + ", ".join(t.__name__ for t in plugin.graphql_types))
    events = [h for h in plugin.hooks if not h.startswith("register_")]
    if events:
        parts.append("hooks " + ", ".join(events))
    return "; ".join(parts) or "-"


async def describe_plugins(plugins: Plugins, tenant_slug: str | None = None) -> list[str]:
    """Lines for ``pejling plugins``: each loaded plugin, where it comes from, and whether it is enabled.

    Needs an initialised database only when ``tenant_slug`` is given. Raises :class:`UnknownTenant`.
    """
    from pejling.tenants.models import Tenant
    from pejling.tenants.scope import all_tenants

    enabled: Mapping[str, EnabledPlugin] | None = None
    if tenant_slug is not None:
        with all_tenants():
            tenant = await Tenant.get_or_none(slug=tenant_slug)
        if tenant is None:
            raise UnknownTenant(f"no tenant with slug {tenant_slug!r}")
        enabled = await plugins.enabled_plugins(tenant.id)

    state = f"enabled for {tenant_slug}" if tenant_slug is not None else "default for tenants"
    rows = [("plugin", "source", state, "provides")]
    for plugin in plugins.loaded.values():
        source = "built-in" if plugin.builtin else (plugin.distribution or plugin.module)
        if enabled is not None:
            on = "yes" if plugin.name in enabled else "no"
        else:
            on = "enabled" if plugin.enabled_by_default else "disabled"
        rows.append((plugin.name, source, on, _provides(plugin)))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [f"{len(plugins.loaded)} plugins installed (entry-point group '{ENTRY_POINT_GROUP}'):"]
    lines += [f"  {r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}".rstrip() for r in rows]
    if plugins.settings.plugins_disabled:
        lines.append("Not loaded (PEJLING_PLUGINS_DISABLED): " + ", ".join(sorted(plugins.settings.plugins_disabled)))
    return lines

"""The plugins of this process, for hook calls made outside a request (in jobs)."""

from __future__ import annotations

from uuid import UUID

from pejling.core import followups
from pejling.core.plugin_manager import Plugins, TenantPlugins, load_plugins

_plugins: Plugins | None = None


def use_plugins(plugins: Plugins | None) -> Plugins | None:
    """The loaded plugins jobs of this process call (the web app passes its own; ``None`` forgets them).

    Returns the plugins used before, so a caller can put them back.
    """
    global _plugins
    previous, _plugins = _plugins, plugins
    return previous


async def tenant_plugins(tenant_id: UUID) -> TenantPlugins | None:
    """The plugins enabled for a tenant; loads the plugins once per process when nobody passed them."""
    global _plugins
    if _plugins is None:
        _plugins = await load_plugins(followups.current_settings())
    return await _plugins.plugins_for_tenant(tenant_id)

"""The plugins of a Pejling process: which built-ins there are, and loading them with the third-party ones.

Plugins are registered **once at start-up** (:func:`load_plugins`): the built-in ones listed in
:data:`BUILTIN_PLUGINS` and the third-party ones found in the entry-point group ``pejling``, in the
same way. A plugin named in ``settings.plugins_disabled`` (``PEJLING_PLUGINS_DISABLED``) is never
loaded. The machinery lives in modules of one job each, and every public name is importable from here:

* :mod:`pejling.core.plugin_loading` — registration (built-ins, entry points) and the registration hooks;
* :mod:`pejling.core.plugin_calls` — async-aware hook calls (:func:`await_me_maybe`, first non-``None`` result);
* :mod:`pejling.core.plugin_enablement` — per-tenant enablement, configuration checks, the enabled-set cache;
* :mod:`pejling.core.plugin_catalogue` — what each loaded plugin registered;
* :mod:`pejling.core.loaded_plugins` — :class:`Plugins`, the one handle on the loaded plugins, and its tenant view;
* :mod:`pejling.core.plugin_listing` — what ``pejling plugins`` prints;
* :mod:`pejling.core.plugin_errors` — the errors.
"""

from __future__ import annotations

from collections.abc import Sequence

from pejling.core.loaded_plugins import Plugins, TenantPlugins
from pejling.core.plugin_calls import await_me_maybe, resolve_all, resolve_first
from pejling.core.plugin_catalogue import LoadedPlugin
from pejling.core.plugin_enablement import ENABLED_SET_SECONDS, EnabledPlugin
from pejling.core.plugin_errors import (
    FieldProblem,
    PluginConfigInvalid,
    PluginError,
    PluginLoadError,
    UnknownPlugin,
    UnknownTenant,
)
from pejling.core.plugin_listing import describe_plugins
from pejling.core.plugin_loading import ENTRY_POINT_GROUP, PluginRegistry
from pejling.core.plugin_loading import register_plugins as _register_plugins
from pejling.core.settings import Settings

#: Built-in plugins, registered exactly like third-party ones. A plugin is named after its module's last part.
#: The one place core names modules of ``pejling.plugins`` and ``pejling.graphql`` (tests/test_imports.py).
BUILTIN_PLUGINS: tuple[str, ...] = (
    "pejling.plugins.scoring.nps",
    "pejling.plugins.scoring.csat",
    "pejling.plugins.scoring.ces",
    "pejling.core.goals.implicit_goals",
    "pejling.plugins.followups",
    "pejling.graphql.api",
    "pejling.plugins.channels.qr",
    "pejling.plugins.channels.nfc",
    "pejling.plugins.channels.kiosk",
    "pejling.plugins.channels.link",
    "pejling.plugins.channels.email",
    "pejling.plugins.vipps",
    "pejling.plugins.sso",
    "pejling.plugins.billing",
    "pejling.plugins.shopify",
    "pejling.plugins.webhooks",
)


def register_plugins(
    settings: Settings,
    *,
    builtin_plugins: Sequence[str] = BUILTIN_PLUGINS,
    entry_points: bool = True,
    extra_plugins: Sequence[tuple[str, object]] = (),
) -> PluginRegistry:
    """Register the built-in plugins, then the entry-point ones, then ``extra_plugins`` (name, object) pairs.

    No hook runs yet; ``await registry.load()`` runs the registration hooks and returns the :class:`Plugins`.
    """
    return _register_plugins(
        settings, builtin_plugins=builtin_plugins, entry_points=entry_points, extra_plugins=extra_plugins
    )


async def load_plugins(
    settings: Settings,
    *,
    builtin_plugins: Sequence[str] = BUILTIN_PLUGINS,
    entry_points: bool = True,
    extra_plugins: Sequence[tuple[str, object]] = (),
) -> Plugins:
    """Register the plugins (see :func:`register_plugins`) and run their registration hooks: the process's plugins.

    Raises :class:`PluginLoadError` for a plugin that cannot be imported or validated, or an id two plugins
    register; a third-party plugin whose name is taken is skipped with a warning.
    """
    registry = register_plugins(
        settings, builtin_plugins=builtin_plugins, entry_points=entry_points, extra_plugins=extra_plugins
    )
    return await registry.load()


__all__ = [
    "BUILTIN_PLUGINS",
    "ENABLED_SET_SECONDS",
    "ENTRY_POINT_GROUP",
    "EnabledPlugin",
    "FieldProblem",
    "LoadedPlugin",
    "PluginConfigInvalid",
    "PluginError",
    "PluginLoadError",
    "PluginRegistry",
    "Plugins",
    "TenantPlugins",
    "UnknownPlugin",
    "UnknownTenant",
    "await_me_maybe",
    "describe_plugins",
    "load_plugins",
    "register_plugins",
    "resolve_all",
    "resolve_first",
]

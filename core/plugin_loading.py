"""Loading plugins: register the built-ins and the entry-point ones, check their hooks, collect what they register.

Two steps, both once per process. :func:`register_plugins` imports and registers every plugin (no hook runs yet, so
the app factory can do it while it builds the routes); :meth:`PluginRegistry.load` then calls the registration hooks
of each plugin and returns the process's :class:`~pejling.core.loaded_plugins.Plugins`. The built-ins come from
``pejling.core.plugin_manager.BUILTIN_PLUGINS``.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pluggy
from pydantic import BaseModel
from starlette.routing import BaseRoute

from pejling.core import hookspecs
from pejling.core.contracts import CONTRACT_ID, Channel, Integration, ScoringModel
from pejling.core.dev_only import DevSwitch
from pejling.core.loaded_plugins import Plugins
from pejling.core.plugin_calls import resolve_all
from pejling.core.plugin_catalogue import LoadedPlugin
from pejling.core.plugin_enablement import ALWAYS_ON
from pejling.core.plugin_errors import PluginLoadError
from pejling.core.settings import Settings

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = hookspecs.PROJECT

PLUGIN_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$")

#: Hooks only a built-in plugin may implement: they reach the app itself, without core's per-plugin check.
BUILTIN_ONLY_HOOKS = ("register_app_routes", "app_started")


@dataclass(frozen=True)
class _Origin:
    module: str
    builtin: bool
    distribution: str | None = None


def _register(pm: pluggy.PluginManager, plugin: object, name: str) -> None:
    if not PLUGIN_NAME.match(name):
        raise PluginLoadError(f"plugin name {name!r}: use lowercase letters, digits, '-' and '_'")
    try:
        pm.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        raise PluginLoadError(f"plugin {name!r} cannot be registered: {exc}") from exc


def _hooks_of(pm: pluggy.PluginManager, name: str) -> tuple[str, ...]:
    return tuple(sorted(caller.name for caller in pm.get_hookcallers(pm.get_plugin(name)) or []))


class PluginRegistry:
    """The plugins registered in a pluggy manager, before their registration hooks ran."""

    def __init__(self, settings: Settings, pm: pluggy.PluginManager, origins: Mapping[str, _Origin]) -> None:
        self.settings = settings
        self.pm = pm
        self.origins = dict(origins)

    def app_routes(self) -> list[BaseRoute]:
        """The routes built-in plugins serve at the app's root (``register_app_routes``), in registration order.

        Called while the app is built, before any event loop runs: the results must be routes, not awaitables.
        """
        routes: list[BaseRoute] = []
        for name, origin in self.origins.items():
            if not origin.builtin:
                continue
            plugin = self.pm.get_plugin(name)
            others = [p for p in self.pm.get_plugins() if p is not plugin]
            for result in self.pm.subset_hook_caller("register_app_routes", remove_plugins=others)(
                settings=self.settings
            ):
                if inspect.isawaitable(result) or callable(result) and not isinstance(result, BaseRoute):
                    if inspect.iscoroutine(result):
                        result.close()  # never awaited: no warning, no half-run side effects
                    raise PluginLoadError(f"plugin {name!r}: register_app_routes must return routes, not {result!r}")
                for item in _as_items(result):
                    if not isinstance(item, BaseRoute):
                        raise PluginLoadError(f"plugin {name!r}: register_app_routes returned {item!r}, not a route")
                    routes.append(item)
        return routes

    def model_apps(self, taken: Iterable[str] = ()) -> dict[str, dict[str, Any]]:
        """The Tortoise apps the plugins contribute (``register_model_apps``), by label, in registration order.

        Raises :class:`PluginLoadError` for an awaitable, a malformed entry, or a label in ``taken`` (core's apps)
        or contributed twice.
        """
        apps: dict[str, dict[str, Any]] = {}
        used = set(taken)
        for name in self.origins:
            plugin = self.pm.get_plugin(name)
            others = [p for p in self.pm.get_plugins() if p is not plugin]
            for result in self.pm.subset_hook_caller("register_model_apps", remove_plugins=others)(
                settings=self.settings
            ):
                if not isinstance(result, Mapping):
                    if inspect.iscoroutine(result):
                        result.close()
                    raise PluginLoadError(f"plugin {name!r}: register_model_apps must return a mapping, not {result!r}")
                for label, app in result.items():
                    apps[label] = _model_app(name, label, app, used)
                    used.add(label)
        return apps

    def dev_switches(self) -> list[DevSwitch]:
        """The dev- and test-only switches the plugins name (``register_dev_switches``), in registration order.

        Called before any event loop runs (production refuses to start while one is on): the results must be
        :class:`~pejling.core.dev_only.DevSwitch` instances, not awaitables.
        """
        switches: list[DevSwitch] = []
        for name in self.origins:
            plugin = self.pm.get_plugin(name)
            others = [p for p in self.pm.get_plugins() if p is not plugin]
            for result in self.pm.subset_hook_caller("register_dev_switches", remove_plugins=others)(
                settings=self.settings
            ):
                if inspect.isawaitable(result):
                    if inspect.iscoroutine(result):
                        result.close()  # never awaited: no warning
                    raise PluginLoadError(f"plugin {name!r}: register_dev_switches must return switches, not "
                                          f"{result!r}")
                for item in _as_items(result):
                    if not isinstance(item, DevSwitch):
                        raise PluginLoadError(f"plugin {name!r}: register_dev_switches returned {item!r}, "
                                              "not a DevSwitch")
                    switches.append(item)
        return switches

    async def load(self) -> Plugins:
        """Run every plugin's registration hooks once and return the process's plugins.

        Raises :class:`PluginLoadError` for a wrong return value or an id two plugins register.
        """
        loaded = {name: await _collect(self.pm, self.settings, name, origin) for name, origin in self.origins.items()}
        _check_unique_ids(loaded.values())
        return Plugins(self.settings, self.pm, loaded)


def register_plugins(
    settings: Settings,
    *,
    builtin_plugins: Sequence[str],
    entry_points: bool = True,
    extra_plugins: Sequence[tuple[str, object]] = (),
) -> PluginRegistry:
    """Register the built-in plugins, then the entry-point ones, then ``extra_plugins`` (name, object) pairs.

    Raises :class:`PluginLoadError` for a plugin that cannot be imported or validated; a third-party
    plugin whose name is taken is skipped with a warning.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    disabled = set(settings.plugins_disabled)
    for name in sorted(disabled & ALWAYS_ON.keys()):  # the first one is reported
        raise PluginLoadError(f"PEJLING_PLUGINS_DISABLED names {name!r}, which cannot be disabled: {ALWAYS_ON[name]}")
    origins: dict[str, _Origin] = {}

    for path in builtin_plugins:
        name = path.rsplit(".", 1)[-1]
        if name in disabled:
            continue
        try:
            module = importlib.import_module(path)
        except ImportError as exc:
            raise PluginLoadError(f"built-in plugin {path} cannot be imported: {exc}") from exc
        _register(pm, module, name)
        origins[name] = _Origin(path, builtin=True)

    if entry_points:
        for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if entry.name in disabled:
                continue
            dist = f"{entry.dist.name} {entry.dist.version}" if entry.dist is not None else None
            if pm.has_plugin(entry.name):
                log.warning("plugin %r from %s skipped: the name is already taken", entry.name, dist or entry.value)
                continue
            try:
                plugin = entry.load()
            except Exception as exc:  # noqa: BLE001 - any import failure of a third-party plugin is reported the same
                raise PluginLoadError(f"plugin {entry.name!r} ({entry.value}) cannot be imported: {exc}") from exc
            _register(pm, plugin, entry.name)
            origins[entry.name] = _Origin(entry.value, builtin=False, distribution=dist)

    for name, plugin in extra_plugins:
        if name in disabled:
            continue
        _register(pm, plugin, name)
        origins[name] = _Origin(getattr(plugin, "__name__", type(plugin).__name__), builtin=False)

    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginLoadError(str(exc)) from exc
    for name, origin in origins.items():
        reserved = sorted(set(_hooks_of(pm, name)) & set(BUILTIN_ONLY_HOOKS))
        if reserved and not origin.builtin:
            raise PluginLoadError(f"plugin {name!r} implements {', '.join(reserved)}, which only built-in plugins may")
    return PluginRegistry(settings, pm, origins)


#: A plugin's Tortoise app label (also the prefix of its migration records).
MODEL_APP_LABEL = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _model_app(plugin: str, label: object, app: object, taken: set[str]) -> dict[str, Any]:
    if not isinstance(label, str) or not MODEL_APP_LABEL.match(label):
        raise PluginLoadError(f"plugin {plugin!r}: model app label {label!r}: use lowercase letters, digits and '_'")
    if label in taken:
        raise PluginLoadError(f"plugin {plugin!r}: model app label {label!r} is taken")
    models = app.get("models") if isinstance(app, Mapping) else None
    migrations = app.get("migrations") if isinstance(app, Mapping) else None
    if (not isinstance(models, Sequence) or isinstance(models, str) or not models
            or not all(isinstance(m, str) for m in models) or not isinstance(migrations, str)):
        raise PluginLoadError(f"plugin {plugin!r}: model app {label!r} needs 'models' (module names) and 'migrations'")
    return {"models": list(models), "migrations": migrations}


def _as_items(result: Any) -> Iterable[Any]:
    if isinstance(result, Iterable) and not isinstance(result, str | bytes | Mapping):
        return result
    return (result,)


async def _collect(pm: pluggy.PluginManager, settings: Settings, name: str, origin: _Origin) -> LoadedPlugin:
    plugin = pm.get_plugin(name)
    others = [p for p in pm.get_plugins() if p is not plugin]

    async def collect(hook: str, kind: type | None) -> tuple[Any, ...]:
        results = await resolve_all(pm.subset_hook_caller(hook, remove_plugins=others)(settings=settings))
        items = tuple(item for result in results for item in _as_items(result))
        for item in items:
            if kind is not None and not isinstance(item, kind):
                raise PluginLoadError(f"plugin {name!r}: {hook} returned {item!r}, not a {kind.__name__}")
            if isinstance(item, ScoringModel | Channel | Integration) and not CONTRACT_ID.match(str(item.id)):
                raise PluginLoadError(f"plugin {name!r}: {hook} returned id {item.id!r}; use lowercase, digits, '-'")
        return items

    own_schema = pm.subset_hook_caller("register_plugin_settings", remove_plugins=others)
    schemas = await resolve_all(own_schema(settings=settings))
    schema = schemas[0] if schemas else None
    if schema is not None and not (isinstance(schema, type) and issubclass(schema, BaseModel)):
        raise PluginLoadError(f"plugin {name!r}: register_plugin_settings returned {schema!r}, not a pydantic model")
    operator_only = getattr(plugin, "TENANTS_CANNOT_DISABLE", None)
    if operator_only is not None and not (isinstance(operator_only, str) and operator_only.strip()):
        raise PluginLoadError(f"plugin {name!r}: TENANTS_CANNOT_DISABLE must be a sentence saying why")
    integrations = await collect("register_integrations", Integration)
    if schema is None and len(integrations) == 1:
        schema = integrations[0].config_schema
    return LoadedPlugin(
        name=name,
        module=origin.module,
        builtin=origin.builtin,
        distribution=origin.distribution,
        hooks=_hooks_of(pm, name),
        scoring_models=await collect("register_scoring_models", ScoringModel),
        channels=await collect("register_channels", Channel),
        integrations=integrations,
        routes=await collect("register_routes", BaseRoute),
        graphql_types=await collect("register_graphql_types", type),
        settings_schema=schema,
        operator_only=operator_only,
    )


def _check_unique_ids(loaded: Iterable[LoadedPlugin]) -> None:
    seen: dict[tuple[str, str], str] = {}
    for plugin in loaded:
        items: list[tuple[str, str]] = [("scoring model", m.id) for m in plugin.scoring_models]
        items += [("channel", c.id) for c in plugin.channels] + [("integration", i.id) for i in plugin.integrations]
        for key in items:
            if key in seen:
                raise PluginLoadError(
                    f"{key[0]} id {key[1]!r} is registered by both {seen[key]!r} and {plugin.name!r}; "
                    "disable one with PEJLING_PLUGINS_DISABLED"
                )
            seen[key] = plugin.name

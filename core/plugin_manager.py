"""Loading plugins, calling their hooks, and which plugins each tenant has enabled.

Plugins are registered **once at start-up** (:func:`load_plugins`): the built-in ones listed in
:data:`BUILTIN_PLUGINS` and the third-party ones found in the entry-point group ``pejling``, in the
same way. A plugin named in ``settings.plugins_disabled`` (``PEJLING_PLUGINS_DISABLED``) is never
loaded. The collector hooks (scoring models, channels, integrations, settings schema, routes,
GraphQL types) are called then, per plugin, and their results kept.

Per tenant, a built-in plugin is enabled unless the tenant disabled it; a third-party plugin is
disabled until the tenant enables it (with a configuration validated against the plugin's
schema). Each tenant's enabled set is cached in the process; a change made through
:meth:`Plugins.enable_plugin` / :meth:`Plugins.disable_plugin` clears that tenant's entry at once,
and other processes see it within :data:`ENABLED_SET_SECONDS`.

pluggy is not async-aware: an ``async def`` implementation returns a coroutine, which pluggy would
count as a result. :meth:`Plugins.call_hook` and :meth:`Plugins.first_result` therefore resolve
every result with :func:`await_me_maybe` first, and pick the first non-``None`` value themselves.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType
from typing import Any
from uuid import UUID

import pluggy
from pydantic import BaseModel, ValidationError
from starlette.routing import BaseRoute, Mount, Router

from pejling.core import hookspecs
from pejling.core.contracts import (
    CONTRACT_ID,
    Channel,
    Integration,
    ScoringModel,
    ScoringSettings,
    SummaryOptions,
)
from pejling.core.settings import Settings
from pejling.tenants.plugin_settings import PluginSetting
from pejling.tenants.scope import tenant_scope

log = logging.getLogger(__name__)

#: Built-in plugins, registered exactly like third-party ones. A plugin is named after its module's last part.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "pejling.plugins.scoring.nps",
    "pejling.plugins.scoring.csat",
    "pejling.plugins.scoring.ces",
    "pejling.core.goals.implicit_goals",
    "pejling.plugins.followups",
)

ENTRY_POINT_GROUP = hookspecs.PROJECT

ENABLED_SET_SECONDS = 30.0
"""How long a tenant's enabled set is reused before it is read again (changes in this process apply at once)."""

PLUGIN_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$")


# ---------------------------------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------------------------------


class PluginError(Exception):
    """Base of the plugin errors."""


class PluginLoadError(PluginError):
    """A plugin could not be loaded (import failure, invalid hook, duplicate id, wrong return type)."""


class UnknownPlugin(PluginError, LookupError):
    """No plugin of that name is loaded in this process."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no plugin named {name!r} is installed (or it is disabled by PEJLING_PLUGINS_DISABLED)")
        self.name = name


class UnknownTenant(PluginError, LookupError):
    """No tenant with that slug."""


@dataclass(frozen=True)
class FieldProblem:
    """One invalid field of a plugin configuration (``field`` is a dotted path, e.g. ``store.0.id``)."""

    field: str
    message: str


class PluginConfigInvalid(PluginError, ValueError):
    """A plugin configuration that does not satisfy the plugin's schema; nothing was stored."""

    def __init__(self, plugin: str, problems: Sequence[FieldProblem]) -> None:
        listed = "; ".join(f"{p.field}: {p.message}" for p in problems)
        super().__init__(f"invalid configuration for plugin {plugin!r}: {listed}")
        self.plugin = plugin
        self.problems = tuple(problems)


# ---------------------------------------------------------------------------------------------------------------------
# Async-aware calling
# ---------------------------------------------------------------------------------------------------------------------


async def await_me_maybe(value: Any) -> Any:
    """Resolve a hook result: call it if it is a zero-argument function, await it if it is awaitable.

    Classes are returned as they are (``register_plugin_settings`` returns one), never instantiated.
    """
    if inspect.isfunction(value) or inspect.ismethod(value) or isinstance(value, partial):
        value = value()
    if inspect.isawaitable(value):
        value = await value
    return value


def _discard(results: Sequence[Any]) -> None:
    """Close coroutines that will not be awaited (no "never awaited" warning, no half-run side effects)."""
    for value in results:
        if inspect.iscoroutine(value):
            value.close()


async def resolve_all(results: Sequence[Any]) -> list[Any]:
    """Every hook result resolved, in call order, without the ``None`` ones.

    When one implementation raises, the awaitables of the later ones are closed and the error propagates.
    """
    resolved = []
    for index, result in enumerate(results):
        try:
            value = await await_me_maybe(result)
        except BaseException:
            _discard(results[index + 1 :])
            raise
        if value is not None:
            resolved.append(value)
    return resolved


async def resolve_first(results: Sequence[Any]) -> Any:
    """The first hook result that is not ``None`` once resolved; later awaitables are closed without running."""
    for index, result in enumerate(results):
        try:
            found = await await_me_maybe(result)
        except BaseException:
            _discard(results[index + 1 :])
            raise
        if found is not None:
            _discard(results[index + 1 :])
            return found
    return None


# ---------------------------------------------------------------------------------------------------------------------
# What was loaded
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedPlugin:
    """One registered plugin and what its collector hooks returned at start-up."""

    name: str
    module: str
    builtin: bool
    distribution: str | None
    hooks: tuple[str, ...]
    scoring_models: tuple[ScoringModel, ...] = ()
    channels: tuple[Channel, ...] = ()
    integrations: tuple[Integration, ...] = ()
    routes: tuple[BaseRoute, ...] = ()
    graphql_types: tuple[type, ...] = ()
    settings_schema: type[BaseModel] | None = None

    @property
    def enabled_by_default(self) -> bool:
        """Built-in plugins are on for every tenant until it disables them; third-party ones are off."""
        return self.builtin

    def validate_config(self, config: Mapping[str, Any]) -> EnabledPlugin:
        """``config`` checked against the plugin's schema; raises :class:`PluginConfigInvalid` listing every problem."""
        if not isinstance(config, Mapping):
            raise PluginConfigInvalid(self.name, [FieldProblem("", "the configuration must be an object")])
        if self.settings_schema is None:
            if config:
                raise PluginConfigInvalid(
                    self.name, [FieldProblem(str(key), "this plugin takes no configuration") for key in sorted(config)]
                )
            return EnabledPlugin(self.name, {}, None)
        try:
            parsed = self.settings_schema.model_validate(dict(config))
        except ValidationError as exc:
            problems = [
                FieldProblem(".".join(str(part) for part in error["loc"]) or "", error["msg"]) for error in exc.errors()
            ]
            raise PluginConfigInvalid(self.name, problems) from None
        return EnabledPlugin(self.name, parsed.model_dump(mode="json", exclude_unset=True), parsed)


@dataclass(frozen=True)
class EnabledPlugin:
    """A plugin enabled for one tenant: the configuration as stored and as parsed by the plugin's schema."""

    name: str
    config: dict[str, Any]
    settings: BaseModel | None


# ---------------------------------------------------------------------------------------------------------------------
# The plugins of one process, and of one tenant
# ---------------------------------------------------------------------------------------------------------------------


class Plugins:
    """The plugins loaded in this process (``app.state.plugins``): hook calls and per-tenant enablement."""

    def __init__(self, settings: Settings, pm: pluggy.PluginManager, loaded: Mapping[str, LoadedPlugin]) -> None:
        self.settings = settings
        self.pm = pm
        self.loaded: dict[str, LoadedPlugin] = dict(sorted(loaded.items()))
        self._enabled: dict[UUID, tuple[float, Mapping[str, EnabledPlugin]]] = {}
        self._model_owner = {model.id: p.name for p in self.loaded.values() for model in p.scoring_models}
        self.router = Router(
            routes=[Mount(f"/{p.name}", routes=list(p.routes), name=p.name) for p in self.loaded.values() if p.routes]
        )

    # -- calling hooks ------------------------------------------------------------------------------------------------

    def _caller(self, hook: str, only: Iterable[str] | None = None) -> Callable[..., list[Any]]:
        if getattr(self.pm.hook, hook, None) is None:
            raise AttributeError(f"no hook named {hook!r} (see pejling.core.hookspecs)")
        if only is None:
            return getattr(self.pm.hook, hook)
        keep = {self.pm.get_plugin(name) for name in only}
        return self.pm.subset_hook_caller(hook, remove_plugins=[p for p in self.pm.get_plugins() if p not in keep])

    async def call_hook(self, hook: str, *, only: Iterable[str] | None = None, **kwargs: Any) -> list[Any]:
        """Call ``hook`` on every loaded plugin (or those named in ``only``); the non-``None`` results, awaited."""
        return await resolve_all(self._caller(hook, only)(**kwargs))

    async def first_result(self, hook: str, *, only: Iterable[str] | None = None, **kwargs: Any) -> Any:
        """Call ``hook`` and return the first result that is not ``None`` once awaited (or ``None``)."""
        return await resolve_first(self._caller(hook, only)(**kwargs))

    # -- what plugins contribute --------------------------------------------------------------------------------------

    def scoring_models(self) -> list[ScoringModel]:
        """Every loaded scoring model (use :meth:`plugins_for_tenant` for a tenant's own set)."""
        return [model for p in self.loaded.values() for model in p.scoring_models]

    def channels(self) -> list[Channel]:
        return [channel for p in self.loaded.values() for channel in p.channels]

    def integrations(self) -> list[Integration]:
        return [integration for p in self.loaded.values() for integration in p.integrations]

    def graphql_types(self) -> list[type]:
        """The strawberry types of every loaded plugin, for ``strawberry.Schema(types=...)``."""
        return [t for p in self.loaded.values() for t in p.graphql_types]

    def plugin(self, name: str) -> LoadedPlugin:
        """The loaded plugin called ``name``; raises :class:`UnknownPlugin`."""
        try:
            return self.loaded[name]
        except KeyError:
            raise UnknownPlugin(name) from None

    def plugin_of_model(self, model_id: str) -> str:
        """The name of the plugin that brings scoring model ``model_id``."""
        try:
            return self._model_owner[model_id]
        except KeyError:
            raise UnknownPlugin(model_id) from None

    # -- per-tenant enablement ----------------------------------------------------------------------------------------

    async def enabled_plugins(self, tenant_id: UUID) -> Mapping[str, EnabledPlugin]:
        """The plugins enabled for a tenant, by name: a read-only mapping, cached (see :data:`ENABLED_SET_SECONDS`)."""
        cached = self._enabled.get(tenant_id)
        if cached is not None and time.monotonic() - cached[0] < ENABLED_SET_SECONDS:
            return cached[1]
        with tenant_scope(tenant_id):
            rows = {row.plugin: row for row in await PluginSetting.all()}
        enabled: dict[str, EnabledPlugin] = {}
        for name, plugin in self.loaded.items():
            row = rows.get(name)
            if row is None and not plugin.enabled_by_default or row is not None and not row.enabled:
                continue
            try:
                enabled[name] = plugin.validate_config(row.config if row is not None else {})
            except PluginConfigInvalid as exc:
                # The plugin changed its schema since the tenant configured it: off until reconfigured.
                if row is not None:
                    log.warning("plugin %s is off for tenant %s: %s", name, tenant_id, exc)
        frozen = MappingProxyType(enabled)
        self._enabled[tenant_id] = (time.monotonic(), frozen)
        return frozen

    async def plugins_for_tenant(self, tenant_id: UUID) -> TenantPlugins:
        """The plugins enabled for ``tenant_id``: dispatch events and read contributions through this."""
        return TenantPlugins(self, tenant_id, await self.enabled_plugins(tenant_id))

    async def enable_plugin(self, tenant_id: UUID, name: str, config: Mapping[str, Any] | None = None) -> EnabledPlugin:
        """Enable plugin ``name`` for a tenant with ``config`` (validated first; when invalid nothing is stored)."""
        enabled = self.plugin(name).validate_config(config or {})
        with tenant_scope(tenant_id):
            await PluginSetting.update_or_create(
                defaults={"enabled": True, "config": enabled.config}, plugin=name
            )
        self.invalidate(tenant_id)
        return enabled

    async def disable_plugin(self, tenant_id: UUID, name: str) -> None:
        """Disable plugin ``name`` for a tenant (built-in ones too); its configuration is kept."""
        self.plugin(name)
        with tenant_scope(tenant_id):
            await PluginSetting.update_or_create(defaults={"enabled": False}, plugin=name)
        self.invalidate(tenant_id)

    def invalidate(self, tenant_id: UUID | None = None) -> None:
        """Forget the cached enabled set of one tenant (or of all tenants)."""
        if tenant_id is None:
            self._enabled.clear()
        else:
            self._enabled.pop(tenant_id, None)


@dataclass
class TenantPlugins:
    """The plugins enabled for one tenant. Events sent through it reach only these plugins."""

    plugins: Plugins
    tenant_id: UUID
    enabled: Mapping[str, EnabledPlugin] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return list(self.enabled)

    def _loaded(self) -> list[LoadedPlugin]:
        return [self.plugins.loaded[name] for name in self.enabled]

    async def call_hook(self, hook: str, **kwargs: Any) -> list[Any]:
        """Call ``hook`` on this tenant's plugins inside its scope; the non-``None`` results, awaited."""
        with tenant_scope(self.tenant_id):
            return await self.plugins.call_hook(hook, only=self.names, **kwargs)

    async def first_result(self, hook: str, **kwargs: Any) -> Any:
        """Call ``hook`` on this tenant's plugins inside its scope; the first non-``None`` result, awaited."""
        with tenant_scope(self.tenant_id):
            return await self.plugins.first_result(hook, only=self.names, **kwargs)

    @property
    def scoring_models(self) -> list[ScoringModel]:
        return [model for p in self._loaded() for model in p.scoring_models]

    @property
    def channels(self) -> list[Channel]:
        return [channel for p in self._loaded() for channel in p.channels]

    @property
    def integrations(self) -> list[Integration]:
        return [integration for p in self._loaded() for integration in p.integrations]

    def summary_options(self, model_id: str) -> SummaryOptions:
        """How this tenant wants ``model_id`` summarised (from its plugin settings, else the defaults)."""
        enabled = self.enabled.get(self.plugins.plugin_of_model(model_id))
        if enabled is not None and isinstance(enabled.settings, ScoringSettings):
            return enabled.settings.options()
        return SummaryOptions()


# ---------------------------------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------------------------------


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


async def load_plugins(
    settings: Settings,
    *,
    builtin_plugins: Sequence[str] = BUILTIN_PLUGINS,
    entry_points: bool = True,
    extra_plugins: Sequence[tuple[str, object]] = (),
) -> Plugins:
    """Register the built-in plugins, then the entry-point ones, then ``extra_plugins`` (name, object) pairs.

    Raises :class:`PluginLoadError` for a plugin that cannot be imported or validated; a third-party
    plugin whose name is taken is skipped with a warning.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    disabled = set(settings.plugins_disabled)
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

    loaded = {name: await _collect(pm, settings, name, origin) for name, origin in origins.items()}
    _check_unique_ids(loaded.values())
    return Plugins(settings, pm, loaded)


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
    integrations = await collect("register_integrations", Integration)
    if schema is None and len(integrations) == 1:
        schema = integrations[0].config_schema
    return LoadedPlugin(
        name=name,
        module=origin.module,
        builtin=origin.builtin,
        distribution=origin.distribution,
        hooks=tuple(sorted(caller.name for caller in pm.get_hookcallers(plugin) or [])),
        scoring_models=await collect("register_scoring_models", ScoringModel),
        channels=await collect("register_channels", Channel),
        integrations=integrations,
        routes=await collect("register_routes", BaseRoute),
        graphql_types=await collect("register_graphql_types", type),
        settings_schema=schema,
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


# ---------------------------------------------------------------------------------------------------------------------
# ``pejling plugins``
# ---------------------------------------------------------------------------------------------------------------------


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
    if plugin.graphql_types:
        parts.append("GraphQL types " + ", ".join(t.__name__ for t in plugin.graphql_types))
    events = [h for h in plugin.hooks if not h.startswith("register_")]
    if events:
        parts.append("hooks " + ", ".join(events))
    return "; ".join(parts) or "-"


async def describe_plugins(settings: Settings, tenant_slug: str | None = None) -> list[str]:
    """Lines for ``pejling plugins``: each installed plugin, where it comes from, and whether it is enabled.

    Needs an initialised database only when ``tenant_slug`` is given. Raises :class:`UnknownTenant`.
    """
    from pejling.tenants.models import Tenant
    from pejling.tenants.scope import all_tenants

    plugins = await load_plugins(settings)
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
    if settings.plugins_disabled:
        lines.append("Not loaded (PEJLING_PLUGINS_DISABLED): " + ", ".join(sorted(settings.plugins_disabled)))
    return lines


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
    "Plugins",
    "TenantPlugins",
    "UnknownPlugin",
    "UnknownTenant",
    "await_me_maybe",
    "describe_plugins",
    "load_plugins",
]

"""The one handle on the plugins loaded in a process, and its view for one tenant.

:class:`Plugins` is made once where a process starts (the app's lifespan, ``pejling worker``, ``pejling plugins``)
and passed to whatever needs it: ``app.state.plugins``, the GraphQL context, the job worker. Nothing keeps it in a
module global.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import pluggy
from starlette.routing import Mount, Router

from pejling.core import plugin_calls
from pejling.core.contracts import Channel, Integration, ScoringModel, ScoringSettings, SummaryOptions
from pejling.core.plugin_catalogue import LoadedPlugin
from pejling.core.plugin_enablement import EnabledPlugin, Enablement, validate_config
from pejling.core.plugin_errors import UnknownPlugin
from pejling.core.settings import Settings
from pejling.tenants.scope import tenant_scope


class Plugins:
    """The plugins loaded in this process (``app.state.plugins``): hook calls, contributions, per-tenant enablement."""

    def __init__(self, settings: Settings, pm: pluggy.PluginManager, loaded: Mapping[str, LoadedPlugin]) -> None:
        self.settings = settings
        self.pm = pm
        self.loaded: dict[str, LoadedPlugin] = dict(sorted(loaded.items()))
        self.enablement = Enablement(self.loaded)
        self._model_owner = {model.id: p.name for p in self.loaded.values() for model in p.scoring_models}
        self.router = Router(
            routes=[Mount(f"/{p.name}", routes=list(p.routes), name=p.name) for p in self.loaded.values() if p.routes]
        )

    # -- calling hooks ------------------------------------------------------------------------------------------------

    async def call_hook(self, hook: str, *, only: Iterable[str] | None = None, **kwargs: Any) -> list[Any]:
        """Call ``hook`` on every loaded plugin (or those named in ``only``); the non-``None`` results, awaited."""
        return await plugin_calls.call_hook(self.pm, hook, only=only, **kwargs)

    async def first_result(self, hook: str, *, only: Iterable[str] | None = None, **kwargs: Any) -> Any:
        """Call ``hook`` and return the first result that is not ``None`` once awaited (or ``None``)."""
        return await plugin_calls.first_result(self.pm, hook, only=only, **kwargs)

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
        return self.enablement.plugin(name)

    def plugin_of_model(self, model_id: str) -> str:
        """The name of the plugin that brings scoring model ``model_id``."""
        try:
            return self._model_owner[model_id]
        except KeyError:
            raise UnknownPlugin(model_id) from None

    # -- per-tenant enablement ----------------------------------------------------------------------------------------

    async def enabled_plugins(self, tenant_id: UUID) -> Mapping[str, EnabledPlugin]:
        """The plugins enabled for a tenant, by name: a read-only mapping, cached (see ``ENABLED_SET_SECONDS``)."""
        return await self.enablement.enabled_plugins(tenant_id)

    async def plugins_for_tenant(self, tenant_id: UUID) -> TenantPlugins:
        """The plugins enabled for ``tenant_id``: dispatch events and read contributions through this."""
        return TenantPlugins(self, tenant_id, await self.enabled_plugins(tenant_id))

    async def enable_plugin(self, tenant_id: UUID, name: str, config: Mapping[str, Any] | None = None) -> EnabledPlugin:
        """Enable plugin ``name`` for a tenant with ``config`` (validated first; when invalid nothing is stored).

        The plugin's ``plugin_configuring`` hook runs on the validated configuration before it is stored: it may
        refuse it (nothing is stored) or return the configuration to store instead."""
        plugin = self.plugin(name)
        wanted = validate_config(plugin, config or {})
        if wanted.settings is not None:
            previous = (await self.enabled_plugins(tenant_id)).get(name)
            with tenant_scope(tenant_id):
                replaced = await self.first_result(
                    "plugin_configuring", only=[name], settings=self.settings, tenant_id=tenant_id,
                    plugin_settings=wanted.settings, previous=previous.settings if previous is not None else None)
            if replaced is not None:
                config = dict(replaced)
        return await self.enablement.enable(tenant_id, name, config)

    async def disable_plugin(self, tenant_id: UUID, name: str) -> None:
        """Disable plugin ``name`` for a tenant (built-in ones too); its configuration is kept.

        The plugin's ``plugin_disabling`` hook runs first and may refuse (the plugin stays on)."""
        self.enablement.check_can_disable(name)
        current = (await self.enabled_plugins(tenant_id)).get(name)
        if current is not None:
            with tenant_scope(tenant_id):
                await self.call_hook("plugin_disabling", only=[name], settings=self.settings, tenant_id=tenant_id,
                                     plugin_settings=current.settings)
        await self.enablement.disable(tenant_id, name)

    def invalidate(self, tenant_id: UUID | None = None) -> None:
        """Forget the cached enabled set of one tenant (or of all tenants)."""
        self.enablement.invalidate(tenant_id)


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

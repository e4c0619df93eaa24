"""Which plugins each tenant has enabled, with configuration checked against the plugin's schema.

A built-in plugin is enabled unless the tenant disabled it; a third-party plugin is disabled until the tenant enables
it. The plugins in :data:`ALWAYS_ON` (core models registered through the plugin contract) are enabled for every
tenant and disabling one is refused; so is disabling a plugin whose module declares ``TENANTS_CANNOT_DISABLE``
(billing: only the operator may run without it, with ``PEJLING_PLUGINS_DISABLED``), which stays on for every tenant.
Each tenant's enabled set is cached in the process; a change made here clears that tenant's entry at once, and other
processes see it within :data:`ENABLED_SET_SECONDS`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ValidationError

from pejling.core import goals
from pejling.core.auth import sso
from pejling.core.plugin_catalogue import LoadedPlugin
from pejling.core.plugin_errors import FieldProblem, PluginAlwaysOn, PluginConfigInvalid, UnknownPlugin
from pejling.tenants.plugin_settings import PluginSetting
from pejling.tenants.scope import tenant_scope

log = logging.getLogger(__name__)

ENABLED_SET_SECONDS = 30.0
"""How long a tenant's enabled set is reused before it is read again (changes in this process apply at once)."""

ALWAYS_ON: Mapping[str, str] = MappingProxyType({goals.PLUGIN_NAME: goals.ALWAYS_ON_REASON,
                                                sso.PLUGIN_NAME: sso.ALWAYS_ON_REASON})
"""Plugins no tenant can switch off, with the reason: the implicit-goals model is core (docs/architecture.md); the
``sso`` routes, because single sign-on is switched per tenant by its own configuration (docs/sso.md)."""


@dataclass(frozen=True)
class EnabledPlugin:
    """A plugin enabled for one tenant: the configuration as stored and as parsed by the plugin's schema."""

    name: str
    config: dict[str, Any]
    settings: BaseModel | None


def validate_config(plugin: LoadedPlugin, config: Mapping[str, Any]) -> EnabledPlugin:
    """``config`` checked against ``plugin``'s schema; raises :class:`PluginConfigInvalid` listing every problem."""
    if not isinstance(config, Mapping):
        raise PluginConfigInvalid(plugin.name, [FieldProblem("", "the configuration must be an object")])
    if plugin.settings_schema is None:
        if config:
            raise PluginConfigInvalid(
                plugin.name, [FieldProblem(str(key), "this plugin takes no configuration") for key in sorted(config)]
            )
        return EnabledPlugin(plugin.name, {}, None)
    try:
        parsed = plugin.settings_schema.model_validate(dict(config))
    except ValidationError as exc:
        problems = [
            FieldProblem(".".join(str(part) for part in error["loc"]) or "", error["msg"]) for error in exc.errors()
        ]
        raise PluginConfigInvalid(plugin.name, problems) from None
    return EnabledPlugin(plugin.name, parsed.model_dump(mode="json", exclude_unset=True), parsed)


class Enablement:
    """The enabled set of every tenant for the plugins ``loaded`` in this process, cached per tenant."""

    def __init__(self, loaded: Mapping[str, LoadedPlugin]) -> None:
        self.loaded = loaded
        self._enabled: dict[UUID, tuple[float, Mapping[str, EnabledPlugin]]] = {}

    def plugin(self, name: str) -> LoadedPlugin:
        try:
            return self.loaded[name]
        except KeyError:
            raise UnknownPlugin(name) from None

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
            off = row is None and not plugin.enabled_by_default or row is not None and not row.enabled
            if off and name not in ALWAYS_ON and plugin.operator_only is None:
                continue
            try:
                enabled[name] = validate_config(plugin, row.config if row is not None else {})
            except PluginConfigInvalid as exc:
                # The plugin changed its schema since the tenant configured it: off until reconfigured.
                if row is not None:
                    log.warning("plugin %s is off for tenant %s: %s", name, tenant_id, exc)
        frozen = MappingProxyType(enabled)
        self._enabled[tenant_id] = (time.monotonic(), frozen)
        return frozen

    async def enable(self, tenant_id: UUID, name: str, config: Mapping[str, Any] | None = None) -> EnabledPlugin:
        """Enable plugin ``name`` for a tenant with ``config`` (validated first; when invalid nothing is stored)."""
        enabled = validate_config(self.plugin(name), config or {})
        with tenant_scope(tenant_id):
            await PluginSetting.update_or_create(defaults={"enabled": True, "config": enabled.config}, plugin=name)
        self.invalidate(tenant_id)
        return enabled

    async def disable(self, tenant_id: UUID, name: str) -> None:
        """Disable plugin ``name`` for a tenant (built-in ones too); its configuration is kept.

        Raises :class:`PluginAlwaysOn` for a plugin of :data:`ALWAYS_ON` or one that declares
        ``TENANTS_CANNOT_DISABLE`` (the operator's to switch off, for the whole install)."""
        self.check_can_disable(name)
        with tenant_scope(tenant_id):
            await PluginSetting.update_or_create(defaults={"enabled": False}, plugin=name)
        self.invalidate(tenant_id)

    def check_can_disable(self, name: str) -> None:
        """Raise :class:`UnknownPlugin` or :class:`PluginAlwaysOn` when no tenant may switch ``name`` off."""
        plugin = self.plugin(name)
        if name in ALWAYS_ON:
            raise PluginAlwaysOn(name, ALWAYS_ON[name])
        if plugin.operator_only is not None:
            raise PluginAlwaysOn(name, plugin.operator_only)

    def invalidate(self, tenant_id: UUID | None = None) -> None:
        """Forget the cached enabled set of one tenant (or of all tenants)."""
        if tenant_id is None:
            self._enabled.clear()
        else:
            self._enabled.pop(tenant_id, None)

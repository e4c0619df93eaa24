"""What goes wrong with plugins: loading, unknown names, and configuration a plugin's schema refuses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class PluginError(Exception):
    """Base of the plugin errors."""


class PluginLoadError(PluginError):
    """A plugin could not be loaded (import failure, invalid hook, duplicate id, wrong return type)."""


class UnknownPlugin(PluginError, LookupError):
    """No plugin of that name is loaded in this process."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no plugin named {name!r} is installed (or it is disabled by PEJLING_PLUGINS_DISABLED)")
        self.name = name


class PluginAlwaysOn(PluginError, ValueError):
    """A plugin that is part of core (the implicit-goals model) cannot be switched off; nothing was stored."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"plugin {name!r} cannot be disabled: {reason}")
        self.name = name
        self.reason = reason


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


class PluginServiceRefused(PluginError):
    """A service the plugin calls for the tenant (a payment provider's API) refused or failed; nothing was stored.

    ``message`` is for the tenant (never a secret); ``field`` names the configuration field at fault, when one is.
    """

    def __init__(self, plugin: str, message: str, field: str | None = None) -> None:
        super().__init__(f"plugin {plugin!r}: {message}")
        self.plugin = plugin
        self.message = message
        self.field = field

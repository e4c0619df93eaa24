"""What each loaded plugin is and what its registration hooks returned at start-up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from starlette.routing import BaseRoute

from pejling.core.contracts import Channel, Integration, ScoringModel

if TYPE_CHECKING:
    from pejling.core.plugin_enablement import EnabledPlugin


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
    operator_only: str | None = None
    """Why no tenant may switch the plugin off (the module's ``TENANTS_CANNOT_DISABLE`` text), or None. Only the
    operator can, for the whole install, with ``PEJLING_PLUGINS_DISABLED``."""

    @property
    def enabled_by_default(self) -> bool:
        """Built-in plugins are on for every tenant until it disables them; third-party ones are off."""
        return self.builtin

    def validate_config(self, config: Mapping[str, Any]) -> EnabledPlugin:
        """``config`` checked against the plugin's schema; raises ``PluginConfigInvalid`` listing every problem."""
        from pejling.core.plugin_enablement import validate_config

        return validate_config(self, config)

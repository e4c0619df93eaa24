"""GraphQL types of the plugins a tenant can switch on, off and configure (the portal's channels and integrations)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from pejling.core.plugin_catalogue import LoadedPlugin
from pejling.core.plugin_enablement import ALWAYS_ON, EnabledPlugin
from pejling.graphql.errors import UserError

SECRET_NAME = re.compile(r"(secret|token|password|passphrase|private|api_?key|credential)", re.IGNORECASE)
"""Configuration fields read back as null: by name, or marked ``writeOnly`` / ``format: password`` in the schema."""


def secret_fields(plugin: LoadedPlugin) -> list[str]:
    """The top-level configuration fields of ``plugin`` that are never read back through the API."""
    if plugin.settings_schema is None:
        return []
    properties: Mapping[str, Any] = plugin.settings_schema.model_json_schema().get("properties", {})
    return sorted(
        name for name, spec in properties.items()
        if SECRET_NAME.search(name) or spec.get("writeOnly") or spec.get("format") == "password"
    )


def masked(config: Mapping[str, Any], secrets: list[str]) -> dict[str, Any]:
    """``config`` with every secret field's value replaced by null (the field stays, so a form knows it is set)."""
    return {key: (None if key in secrets else value) for key, value in config.items()}


@strawberry.type(description="What a plugin brings: scoring models, channels and integrations, by id.")
class PluginProvides:
    scoring_models: list[str]
    channels: list[str]
    integrations: list[str]


@strawberry.type(name="Plugin", description="An installed plugin and its state for the current tenant.")
class PluginType:
    name: str = strawberry.field(description="The plugin's name, used by enablePlugin and disablePlugin.")
    builtin: bool = strawberry.field(description="Shipped with Pejling (on until the tenant switches it off).")
    source: str = strawberry.field(description="'built-in', or the Python distribution that installed it.")
    provides: PluginProvides
    enabled: bool = strawberry.field(description="On for this tenant.")
    enabled_by_default: bool
    always_on_reason: str | None = strawberry.field(description="Why it cannot be switched off; null when it can.")
    settings_schema: JSON | None = strawberry.field(description="The JSON Schema of its configuration; null: none.")
    config: JSON | None = strawberry.field(description="The tenant's configuration with secret fields null (owners "
                                           "and admins only; null for others and when it has none).")
    secret_fields: list[str] = strawberry.field(description="Configuration fields that are write-only: leave one "
                                                "out of enablePlugin's config to keep the stored value.")

    @classmethod
    def of(cls, plugin: LoadedPlugin, enabled: EnabledPlugin | None, stored: Mapping[str, Any] | None,
           admin: bool) -> PluginType:
        secrets = secret_fields(plugin)
        config = stored if stored is not None else (enabled.config if enabled is not None else None)
        return cls(
            name=plugin.name, builtin=plugin.builtin,
            source="built-in" if plugin.builtin else (plugin.distribution or plugin.module),
            provides=PluginProvides(scoring_models=[m.id for m in plugin.scoring_models],
                                    channels=[c.id for c in plugin.channels],
                                    integrations=[i.id for i in plugin.integrations]),
            enabled=enabled is not None, enabled_by_default=plugin.enabled_by_default,
            always_on_reason=ALWAYS_ON.get(plugin.name) or plugin.operator_only,
            settings_schema=cast(JSON, plugin.settings_schema.model_json_schema()) if plugin.settings_schema else None,
            config=cast(JSON, masked(config, secrets)) if admin and config else None,
            secret_fields=secrets,
        )


@strawberry.type
class PluginPayload:
    plugin: PluginType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

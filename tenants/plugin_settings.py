"""Which plugins a tenant has enabled, and the configuration it gave each of them."""

from __future__ import annotations

from typing import Any

from tortoise import fields

from pejling.tenants.scope import TenantModel


class PluginSetting(TenantModel):
    """A tenant choice for one plugin: enabled or not, with its validated configuration.

    A plugin without a row is in its default state: built-in plugins enabled, others disabled.
    """

    id = fields.UUIDField(primary_key=True)
    plugin = fields.CharField(max_length=100)
    enabled = fields.BooleanField(default=True)
    config: Any = fields.JSONField(default=dict)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "plugin_setting"
        unique_together = (("tenant", "plugin"),)

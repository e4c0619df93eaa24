"""Key rotation: reseal every secret stored at rest under the newest key of ``PEJLING_ENCRYPTION_KEYS``.

The procedure (docs/security.md, "Secrets and keys"): put a new key first in ``PEJLING_ENCRYPTION_KEYS`` and keep
the old ones after it, restart (everything still opens: :class:`~cryptography.fernet.MultiFernet` tries each key),
run ``pejling rotate-keys``, then remove the old keys.

What is resealed:

* every column a model names in ``SEALED_FIELDS`` (a tuple of field names on the model class) — core's and
  plugins' models alike, found through Tortoise's registry, so a plugin's table only has to name its columns;
* every sealed string in plugins' per-tenant settings (``plugin_setting.config``, at any depth: a value that looks
  like a Fernet token);
* the channel devices' secrets (NFC tag keys), including those sealed in the format used before keys were
  rotatable (:func:`~pejling.core.surveys.channel_devices.legacy_secret`).

A value that no key opens is reported by its table, column and row id (never the value) and left as it is.
Each row is rewritten with its own UPDATE, keyset-paged by id, so the command's memory does not grow with the data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from tortoise import Tortoise

from pejling.core.secrets_at_rest import SealedSecretError, reseal
from pejling.core.settings import Settings
from pejling.tenants.scope import all_tenants, tenant_scope

#: Fernet tokens start with the version byte 0x80, which is "gAAAAA" in url-safe base64.
FERNET_PREFIX = "gAAAAA"
PAGE = 500


@dataclass
class RotationReport:
    """What a rotation did: values resealed per ``table.column``, and the values that did not open."""

    resealed: dict[str, int] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)

    def count(self, place: str) -> None:
        self.resealed[place] = self.resealed.get(place, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.resealed.values())


def sealed_models() -> list[Any]:
    """Every registered model that names sealed columns in ``SEALED_FIELDS``."""
    found = [model for app in Tortoise.apps.values() for model in app.values() if getattr(model, "SEALED_FIELDS", ())]
    return sorted(found, key=lambda model: model._meta.db_table)


async def pages_by_id(model: Any, columns: Sequence[str], size: int = PAGE) -> Any:
    """The rows of ``model`` in the current scope as dicts of ``columns`` (``id`` among them), a page at a time,
    keyset-paged by ``id``: memory does not grow with the table."""
    after = None
    while True:
        query = model.all().order_by("id").limit(size)  # a model or a queryset of it
        if after is not None:
            query = query.filter(id__gt=after)
        rows = await query.values(*dict.fromkeys(("id", *columns)))
        if not rows:
            return
        yield rows
        after = rows[-1]["id"]


async def _reseal_columns(model: Any, settings: Settings, report: RotationReport,
                          user_ids: Sequence[UUID] | None = None) -> None:
    columns = tuple(model.SEALED_FIELDS)
    table = model._meta.db_table
    rows_of = model if user_ids is None else model.filter(user_id__in=list(user_ids))
    async for rows in pages_by_id(rows_of, columns):
        for row in rows:
            changes: dict[str, str] = {}
            for column in columns:
                if row[column]:
                    try:
                        changes[column] = reseal(row[column], settings=settings)
                    except SealedSecretError:
                        report.unreadable.append(f"{table}.{column} id={row['id']}")
                        continue
                    report.count(f"{table}.{column}")
            if changes:
                await model.filter(id=row["id"]).update(**changes)


def _reseal_tree(value: Any, reseal_one: Callable[[str], str]) -> Any:
    """``value`` (JSON) with every string that looks sealed replaced by ``reseal_one`` of it."""
    if isinstance(value, str) and value.startswith(FERNET_PREFIX):
        return reseal_one(value)
    if isinstance(value, dict):
        return {key: _reseal_tree(item, reseal_one) for key, item in value.items()}
    if isinstance(value, list):
        return [_reseal_tree(item, reseal_one) for item in value]
    return value


async def _reseal_plugin_settings(settings: Settings, report: RotationReport) -> None:
    from pejling.tenants.plugin_settings import PluginSetting

    async for rows in pages_by_id(PluginSetting, ("config", "plugin")):
        for row in rows:
            place = f"plugin_setting.config[{row['plugin']}]"

            def one(sealed: str, row: Any = row, place: str = place) -> str:
                try:
                    fresh = reseal(sealed, settings=settings)
                except SealedSecretError:
                    report.unreadable.append(f"{place} id={row['id']}")
                    return sealed
                report.count(place)
                return fresh

            config = _reseal_tree(row["config"], one)
            if config != row["config"]:
                await PluginSetting.filter(id=row["id"]).update(config=config)


async def _reseal_devices(settings: Settings, report: RotationReport) -> None:
    from pejling.core.surveys.channel_devices import legacy_secret, seal_secret
    from pejling.core.surveys.models import ChannelDevice

    async for rows in pages_by_id(ChannelDevice, ("secret", "tenant_id")):
        for row in rows:
            if not row["secret"]:
                continue
            try:
                fresh = reseal(row["secret"], settings=settings)
            except SealedSecretError:
                plain = legacy_secret(settings, row["tenant_id"], row["id"], row["secret"])
                if plain is None:
                    report.unreadable.append(f"channel_device.secret id={row['id']}")
                    continue
                fresh = seal_secret(settings, row["tenant_id"], row["id"], plain)
            await ChannelDevice.filter(id=row["id"]).update(secret=fresh)
            report.count("channel_device.secret")


async def rotate_keys(settings: Settings, tenant_ids: Sequence[UUID] | None = None) -> RotationReport:
    """Reseal every stored secret under the newest key (see the module's description); the database is open.

    ``tenant_ids`` limits the rotation to those tenants and their members' own secrets (a large install may go tenant
    by tenant); ``None``: all.
    """
    from pejling.tenants.models import Membership
    from pejling.tenants.scope import TenantModel

    report = RotationReport()
    tenant_models = [model for model in sealed_models() if issubclass(model, TenantModel)]
    scopes = [all_tenants()] if tenant_ids is None else [tenant_scope(tenant_id) for tenant_id in tenant_ids]
    for scope in scopes:
        with scope:
            for model in tenant_models:
                await _reseal_columns(model, settings, report)
            await _reseal_plugin_settings(settings, report)
            await _reseal_devices(settings, report)
    # A person's own secrets (an authenticator app's) belong to no tenant: all of them in a full run, else those of
    # the members of the tenants rotated (each once).
    with all_tenants():
        members: list[UUID] | None = None if tenant_ids is None else list(await Membership.filter(
            tenant_id__in=list(tenant_ids)).distinct().values_list("user_id", flat=True))  # type: ignore[arg-type]
        for model in sealed_models():
            if not issubclass(model, TenantModel):
                await _reseal_columns(model, settings, report, user_ids=members)
    return report

"""``pejling plugins`` run as a real command against the test database."""

from __future__ import annotations

from pathlib import Path

import pytest

from pejling.core.plugin_manager import UnknownTenant, describe_plugins, load_plugins
from pejling.core.settings import Settings
from pejling.tenants.signup import create_tenant_with_owner
from tests.conftest import unique
from tests.support.cli import pejling


def row(output: str, name: str) -> list[str]:
    lines = [line.split() for line in output.splitlines() if line.split()[:1] == [name]]
    assert len(lines) == 1, output
    return lines[0]


async def test_plugins_command_lists_installed_plugins_and_a_tenants_enabled_set(
    database: Settings, tmp_path: Path
) -> None:
    code, out, err = await pejling(database, tmp_path, "plugins")
    assert code == 0, err
    for name in ("nps", "csat", "ces"):
        assert row(out, name)[1:3] == ["built-in", "enabled"]
    example = row(out, "example")
    assert example[1:4] == ["pejling-example-plugin", "0.1.0", "disabled"]
    assert "/plugins/example/" in " ".join(example)

    slug = unique("cli")
    tenant, _ = await create_tenant_with_owner(
        tenant_name="CLI shop", tenant_slug=slug, email=f"{slug}@example.com", password="plugins-are-fun-42"
    )
    plugins = await load_plugins(database)
    await plugins.enable_plugin(tenant.id, "example", {"greeting": "Hej"})
    await plugins.disable_plugin(tenant.id, "csat")

    code, out, err = await pejling(database, tmp_path, "plugins", "--tenant", slug)
    assert code == 0, err
    assert f"enabled for {slug}" in out
    assert row(out, "example")[3] == "yes"
    assert row(out, "csat")[2] == "no"
    assert row(out, "nps")[2] == "yes"



async def test_unknown_tenant_is_a_clear_error(database: Settings) -> None:
    with pytest.raises(UnknownTenant, match="no tenant with slug 'no-such-tenant-here'"):
        await describe_plugins(await load_plugins(database), tenant_slug="no-such-tenant-here")

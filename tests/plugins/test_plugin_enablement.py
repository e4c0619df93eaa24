"""Per-tenant enablement: defaults, validated configuration, the cached enabled set, event dispatch."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pejling_example_plugin
import pytest

from pejling.core.contracts import Answer, ShopperResponse, SummaryOptions
from pejling.core.plugin_manager import PluginConfigInvalid, Plugins, UnknownPlugin, load_plugins
from pejling.core.settings import Settings
from pejling.tenants.plugin_settings import PluginSetting
from pejling.tenants.scope import TenantScopeMissing, tenant_scope
from pejling.tenants.signup import create_tenant_with_owner
from tests.conftest import unique


async def new_tenant() -> UUID:
    slug = unique("plug")
    tenant, _ = await create_tenant_with_owner(
        tenant_name=f"Shop {slug}", tenant_slug=slug, email=f"{slug}@example.com", password="plugins-are-fun-42"
    )
    return tenant.id


@pytest.fixture
async def plugins(database: Settings) -> Plugins:
    return await load_plugins(database)


def response(tenant_id: UUID) -> ShopperResponse:
    return ShopperResponse(uuid4(), tenant_id, datetime.now(UTC), (Answer("nps-recommend", 10, 812.0),))


async def stored(tenant_id: UUID) -> dict[str, tuple[bool, dict]]:
    with tenant_scope(tenant_id):
        return {row.plugin: (row.enabled, row.config) for row in await PluginSetting.all()}


async def test_builtins_are_on_and_third_party_plugins_off_by_default(plugins: Plugins) -> None:
    tenant_id = await new_tenant()
    enabled = await plugins.enabled_plugins(tenant_id)
    assert {"nps", "csat", "ces"} <= set(enabled)
    assert "example" not in enabled
    assert enabled["nps"].config == {}
    assert enabled["nps"].settings is not None and enabled["nps"].settings.min_responses == 30
    assert await stored(tenant_id) == {}


async def test_enabling_validates_config_and_lists_every_invalid_field(plugins: Plugins) -> None:
    tenant_id = await new_tenant()
    with pytest.raises(PluginConfigInvalid) as refused:
        await plugins.enable_plugin(tenant_id, "example", {"smiles": 9, "colour": "red"})
    problems = {p.field: p.message for p in refused.value.problems}
    assert set(problems) == {"greeting", "smiles", "colour"}
    assert "less than or equal to 5" in problems["smiles"]
    assert refused.value.plugin == "example"
    assert await stored(tenant_id) == {}
    assert "example" not in await plugins.enabled_plugins(tenant_id)

    with pytest.raises(PluginConfigInvalid, match="min_responses"):
        await plugins.enable_plugin(tenant_id, "nps", {"min_responses": 0})
    assert await stored(tenant_id) == {}

    enabled = await plugins.enable_plugin(tenant_id, "example", {"greeting": "Hej", "smiles": "4"})
    assert enabled.config == {"greeting": "Hej", "smiles": 4}
    assert isinstance(enabled.settings, pejling_example_plugin.ExampleSettings)
    assert await stored(tenant_id) == {"example": (True, {"greeting": "Hej", "smiles": 4})}
    assert (await plugins.enabled_plugins(tenant_id))["example"].config == {"greeting": "Hej", "smiles": 4}


async def test_unknown_plugin_and_plugin_without_schema(plugins: Plugins) -> None:
    tenant_id = await new_tenant()
    with pytest.raises(UnknownPlugin):
        await plugins.enable_plugin(tenant_id, "no-such-plugin", {})
    with pytest.raises(UnknownPlugin):
        await plugins.disable_plugin(tenant_id, "no-such-plugin")

    class Bare:
        pass

    bare = await load_plugins(
        plugins.settings, builtin_plugins=(), entry_points=False, extra_plugins=[("bare", Bare())]
    )
    with pytest.raises(PluginConfigInvalid, match="takes no configuration"):
        await bare.enable_plugin(tenant_id, "bare", {"x": 1})
    assert (await bare.enable_plugin(tenant_id, "bare")).config == {}


async def test_the_enabled_set_is_cached_and_invalidated_by_changes(plugins: Plugins) -> None:
    tenant_id = await new_tenant()
    first = await plugins.enabled_plugins(tenant_id)
    assert "csat" in first
    with pytest.raises(TypeError):
        first["example"] = first["csat"]  # type: ignore[index]  # the cached set is read-only

    # A change behind the plugin manager's back is not seen: the set is not re-read per call.
    with tenant_scope(tenant_id):
        await PluginSetting.create(plugin="csat", enabled=False)
    assert await plugins.enabled_plugins(tenant_id) is first

    # A change through the manager clears the tenant's entry at once.
    await plugins.disable_plugin(tenant_id, "ces")
    now = await plugins.enabled_plugins(tenant_id)
    assert "csat" not in now and "ces" not in now and "nps" in now
    assert await stored(tenant_id) == {"csat": (False, {}), "ces": (False, {})}

    await plugins.enable_plugin(tenant_id, "ces", {"confidence": 0.9})
    tenant = await plugins.plugins_for_tenant(tenant_id)
    assert "ces" in tenant.names
    assert tenant.summary_options("ces") == SummaryOptions(min_n=30, confidence=0.9)
    models = {m.id for m in tenant.scoring_models}
    assert {"nps", "ces"} <= models and "csat" not in models and "example-smiles" not in models


async def test_stored_config_that_no_longer_validates_turns_the_plugin_off(plugins: Plugins) -> None:
    tenant_id = await new_tenant()
    with tenant_scope(tenant_id):
        await PluginSetting.create(plugin="example", enabled=True, config={"greeting": ""})
    assert "example" not in await plugins.enabled_plugins(tenant_id)


async def test_plugin_settings_are_tenant_scoped(plugins: Plugins) -> None:
    with pytest.raises(TenantScopeMissing):
        await PluginSetting.all()
    a, b = await new_tenant(), await new_tenant()
    await plugins.enable_plugin(a, "example", {"greeting": "Hei"})
    assert "example" in await plugins.enabled_plugins(a)
    assert "example" not in await plugins.enabled_plugins(b)
    assert await stored(b) == {}


async def test_events_reach_only_plugins_enabled_for_the_tenant(plugins: Plugins) -> None:
    on, off = await new_tenant(), await new_tenant()
    await plugins.enable_plugin(on, "example", {"greeting": "Hallo"})

    sent_off = response(off)
    await (await plugins.plugins_for_tenant(off)).call_hook("response_received", tenant_id=off, response=sent_off)
    assert (off, sent_off.id) not in pejling_example_plugin.RECEIVED

    sent_on = response(on)
    # The listener is async and asserts it runs inside the tenant's scope.
    await (await plugins.plugins_for_tenant(on)).call_hook("response_received", tenant_id=on, response=sent_on)
    assert (on, sent_on.id) in pejling_example_plugin.RECEIVED

    await plugins.disable_plugin(on, "example")
    again = response(on)
    await (await plugins.plugins_for_tenant(on)).call_hook("response_received", tenant_id=on, response=again)
    assert (on, again.id) not in pejling_example_plugin.RECEIVED

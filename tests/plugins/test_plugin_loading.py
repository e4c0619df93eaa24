"""Loading: built-ins and the installed third-party example plugin, validation at start-up."""

from __future__ import annotations

import pejling_example_plugin
import pytest
from pydantic import BaseModel

from pejling.core.contracts import Channel, ScoringModel, ScoringSettings
from pejling.core.hookspecs import hookimpl
from pejling.core.plugin_manager import BUILTIN_PLUGINS, PluginLoadError, load_plugins, register_plugins
from pejling.core.settings import Settings


def make_settings(**overrides: object) -> Settings:
    return Settings(environment="test", **overrides)  # type: ignore[arg-type]


async def test_builtins_and_entry_point_plugin_are_loaded() -> None:
    plugins = await load_plugins(make_settings())
    assert {"nps", "csat", "ces", "example"} <= set(plugins.loaded)
    builtins = {path.rsplit(".", 1)[-1] for path in BUILTIN_PLUGINS}
    assert {p.name for p in plugins.loaded.values() if p.builtin} == builtins

    example = plugins.loaded["example"]
    assert not example.builtin
    assert example.distribution == "pejling-example-plugin 0.1.0"
    assert plugins.pm.get_plugin("example") is pejling_example_plugin
    assert "response_received" in example.hooks
    assert [m.id for m in example.scoring_models] == ["example-smiles"]
    assert [getattr(r, "path", None) for r in example.routes] == ["/received"]
    assert example.settings_schema is pejling_example_plugin.ExampleSettings  # returned by an async hook
    assert pejling_example_plugin.ExampleSmileSummary in plugins.graphql_types()

    models = {m.id: m for m in plugins.scoring_models()}
    assert {"nps", "csat", "ces", "example-smiles"} <= set(models)
    assert all(isinstance(m, ScoringModel) for m in models.values())
    assert plugins.loaded["nps"].settings_schema is ScoringSettings
    assert plugins.plugin_of_model("example-smiles") == "example"


async def test_plugins_disabled_setting_keeps_builtin_and_third_party_plugins_out() -> None:
    plugins = await load_plugins(make_settings(plugins_disabled=["csat", "example"]))
    assert "csat" not in plugins.loaded and "example" not in plugins.loaded
    assert {"nps", "ces"} <= set(plugins.loaded)
    assert "csat" not in {m.id for m in plugins.scoring_models()}
    assert plugins.pm.get_plugin("example") is None


async def test_builtins_are_registered_from_the_list_like_any_plugin() -> None:
    plugins = await load_plugins(make_settings(), builtin_plugins=("pejling.plugins.scoring.nps",), entry_points=False)
    assert list(plugins.loaded) == ["nps"]


async def test_a_misspelt_hook_stops_start_up() -> None:
    class Typo:
        @hookimpl
        def register_scoring_model(self):  # missing "s"
            return []

    with pytest.raises(PluginLoadError, match="register_scoring_model"):
        await load_plugins(make_settings(), entry_points=False, extra_plugins=[("typo", Typo())])


async def test_a_parameter_the_hook_does_not_have_stops_start_up() -> None:
    class Wrong:
        @hookimpl
        def response_received(self, tenant_id, shopper):
            pass

    with pytest.raises(PluginLoadError, match="shopper"):
        await load_plugins(make_settings(), entry_points=False, extra_plugins=[("wrong", Wrong())])


async def test_a_wrong_return_type_stops_start_up() -> None:
    class NotAModel:
        @hookimpl
        def register_scoring_models(self):
            return ["nps"]

    with pytest.raises(PluginLoadError, match="not a ScoringModel"):
        await load_plugins(make_settings(), entry_points=False, extra_plugins=[("broken", NotAModel())])


async def test_a_duplicate_scoring_model_id_stops_start_up() -> None:
    from pejling.plugins.scoring.nps import NetPromoterScore

    class AnotherNps:
        @hookimpl
        def register_scoring_models(self):
            return [NetPromoterScore()]

    with pytest.raises(PluginLoadError, match="'nps' is registered by both"):
        await load_plugins(make_settings(), entry_points=False, extra_plugins=[("nps-again", AnotherNps())])


async def test_a_bad_plugin_name_is_refused() -> None:
    with pytest.raises(PluginLoadError, match="plugin name"):
        await load_plugins(make_settings(), entry_points=False, extra_plugins=[("Bad Name/..", object())])


async def test_single_integration_schema_is_the_plugin_schema_and_channels_are_collected() -> None:
    from pejling.core.contracts import Integration, InvitationTarget

    class ShopConfig(BaseModel):
        shop: str

    class Shop(Integration):
        id = "shop"
        name = "Shop"
        config_schema = ShopConfig

    class Poster(Channel):
        id = "poster"
        name = "Poster"

    class ShopPlugin:
        @hookimpl
        async def register_integrations(self):
            return [Shop()]

        @hookimpl
        def register_channels(self):
            return lambda: [Poster()]  # a zero-argument function is resolved too

    plugins = await load_plugins(
        make_settings(), builtin_plugins=(), entry_points=False, extra_plugins=[("shop", ShopPlugin())]
    )
    loaded = plugins.loaded["shop"]
    assert loaded.settings_schema is ShopConfig
    assert [c.id for c in plugins.channels()] == ["poster"]
    url = plugins.channels()[0].invitation_url(InvitationTarget("https://x.example/s/acme/oslo?lang=nb", token="abc"))
    assert url == "https://x.example/s/acme/oslo?lang=nb&ch=poster&t=abc"


@pytest.mark.parametrize("hook", ["register_app_routes", "app_started"])
async def test_only_builtin_plugins_may_reach_the_app_itself(hook: str) -> None:
    def implementation(self):
        return None

    implementation.__name__ = hook
    outsider = type("Outsider", (), {hook: hookimpl(implementation)})()
    with pytest.raises(PluginLoadError, match=f"'outsider' implements {hook}, which only built-in plugins may"):
        await load_plugins(
            make_settings(), builtin_plugins=(), entry_points=False, extra_plugins=[("outsider", outsider)]
        )


def test_the_graphql_api_is_a_builtin_plugin_that_mounts_graphql() -> None:
    registry = register_plugins(make_settings(), builtin_plugins=("pejling.graphql.api",), entry_points=False)
    assert [getattr(route, "path", None) for route in registry.app_routes()] == ["/graphql"]
    assert "pejling.graphql.api" in BUILTIN_PLUGINS


def test_app_routes_must_be_routes_not_awaitables(monkeypatch: pytest.MonkeyPatch) -> None:
    import pejling.graphql.api as api

    async def later() -> list[object]:
        return []

    monkeypatch.setattr(api, "register_app_routes", hookimpl(later))
    registry = register_plugins(make_settings(), builtin_plugins=("pejling.graphql.api",), entry_points=False)
    with pytest.raises(PluginLoadError, match="register_app_routes must return routes"):
        registry.app_routes()


async def test_the_schema_holds_plugin_types_once_the_app_started() -> None:
    from starlette.applications import Starlette

    plugins = await load_plugins(make_settings())
    app = Starlette()
    await plugins.call_hook("app_started", app=app, plugins=plugins)
    assert "ExampleSmileSummary" in app.state.graphql.schema.as_str()

"""Plugins contribute Tortoise apps (their own tables and migrations) through ``register_model_apps``."""

from __future__ import annotations

from typing import Any

import pytest

from pejling.core.database import MODEL_APPS, model_apps
from pejling.core.hookspecs import hookimpl
from pejling.core.plugin_manager import PluginLoadError, register_plugins
from pejling.core.settings import Settings

APP = {"models": ["shelf_plugin.models"], "migrations": "shelf_plugin.migrations"}


def plugin_returning(result: Any) -> object:
    def register_model_apps(self):
        return result

    return type("Shelf", (), {"register_model_apps": hookimpl(register_model_apps)})()


def apps_of(*plugins: tuple[str, object]) -> dict[str, dict[str, Any]]:
    registry = register_plugins(Settings(environment="test"), builtin_plugins=(), entry_points=False,
                                extra_plugins=list(plugins))
    return registry.model_apps(taken=MODEL_APPS)


def test_a_plugin_app_is_collected_under_its_label() -> None:
    assert apps_of(("shelf", plugin_returning({"shelf": APP}))) == {"shelf": APP}


@pytest.mark.parametrize(
    ("result", "message"),
    [
        ({"surveys": APP}, "'surveys' is taken"),
        ({"Shelf-Items": APP}, "use lowercase letters"),
        ({"shelf": {"models": "shelf_plugin.models", "migrations": "m"}}, "needs 'models'"),
        ({"shelf": {"models": ["shelf_plugin.models"]}}, "needs 'models'"),
        ([APP], "must return a mapping"),
    ],
)
def test_a_malformed_or_clashing_app_is_refused_with_its_plugin_named(result: Any, message: str) -> None:
    with pytest.raises(PluginLoadError, match=f"plugin 'shelf'.*{message}"):
        apps_of(("shelf", plugin_returning(result)))


def test_two_plugins_cannot_claim_one_label() -> None:
    with pytest.raises(PluginLoadError, match="plugin 'second'.*'shelf' is taken"):
        apps_of(("first", plugin_returning({"shelf": APP})), ("second", plugin_returning({"shelf": APP})))


def test_an_awaitable_is_refused() -> None:
    async def later(self):
        return {"shelf": APP}

    later.__name__ = "register_model_apps"
    plugin = type("Shelf", (), {"register_model_apps": hookimpl(later)})()
    with pytest.raises(PluginLoadError, match="must return a mapping"):
        apps_of(("shelf", plugin))


def test_the_database_configuration_holds_core_apps_and_the_loaded_plugins_apps() -> None:
    apps = model_apps(Settings(environment="test"))
    assert set(MODEL_APPS) <= set(apps)

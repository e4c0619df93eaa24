"""Production carries nothing meant for development switched on (ASVS V15.2.3; core/dev_only.py).

``pejling demo`` refuses in production, through the real command, and touches nothing; ``pejling serve`` and the app
refuse to start with a dev- or test-only switch on; a production app serves no dev-only route.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from pydantic import SecretStr
from starlette.routing import BaseRoute, Route

from pejling.core.app import create_app
from pejling.core.auth.sso.sso_settings import get_sso_settings
from pejling.core.dev_only import DEMO_REFUSED, DevOnlyInProduction, DevSwitch, demo_refusal, production_refusal
from pejling.core.followups import use_settings as use_followup_settings
from pejling.core.logs import configure_logging
from pejling.core.plugin_manager import ENTRY_POINT_GROUP, register_plugins
from pejling.core.settings import Settings
from pejling.tenants.demo import DEMO_SLUG
from pejling.tenants.models import Membership, Store, Tenant, User
from pejling.tenants.scope import all_tenants
from tests.support.cli import pejling

PRODUCTION = {"PEJLING_ENVIRONMENT": "production", "PEJLING_SECRET_KEY": "production-secret-" + "p" * 32,
              "PEJLING_MAIL_TO_FILES": "true", "PEJLING_API_RATE_LIMITS": "true", "PEJLING_DEMO_INSTANCE": "false"}
#: The dev- and test-only switches, off: a subprocess must not inherit one from the environment of the run.
SWITCHES_OFF = {"PEJLING_WEBHOOKS_ALLOW_PRIVATE": "false", "PEJLING_SSO_ALLOW_HTTP_ISSUERS": "false",
                "PEJLING_SSO_ALLOW_PRIVATE_ISSUERS": "false", "PEJLING_VIPPS_ALLOW_PRIVATE_ISSUER": "false"}


@pytest.fixture
def switches_off(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every dev- and test-only switch off in this process (the SSO tests leave theirs on for the whole session)."""
    for name, value in SWITCHES_OFF.items():
        monkeypatch.setenv(name, value)
    for name in ("PEJLING_VIPPS_API_BASE_URL", "PEJLING_STRIPE_API_BASE", "PEJLING_SHOPIFY_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    get_sso_settings.cache_clear()
    # The Shopify tests configure this process as the app of their local shop for the whole session.
    monkeypatch.setattr(importlib.import_module("pejling.plugins.shopify.app_settings"), "_override", None)
    yield
    get_sso_settings.cache_clear()


def _production(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(update={"environment": "production", "mail_to_files": True, "api_rate_limits": True,
                                       "demo_instance": False, **changes})


async def _counts() -> tuple[int, ...]:
    with all_tenants():
        return (await Tenant.all().count(), await User.all().count(), await Membership.all().count(),
                await Store.all().count(), int(await Tenant.exists(slug=DEMO_SLUG)))


async def test_pejling_demo_refuses_in_production_and_changes_nothing(database: Settings, tmp_path: Path) -> None:
    before = await _counts()
    code, out, err = await pejling(database, tmp_path, "demo", environment={**PRODUCTION, **SWITCHES_OFF})
    assert code == 2, (out, err)
    assert err.splitlines() == [f"error: {DEMO_REFUSED}"]  # one line, saying what to set for a demo on purpose
    assert "PEJLING_DEMO_INSTANCE=true" in err and out == ""
    assert await _counts() == before
    assert not (tmp_path / "demo-logins.json").exists()


def test_a_demo_instance_may_be_seeded_in_production_and_dev_and_test_always(settings: Settings) -> None:
    assert demo_refusal(_production(settings)) == DEMO_REFUSED
    assert demo_refusal(_production(settings, demo_instance=True)) is None
    assert demo_refusal(settings.model_copy(update={"environment": "dev"})) is None
    assert demo_refusal(settings) is None  # the test environment


async def test_pejling_serve_refuses_in_production_while_a_test_only_switch_is_on(
    database: Settings, tmp_path: Path
) -> None:
    environment = {**PRODUCTION, **SWITCHES_OFF, "PEJLING_WEBHOOKS_ALLOW_PRIVATE": "true"}
    code, out, err = await pejling(database, tmp_path, "serve", "--port", "1", environment=environment)
    assert code == 2, (out, err)
    assert len(err.splitlines()) == 1 and err.startswith("error: in production, switches meant for development")
    assert "PEJLING_WEBHOOKS_ALLOW_PRIVATE=true" in err and "PEJLING_DEMO_INSTANCE=true" in err
    code, out, err = await pejling(database, tmp_path, "worker",
                                   environment={**PRODUCTION, **SWITCHES_OFF, "PEJLING_API_RATE_LIMITS": "false"})
    assert code == 2 and "PEJLING_API_RATE_LIMITS=false" in err, (out, err)


def test_the_app_refuses_a_dev_switch_in_production_but_not_on_a_demo_instance(
    database: Settings, switches_off: None
) -> None:
    try:
        with pytest.raises(DevOnlyInProduction, match="PEJLING_API_RATE_LIMITS=false"):
            create_app(_production(database, api_rate_limits=False), manage_database=False)
        create_app(_production(database, api_rate_limits=False, demo_instance=True), manage_database=False)
        create_app(database, manage_database=False)  # the test environment: the suite runs without the budgets
        with pytest.raises(RuntimeError, match="PEJLING_SECRET_KEY must be set in production"):
            _production(database, secret_key=SecretStr("")).secret_bytes()  # no key kept in a file, as in dev
    finally:
        configure_logging(database)
        use_followup_settings(database)


def test_every_plugin_switch_is_named_and_counts_only_when_on(
    database: Settings, switches_off: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = register_plugins(database, entry_points=False)
    switches = registry.dev_switches()
    named = {switch.setting.split("=")[0] for switch in switches}
    assert {"PEJLING_WEBHOOKS_ALLOW_PRIVATE", "PEJLING_VIPPS_ALLOW_PRIVATE_ISSUER", "PEJLING_VIPPS_API_BASE_URL",
            "PEJLING_STRIPE_API_BASE", "PEJLING_SHOPIFY_API_BASE"} <= named
    assert [switch.setting for switch in switches if switch.on] == []
    monkeypatch.setenv("PEJLING_STRIPE_API_BASE", "http://127.0.0.1:8420")  # localstripe
    monkeypatch.setenv("PEJLING_VIPPS_ALLOW_PRIVATE_ISSUER", "1")
    assert sorted(switch.setting for switch in registry.dev_switches() if switch.on) == [
        "PEJLING_STRIPE_API_BASE=http://…", "PEJLING_VIPPS_ALLOW_PRIVATE_ISSUER=true"]
    monkeypatch.setenv("PEJLING_STRIPE_API_BASE", "https://stripe-egress.example.net")  # a proxy of the operator's
    assert "PEJLING_STRIPE_API_BASE=http://…" not in {switch.setting for switch in registry.dev_switches()
                                                      if switch.on}
    off = DevSwitch("PEJLING_X=true", "x", on=False)
    assert production_refusal(_production(database), [off]) is None
    on = DevSwitch("PEJLING_Y=true", "what y does", on=True)
    assert production_refusal(_production(database), [off, on]) == (
        "in production, switches meant for development and tests are on: PEJLING_Y=true (what y does). Unset them, "
        "or set PEJLING_DEMO_INSTANCE=true if this instance is a demo on purpose.")
    assert production_refusal(database, [on]) is None


#: What marks a route as meant for development, benchmarks or tests: its path or its endpoint's module.
DEV_ONLY_PATH = re.compile(r"(^|/)(bench|debug|demo|dev|test|tests|_[a-z_]*|__[a-z_]*)(/|$)", re.I)


def _routes(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, endpoint) of the routing table, mounts walked."""
    for route in routes:
        path = prefix + getattr(route, "path", "")
        children = getattr(route, "routes", None)
        if children:
            yield from _routes(list(children), path)
        else:
            yield path or "/", getattr(route, "endpoint", getattr(route, "app", None))


def _dev_only(routes: Iterable[tuple[str, Any]]) -> list[str]:
    """The routes among (path, endpoint) pairs that look meant for development, benchmarks or tests."""
    found = []
    for path, endpoint in routes:
        module = getattr(endpoint, "__module__", "") or ""
        if DEV_ONLY_PATH.search(re.sub(r"\{[^}]+\}", "x", path)) or module.split(".")[0] == "tests":
            found.append(f"{path} ({module})")
    return found


def _third_party_plugins() -> list[str]:
    """The entry-point plugins of this virtual environment that are not Pejling's (the suite's own test plugins)."""
    return [entry.name for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
            if entry.dist is None or entry.dist.name != "pejling"]


async def test_a_production_app_serves_no_dev_only_route(database: Settings, switches_off: None) -> None:
    # The production package: the built-in plugins only (the suite's test plugins are not part of it).
    production = _production(database, plugins_disabled=_third_party_plugins())
    try:
        app = create_app(production, manage_database=False)
        async with LifespanManager(app) as manager:
            routes = [*_routes(app.routes), *_routes(list(app.state.plugins.router.routes), "/plugins")]
            paths = [path for path, _ in routes]
            assert len(paths) > 40 and "/graphql" in paths and "/healthz" in paths  # the walk saw the whole app
            assert _dev_only(routes) == []
            # GraphiQL is a product feature (integrators try the API after logging in); the schema is not shown to
            # anonymous callers in production, as it is in dev.
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                answer = await client.post("/graphql", json={"query": "{ __schema { types { name } } }"})
                assert answer.json().get("data") is None and "introspection" in answer.text.lower()
    finally:
        configure_logging(database)
        use_followup_settings(database)
    # The detector is not blind: the bench app's plain route and a test helper would be found.
    from tests.bench.bench_app import PLAIN_PATH, plain_typename

    assert _dev_only(_routes([Route(PLAIN_PATH, plain_typename), Route("/_reset", plain_typename)])) == [
        f"{PLAIN_PATH} (tests.bench.bench_app)", "/_reset (tests.bench.bench_app)"]

"""Plugin routes are served behind core's check: authenticated, in a tenant that enabled the plugin."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from pejling.core.auth.actor import ANONYMOUS, Actor
from pejling.core.plugin_manager import Plugins, load_plugins
from pejling.core.plugin_routes import PluginRoutes, RouteRefused, admit
from pejling.core.settings import Settings
from pejling.tenants.signup import create_tenant_with_owner
from tests.conftest import unique


async def owner() -> tuple[str, UUID, UUID]:
    slug = unique("route")
    tenant, user = await create_tenant_with_owner(
        tenant_name=f"Shop {slug}", tenant_slug=slug, email=f"{slug}@example.com", password="plugins-are-fun-42"
    )
    return slug, tenant.id, user.id


@pytest.fixture
async def plugins(database: Settings) -> Plugins:
    return await load_plugins(database)


def app_as(actor: Actor, plugins: Plugins) -> Starlette:
    """The plugin mount with a fixed actor in front (the real actor middleware is tested by auth)."""

    class FixedActor:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            scope.setdefault("state", {})["actor"] = actor
            await self.app(scope, receive, send)

    from starlette.middleware import Middleware

    app = Starlette(routes=[Mount("/plugins", app=PluginRoutes())], middleware=[Middleware(FixedActor)])
    app.state.plugins = plugins
    return app


async def get(app: Any, path: str, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        return await http.get(path, headers=headers)


async def test_anonymous_requests_to_plugin_routes_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/plugins/example/received")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthenticated"
    assert (await client.get("/plugins/no-such-plugin/received")).status_code == 404
    assert (await client.get("/plugins/nps/anything")).status_code == 404  # nps has no routes


async def test_admit_needs_an_authenticated_member_of_a_tenant_that_enabled_the_plugin(plugins: Plugins) -> None:
    slug, tenant_id, user_id = await owner()
    other_slug, _, other_user = await owner()
    member = Actor(user_id=user_id)

    with pytest.raises(RouteRefused) as refused:
        await admit(plugins, "example", ANONYMOUS, slug)
    assert refused.value.status == 401

    with pytest.raises(RouteRefused) as refused:
        await admit(plugins, "example", member, slug)  # not enabled
    assert refused.value.status == 404

    await plugins.enable_plugin(tenant_id, "example", {"greeting": "Hej"})
    admission = await admit(plugins, "example", member, slug)
    assert admission.tenant.id == tenant_id
    assert admission.actor.tenant_id == tenant_id and admission.actor.role is not None
    assert admission.plugin.config == {"greeting": "Hej"}
    assert (await admit(plugins, "example", member, None)).tenant.id == tenant_id  # their only membership

    for actor, tenant_slug in [(Actor(user_id=other_user), slug), (member, other_slug), (member, "no-such-tenant")]:
        with pytest.raises(RouteRefused) as refused:
            await admit(plugins, "example", actor, tenant_slug)
        assert refused.value.status == 404


async def test_plugin_route_runs_in_the_tenant_scope_with_its_config(plugins: Plugins) -> None:
    slug, tenant_id, user_id = await owner()
    app = app_as(Actor(user_id=user_id), plugins)

    assert (await get(app, "/plugins/example/received", **{"X-Pejling-Tenant": slug})).status_code == 404
    await plugins.enable_plugin(tenant_id, "example", {"greeting": "Moi"})

    response = await get(app, "/plugins/example/received", **{"X-Pejling-Tenant": slug})
    assert response.status_code == 200
    assert response.json() == {"tenant": str(tenant_id), "greeting": "Moi", "received": 0}
    assert (await get(app, "/plugins/example/missing", **{"X-Pejling-Tenant": slug})).status_code == 404

    anonymous = app_as(ANONYMOUS, plugins)
    assert (await get(anonymous, "/plugins/example/received", **{"X-Pejling-Tenant": slug})).status_code == 401

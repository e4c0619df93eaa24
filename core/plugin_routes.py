"""Plugin routes, served under ``/plugins/<plugin name>/`` behind core's check.

Plugin handlers are not trusted to check permissions themselves (pretix: plugin URLs are "on their
own"). Before a plugin route runs, :func:`admit` requires an authenticated actor, resolves its
tenant (the ``X-Pejling-Tenant`` header or the actor's only membership) and requires the plugin to
be enabled there. Anonymous requests get ``401``; everything else that is refused gets the same
``404`` as an unknown path, so nobody learns which plugins a tenant uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette._utils import get_route_path
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from pejling.core.auth.actor import ANONYMOUS, Actor
from pejling.core.plugin_manager import EnabledPlugin, Plugins
from pejling.tenants.middleware import TENANT_HEADER, TenantNotFound, resolve_tenant
from pejling.tenants.models import Tenant
from pejling.tenants.scope import tenant_scope


class RouteRefused(Exception):
    """The actor may not use this plugin route; ``status`` is 401 (not logged in), 403 (the tenant requires
    two-step login the person does not have yet, or ``error`` ``password_change_required``: the person must choose
    their own password first) or 404."""

    def __init__(self, status: int, error: str | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = _PASSWORD_CHANGE_REFUSAL if error == "password_change_required" else _REFUSALS[status]


@dataclass(frozen=True)
class Admission:
    """Who may use the plugin route, in which tenant, with which plugin configuration."""

    actor: Actor
    tenant: Tenant
    plugin: EnabledPlugin


async def admit(plugins: Plugins, name: str, actor: Actor, tenant_slug: str | None) -> Admission:
    """Check that ``actor`` may use the routes of plugin ``name``; raises :class:`RouteRefused`."""
    if not actor.authenticated:
        raise RouteRefused(401)
    if actor.password_change_required:  # whatever the tenant: nothing until the generated password is changed
        raise RouteRefused(403, "password_change_required")
    try:
        tenant, actor = await resolve_tenant(actor, tenant_slug)
    except TenantNotFound:
        raise RouteRefused(404) from None
    if tenant is None:
        raise RouteRefused(404)
    if actor.two_step_missing:
        raise RouteRefused(403)
    enabled = (await plugins.enabled_plugins(tenant.id)).get(name)
    if enabled is None:
        raise RouteRefused(404)
    return Admission(actor, tenant, enabled)


_REFUSALS = {
    401: {"error": "unauthenticated", "message": "Log in or use an API token."},
    403: {"error": "two_step_required", "message": "This business requires two-step login."},
    404: {"error": "not_found", "message": "Not found."},
}
_PASSWORD_CHANGE_REFUSAL = {"error": "password_change_required", "message": "Choose your own password first."}


class PluginRoutes:
    """The ASGI app mounted at ``/plugins``: finds the plugin, admits the actor, then runs the plugin route."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        plugins: Plugins | None = getattr(scope["app"].state, "plugins", None)
        name = get_route_path(scope).lstrip("/").split("/", 1)[0]
        if plugins is None or name not in plugins.loaded or not plugins.loaded[name].routes:
            await self._refuse(404, scope, receive, send)
            return
        state = scope.setdefault("state", {})
        raw = dict(scope["headers"]).get(TENANT_HEADER)
        try:
            admission = await admit(
                plugins, name, state.get("actor", ANONYMOUS), raw.decode("latin-1").strip() if raw else None
            )
        except RouteRefused as refused:
            await JSONResponse(refused.body, status_code=refused.status)(scope, receive, send)
            return
        state["actor"] = admission.actor
        state["tenant"] = admission.tenant
        state["plugin"] = admission.plugin
        with tenant_scope(admission.tenant.id):
            await plugins.router(scope, receive, send)

    @staticmethod
    async def _refuse(status: int, scope: Scope, receive: Receive, send: Send) -> None:
        await JSONResponse(_REFUSALS[status], status_code=status)(scope, receive, send)

"""Who may do what. Queries raise :class:`ApiError`; mutations get a :class:`UserError` to return."""

from __future__ import annotations

from pejling.core.auth.actor import READ, WRITE, Actor
from pejling.graphql.context import Info
from pejling.graphql.errors import ApiError, UserError, forbidden
from pejling.tenants.models import Tenant


def _unauthenticated(info: Info) -> ApiError:
    info.context.response.status_code = 401
    return ApiError("Log in or send an API token.", "UNAUTHENTICATED")


def require_actor(info: Info) -> Actor:
    actor = info.context.actor
    if not actor.authenticated:
        raise _unauthenticated(info)
    return actor


def require_tenant(info: Info, scope: str = READ) -> tuple[Tenant, Actor]:
    """The current tenant for a query; raises unless the actor is a member with the given token scope."""
    actor = require_actor(info)
    tenant = info.context.tenant
    if tenant is None:
        raise ApiError("Choose a tenant with the X-Pejling-Tenant header (its slug).", "TENANT_REQUIRED")
    if not actor.can(scope):
        raise ApiError(f"This API token lacks the {scope} scope.", "FORBIDDEN")
    return tenant, actor


def mutation_guard(info: Info, *, admin: bool = True) -> tuple[Tenant | None, UserError | None]:
    """For tenant mutations: the tenant, or the typed error to return instead (nothing is changed)."""
    actor = info.context.actor
    if not actor.authenticated:
        info.context.response.status_code = 401
        return None, UserError(code="unauthenticated", message="Log in or send an API token.")
    tenant = info.context.tenant
    if tenant is None:
        return None, UserError(code="tenant_required", message="Choose a tenant with the X-Pejling-Tenant header.")
    if not actor.can(WRITE):
        return None, forbidden("This API token lacks the write scope.")
    if admin and not actor.is_admin:
        return None, forbidden()
    return tenant, None

"""Sets the tenant scope of each API request (pure ASGI, so the ContextVar reaches the handlers).

The tenant comes from the API token (a token belongs to exactly one tenant) or, for a logged-in
user, from the ``X-Pejling-Tenant`` header (a tenant slug; for a ``GET`` under ``/api/``, a download link, also the
``tenant`` query parameter) or their only membership. For a session the actor middleware has already read that
membership and its tenant with the session, in the same statement (:func:`pejling.core.auth.sessions.
session_from_cookie`); then no query is made here. An unknown
tenant, a malformed slug and a tenant the actor is not a member of get the same ``404``: no
existence leak.

A tenant scope is not an authorisation, so only members and their tokens get one: an anonymous
request is never put in a tenant's scope, whatever header it sends (the header is not even looked
up). Public shopper calls such as ``submitResponse`` name their tenant in their input and open the
scope themselves, for that one submission.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from urllib.parse import parse_qs, parse_qsl
from uuid import UUID

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from pejling.core.auth.actor import ANONYMOUS, Actor
from pejling.core.auth.sessions import LiveSession, SessionMember
from pejling.core.repeated_parameters import repeated_name
from pejling.core.security_events import refused
from pejling.tenants.models import Membership, Role, Tenant
from pejling.tenants.scope import all_tenants, tenant_scope
from pejling.tenants.signup import SLUG

TENANT_HEADER = b"x-pejling-tenant"


class TenantNotFound(Exception):
    """Unknown tenant, or one the actor may not see: both answer the same."""


async def resolve_tenant(actor: Actor, slug: str | None) -> tuple[Tenant | None, Actor]:
    """The tenant this request works in and the actor completed with its role there."""
    if not actor.authenticated:
        return None, actor
    if not well_formed(slug):
        raise TenantNotFound
    if actor.token_id is None and actor.token_tenant_id is None and actor.user_id is not None:
        return await _session_tenant(actor, actor.user_id, slug)
    with all_tenants():
        if actor.token_tenant_id is not None:
            tenant = await Tenant.get_or_none(id=actor.token_tenant_id)
            if tenant is None or (slug and slug != tenant.slug):
                raise TenantNotFound
        elif slug:
            tenant = await Tenant.get_or_none(slug=slug)
            if tenant is None:
                raise TenantNotFound
        elif actor.user_id is not None:
            memberships = await Membership.filter(user_id=actor.user_id).order_by("created_at").limit(2)
            if len(memberships) != 1:
                return None, actor
            tenant = await Tenant.get(id=memberships[0].tenant_id)
        else:
            return None, actor
    if actor.token_id is not None:
        # A token acts with the rights of the member who made it, narrowed by its scopes.
        role, stores = await _membership_of(tenant.id, actor.user_id)
        return tenant, actor.in_tenant(tenant.id, role or Role.ANALYST, stores)
    role, stores = await _membership_of(tenant.id, actor.user_id)
    if role is None:
        raise TenantNotFound
    return tenant, actor.in_tenant(tenant.id, role, stores)


async def _session_tenant(actor: Actor, user_id: UUID, slug: str | None) -> tuple[Tenant | None, Actor]:
    """A logged-in user's tenant (named by ``slug``, else their only one) with their membership, in one query."""
    with all_tenants():
        query = Membership.filter(user_id=user_id)
        if slug:
            query = query.filter(tenant__slug=slug)
        memberships = await query.order_by("created_at").limit(2).select_related("tenant")
    members = []
    for membership in memberships:
        role, stores = _rights(membership)
        members.append(SessionMember(tenant=membership.tenant, role=role, store_ids=stores, has_two_step=None))
    if len(members) == 1 and _asks_two_step(actor, members[0].tenant):
        from pejling.core.auth.two_step import has_two_step

        members[0] = replace(members[0], has_two_step=await has_two_step(user_id))
    return member_tenant(actor, members, slug)


def _asks_two_step(actor: Actor, tenant: Tenant) -> bool:
    return tenant.require_two_step and actor.via_session and not actor.via_sso


def member_tenant(actor: Actor, members: Sequence[SessionMember], slug: str | None) -> tuple[Tenant | None, Actor]:
    """The tenant of a logged-in person's memberships (the one in ``slug``'s tenant, else their first two) and the
    actor completed with their role there; raises :class:`TenantNotFound` when ``slug`` names none of theirs."""
    if slug and not members:
        raise TenantNotFound  # no such tenant, or not theirs: the same answer
    if len(members) != 1:
        return None, actor
    member = members[0]
    completed = actor.in_tenant(member.tenant.id, member.role, member.store_ids)
    if _asks_two_step(completed, member.tenant) and not member.has_two_step:
        completed = replace(completed, two_step_missing=True)
    return member.tenant, completed


def _rights(membership: Membership) -> tuple[Role, frozenset[UUID] | None]:
    role = Role(membership.role)
    stores = frozenset(UUID(s) for s in membership.store_ids) if role is Role.STORE_MANAGER else None
    return role, stores


async def _membership_of(tenant_id: UUID, user_id: UUID | None) -> tuple[Role | None, frozenset[UUID] | None]:
    if user_id is None:
        return None, None
    with tenant_scope(tenant_id):
        membership = await Membership.get_or_none(user_id=user_id)
    if membership is None:
        return None, None
    return _rights(membership)


def _query_tenant(scope: Scope) -> str | None:
    """The ``tenant`` query parameter of a GET (a download link names its tenant), or None."""
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("tenant")
    return values[0].strip() or None if values else None


def _tenant_repeated(scope: Scope) -> bool:
    """True when the query gives ``tenant`` more than once (the middleware and a route could read different ones)."""
    query = scope.get("query_string", b"")
    if query.count(b"tenant=") < 2:  # the common case, without parsing
        return False
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    return repeated_name((name, value) for name, value in pairs if name == "tenant") is not None


def requested_slug(scope: Scope) -> str | None:
    """The tenant an API request names: ``X-Pejling-Tenant``, else (a ``GET`` under ``/api/``, a download link) the
    ``tenant`` query parameter; None when it names none. Not checked against :data:`SLUG` here."""
    raw = dict(scope["headers"]).get(TENANT_HEADER)
    slug = raw.decode("latin-1").strip() or None if raw else None
    if slug is None and scope["method"] in ("GET", "HEAD") and scope["path"].startswith("/api/"):
        slug = _query_tenant(scope)  # a download link clicked in the portal: no header can come with it
    return slug


def well_formed(slug: str | None) -> bool:
    """True for no slug or one that could name a tenant."""
    return slug is None or SLUG.match(slug) is not None


class TenantMiddleware:
    """Puts the request inside its tenant's scope for the API paths it guards."""

    def __init__(self, app: ASGIApp, paths: tuple[str, ...] = ("/graphql", "/api/")) -> None:
        self.app = app
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.paths):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        actor: Actor = state.get("actor", ANONYMOUS)
        if actor.password_change_required and not scope["path"].startswith("/graphql"):
            # Whatever the tenant, nothing but changing the generated password, which GraphQL keeps open
            # (pejling.graphql.password_change_rule).
            await JSONResponse({"error": "password_change_required",
                                "message": "Choose your own password first."}, status_code=403)(scope, receive, send)
            return
        if _tenant_repeated(scope):  # one value per parameter (core/repeated_parameters.py)
            await JSONResponse({"error": "repeated_parameter", "message": "The parameter 'tenant' is given more "
                                "than once; give each parameter once."}, status_code=400)(scope, receive, send)
            return
        slug = requested_slug(scope)
        session = state.get("session")
        try:
            if (isinstance(session, LiveSession) and session.members is not None and session.id == actor.session_id
                    and actor.token_id is None and session.tenant_slug == slug and well_formed(slug)):
                # The actor middleware read the memberships with the session (one statement, this request).
                tenant, actor = member_tenant(actor, session.members, slug)
            else:
                tenant, actor = await resolve_tenant(actor, slug)
        except TenantNotFound:
            refused("tenant_refused", scope)
            await JSONResponse({"error": "tenant_not_found", "message": "No such tenant."}, status_code=404)(
                scope, receive, send
            )
            return
        state["actor"] = actor
        state["tenant"] = tenant
        if actor.two_step_missing and not scope["path"].startswith("/graphql"):
            # Downloads and other tenant routes: nothing until the person has two-step login (GraphQL keeps
            # enrolment open, pejling.graphql.two_step_rule).
            await JSONResponse({"error": "two_step_required",
                                "message": "This business requires two-step login."}, status_code=403)(
                scope, receive, send
            )
            return
        if tenant is None:
            await self.app(scope, receive, send)
            return
        with tenant_scope(tenant.id):
            await self.app(scope, receive, send)

"""Who is making a request: a logged-in user, an integrator's API token, or nobody.

The actor middleware (:mod:`pejling.core.auth.middleware`) puts an :class:`Actor` into
``request.state.actor``; the tenant middleware then completes it with the tenant and role.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from uuid import UUID

from pejling.tenants.models import Role

READ = "read"
WRITE = "write"

#: Roles that may change a tenant's configuration (stores, zones, members, tokens).
ADMIN_ROLES = frozenset({Role.OWNER, Role.ADMIN})


@dataclass(frozen=True)
class Actor:
    """The authenticated party of one request, and what it may do in the current tenant."""

    user_id: UUID | None = None
    token_id: UUID | None = None
    session_id: UUID | None = None
    token_tenant_id: UUID | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    tenant_id: UUID | None = None
    role: Role | None = None
    store_ids: frozenset[UUID] | None = None
    """For a store manager: the only stores they may see. ``None`` means every store."""
    via_sso: bool = False
    """The session was opened by single sign-on."""
    two_step_missing: bool = False
    """The tenant requires two-step login and this password session's person has none: only enrolment is open."""
    password_change_required: bool = False
    """This password session's person still has a generated password: only changing it is open
    (:mod:`pejling.core.auth.generated_passwords`)."""

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None or self.token_id is not None

    @property
    def via_session(self) -> bool:
        return self.session_id is not None

    def can(self, scope: str) -> bool:
        """Token scopes limit what a token may do; a logged-in user has both read and write."""
        if self.token_id is not None:
            return scope in self.scopes
        return self.user_id is not None

    def in_tenant(self, tenant_id: UUID, role: Role | None, store_ids: frozenset[UUID] | None) -> Actor:
        return replace(self, tenant_id=tenant_id, role=role, store_ids=store_ids)

    @property
    def is_admin(self) -> bool:
        return self.role in ADMIN_ROLES


ANONYMOUS = Actor()

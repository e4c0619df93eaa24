"""What a tenant holds of its shoppers, counted: the fuzz tests check that a refusal changes none of it."""

from __future__ import annotations

from uuid import UUID

from pejling.core.surveys.models import Answer, Invitation, Response
from pejling.tenants.scope import tenant_scope


async def stored_counts(tenant_id: UUID) -> tuple[int, int, int]:
    """The tenant's responses, answer rows and used invitations."""
    with tenant_scope(tenant_id):
        return (
            await Response.all().count(),
            await Answer.all().count(),
            await Invitation.filter(used_at__isnull=False).count(),
        )

"""Usage metered where it happens: stores, this month's shopper responses and seats (members and open invitations)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from pejling.core.surveys.models import Response
from pejling.tenants.models import Invitation, Membership, Store
from pejling.tenants.scope import tenant_scope


def month_start(now: datetime | None = None) -> datetime:
    """Midnight UTC on the first day of ``now``'s month: responses count against the plan from here."""
    now = now or datetime.now(UTC)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Usage:
    stores: int
    monthly_responses: int
    seats: int


async def responses_this_month(tenant_id: UUID) -> int:
    with tenant_scope(tenant_id):
        return await Response.filter(received_at__gte=month_start()).count()


async def seats(tenant_id: UUID) -> int:
    """Members plus pending invitations: an invitation takes a seat until it is accepted, revoked or expired."""
    now = datetime.now(UTC)
    with tenant_scope(tenant_id):
        members = await Membership.all().count()
        pending = await Invitation.filter(accepted_at=None, revoked_at=None, expires_at__gt=now).count()
    return members + pending


async def stores(tenant_id: UUID) -> int:
    with tenant_scope(tenant_id):
        return await Store.all().count()


async def usage(tenant_id: UUID) -> Usage:
    """The tenant's usage now."""
    return Usage(stores=await stores(tenant_id), monthly_responses=await responses_this_month(tenant_id),
                 seats=await seats(tenant_id))

"""Read the audit log: ``auditLog``, newest first, for owners and admins (the CSV: ``/api/audit-log.csv``)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from pejling.core.audit.models import AuditEntry
from pejling.core.audit.reading import AuditFilter, actor_id_of, may_read_audit_log
from pejling.graphql.audit.types import AuditEntryConnection, AuditEntryEdge, AuditEntryNode
from pejling.graphql.context import Info
from pejling.graphql.errors import ApiError
from pejling.graphql.followups.pages import keyset_page
from pejling.graphql.permissions import require_tenant


@strawberry.type
class AuditQuery:
    @strawberry.field(description="The audit log, newest first, in pages of at most 100 (owners and admins): who "
                      "changed what (every mutation) and who read shopper data. actor: a member (their own entries "
                      "and their API tokens') or an API token, by global id, or the actorId an entry shows; since "
                      "is inclusive, until is not. The same as CSV: GET /api/audit-log.csv with these parameters.")
    async def audit_log(self, info: Info, first: int | None = 20, after: str | None = None,
                        actor: strawberry.ID | None = None, operation: str | None = None,
                        since: datetime | None = None, until: datetime | None = None) -> AuditEntryConnection:
        _, member = require_tenant(info)
        if not may_read_audit_log(member):
            raise ApiError("Only owners and admins can read the audit log.", "FORBIDDEN")
        filters = AuditFilter(actor_id=await actor_id_of(str(actor)) if actor else None, operation=operation or None,
                              since=since, until=until)
        rows, page_info, cursors = await keyset_page(filters.apply(AuditEntry.all()), time_field="at", first=first,
                                                     after=after)
        return AuditEntryConnection(
            edges=[AuditEntryEdge(cursor=c, node=AuditEntryNode.from_model(r)) for r, c in zip(rows, cursors,
                                                                                                strict=True)],
            page_info=page_info,
        )

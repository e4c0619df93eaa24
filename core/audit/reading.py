"""Reading the audit log: the filters of ``auditLog`` and of the CSV download, and the CSV rows.

Only owners and admins read the log (:func:`may_read_audit_log`); like every tenant model it is read inside the
tenant's scope, so a tenant sees its own entries only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from strawberry import relay
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from pejling.core.audit.models import AuditEntry
from pejling.core.auth.actor import READ, Actor
from pejling.tenants.models import Membership

#: Rows read per query while the CSV streams.
PAGE_SIZE = 500
#: Matches no entry: an actor id that names nothing of this tenant.
NOBODY = UUID(int=0)

CSV_COLUMNS = ("at", "kind", "actor_kind", "actor_id", "user_id", "operation", "fields", "shopper_fields",
               "object_ids", "outcome", "error_codes", "address_hash")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def may_read_audit_log(actor: Actor) -> bool:
    """Owners and admins (an API token: with the read scope)."""
    return actor.is_admin and actor.can(READ)


@dataclass(frozen=True)
class AuditFilter:
    """Which entries: every part is optional and they combine with AND. ``since`` is inclusive, ``until`` not."""

    actor_id: UUID | None = None
    """An API token, or a person: a person's own entries and those of the API tokens they made."""
    operation: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, query: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        if self.actor_id is not None:
            query = query.filter(Q(actor_id=self.actor_id) | Q(user_id=self.actor_id))
        if self.operation:
            query = query.filter(operation=self.operation)
        if self.since is not None:
            query = query.filter(at__gte=self.since)
        if self.until is not None:
            query = query.filter(at__lt=self.until)
        return query


async def actor_id_of(value: str) -> UUID:
    """The actor an ``actor`` filter names: a Member's or ApiToken's global id, or a user or token UUID as the log
    shows it. Anything else (another tenant's member, a malformed id) names :data:`NOBODY`."""
    try:
        return UUID(value)
    except ValueError:
        pass
    try:
        global_id = relay.GlobalID.from_id(value)
        node_id = UUID(global_id.node_id)
    except (ValueError, TypeError):
        return NOBODY
    if global_id.type_name == "ApiToken":
        return node_id
    if global_id.type_name == "Member":
        membership = await Membership.get_or_none(id=node_id)
        return membership.user_id if membership is not None else NOBODY
    return NOBODY


def _cell(value: Any) -> str:
    text = " ".join(str(v) for v in value) if isinstance(value, list) else "" if value is None else str(value)
    # A spreadsheet would run a cell starting with = + - @ as a formula: keep it text.
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_row(entry: AuditEntry) -> list[str]:
    """One entry as a CSV row (:data:`CSV_COLUMNS`); lists are space-separated."""
    values = (entry.at.isoformat(), entry.kind, entry.actor_kind, entry.actor_id, entry.user_id, entry.operation,
              entry.field_names, entry.shopper_fields, entry.object_ids, entry.outcome, entry.error_codes,
              entry.address_hash)
    return [_cell(getattr(v, "value", v)) for v in values]


async def csv_chunks(filters: AuditFilter, page_size: int = PAGE_SIZE) -> AsyncIterator[str]:
    """The entries ``filters`` covers as CSV, newest first, a page at a time (keyset on ``(at, id)``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    after: tuple[datetime, UUID] | None = None
    while True:
        query = filters.apply(AuditEntry.all())
        if after is not None:
            query = query.filter(Q(at__lt=after[0]) | Q(at=after[0], id__lt=after[1]))
        page = list(await query.order_by("-at", "-id").limit(page_size))
        for entry in page:
            writer.writerow(csv_row(entry))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if len(page) < page_size:
            return
        after = (page[-1].at, page[-1].id)

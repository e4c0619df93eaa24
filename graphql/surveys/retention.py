"""The tenant's retention of shopper responses (owners and admins): read and set (core/surveys/retention.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from pejling.core.surveys import retention
from pejling.core.surveys.models import Response
from pejling.graphql.context import Info
from pejling.graphql.errors import ApiError, UserError, invalid
from pejling.graphql.permissions import mutation_guard, require_tenant
from pejling.tenants.models import Tenant

# strawberry.enum registers the model enum in place; the alias keeps it usable as an annotation.
strawberry.enum(retention.RetentionMode, name="RetentionMode",
                description="What happens to a response older than the retention.")
RetentionMode = retention.RetentionMode


@strawberry.type(name="Retention", description="How long shopper responses are kept. An hourly job anonymises or "
                 "deletes older ones (a first purge of much data spreads over a few hours).")
class RetentionType:
    months: int | None = strawberry.field(description="Months responses are kept; null: until a shopper asks "
                                          "for their erasure.")
    mode: RetentionMode = strawberry.field(description="ANONYMISE keeps the answers and every figure, removing "
                                           "comments, contact details, receipt codes and follow-ups; DELETE erases "
                                           "the responses and takes them out of the figures.")
    cutoff: datetime | None = strawberry.field(description="Responses submitted before this are purged; null "
                                               "without a retention.")
    due: int = strawberry.field(description="Responses older than the cutoff still waiting for the purge.")

    @classmethod
    async def of(cls, tenant: Tenant) -> RetentionType:
        mode = retention.RetentionMode(tenant.retention_mode)
        if tenant.retention_months is None:
            return cls(months=None, mode=mode, cutoff=None, due=0)
        cutoff = retention.months_before(datetime.now(UTC), tenant.retention_months)
        waiting = Response.filter(submitted_at__lt=cutoff)
        if mode is retention.RetentionMode.ANONYMISE:
            waiting = waiting.filter(anonymised_at=None)
        return cls(months=tenant.retention_months, mode=mode, cutoff=cutoff, due=await waiting.count())


@strawberry.type
class RetentionPayload:
    retention: RetentionType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RetentionQuery:
    @strawberry.field(description="How long shopper responses are kept (owners and admins).")
    async def retention(self, info: Info) -> RetentionType:
        tenant, actor = require_tenant(info)
        if not actor.is_admin:
            raise ApiError("Only owners and admins can see the retention.", "FORBIDDEN")
        return await RetentionType.of(tenant)


@strawberry.type
class RetentionMutation:
    @strawberry.mutation(description=f"Keep shopper responses for {retention.MONTHS_MIN}-{retention.MONTHS_MAX} "
                         "months, then anonymise or delete them (owners and admins); a null (or no) months keeps "
                         "them until erased. Takes effect at the next hourly purge.")
    async def set_retention(self, info: Info, months: int | None = None,
                            mode: RetentionMode = RetentionMode.ANONYMISE) -> RetentionPayload:
        tenant, error = mutation_guard(info)
        if error or tenant is None:
            return RetentionPayload(errors=[error] if error else [])
        if months is not None and not retention.MONTHS_MIN <= months <= retention.MONTHS_MAX:
            return RetentionPayload(errors=[invalid(
                "months", f"Give a whole number of months from {retention.MONTHS_MIN} to {retention.MONTHS_MAX}, "
                "or null to keep responses until erased.")])
        tenant.retention_months = months
        tenant.retention_mode = RetentionMode(mode).value
        await tenant.save(update_fields=["retention_months", "retention_mode"])
        return RetentionPayload(retention=await RetentionType.of(tenant))

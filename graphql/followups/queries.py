"""Read alert rules, follow-ups, responses (a filtered cursor connection) and exports."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry
from tortoise.queryset import QuerySet

from pejling.core.followups import models
from pejling.core.followups.refusals import FollowUpRefused
from pejling.core.followups.response_filters import ResponseFilter, check_channels
from pejling.core.followups.rules import rules_for
from pejling.core.surveys.channels import channel_registry
from pejling.core.surveys.models import Response
from pejling.graphql.context import Info
from pejling.graphql.errors import ApiError
from pejling.graphql.followups.pages import keyset_page
from pejling.graphql.followups.types import (
    AlertRuleNode,
    ExportNode,
    FollowUpConnection,
    FollowUpEdge,
    FollowUpNode,
    FollowUpStatus,
    ResponseConnection,
    ResponseEdge,
    ResponseNode,
)
from pejling.graphql.permissions import require_tenant
from pejling.graphql.relay_ids import decode_id
from pejling.graphql.tenants.types import visible_store_ids
from pejling.tenants.models import Role

MAX_FILTER_IDS = 500


@strawberry.input(description="Which responses: every field is optional and they combine with AND.")
class ResponseFilterInput:
    store_ids: list[strawberry.ID] | None = None
    zone_ids: list[strawberry.ID] | None = None
    channels: list[str] | None = None
    languages: list[str] | None = strawberry.field(
        default=None, description="The response language: any of da, nb, sv, en.")
    since: datetime | None = strawberry.field(default=None, description="Submitted at or after (with time zone).")
    until: datetime | None = strawberry.field(default=None, description="Submitted before (with time zone).")
    outcome_min: int | None = None
    outcome_max: int | None = None
    flagged: bool | None = strawberry.field(default=None, description="true: only flagged, false: only unflagged.")
    has_comment: bool | None = None
    verified_visit: bool | None = strawberry.field(
        default=None, description="true: only responses whose channel proved a real visit (a paid purchase's receipt "
        "link), false: only the others.")


def _ids(values: list[strawberry.ID] | None, type_name: str, field: str) -> frozenset[UUID]:
    values = values or []
    if len(values) > MAX_FILTER_IDS:
        raise FollowUpRefused("invalid", f"At most {MAX_FILTER_IDS} ids.", field)
    decoded = [decode_id(v, type_name) for v in values]
    if any(d is None for d in decoded):
        raise FollowUpRefused("invalid", f"{field} holds an id that is not a {type_name} id.", field)
    return frozenset(d for d in decoded if d is not None)


def response_filter(info: Info, given: ResponseFilterInput | None) -> ResponseFilter:
    """The filter asked for, narrowed to the stores the actor may see. Raises :class:`FollowUpRefused`."""
    given = given or ResponseFilterInput()
    if given.channels is not None and len(given.channels) > 20:
        raise FollowUpRefused("invalid", "At most 20 channels.", "channels")
    if given.languages is not None and len(given.languages) > 20:
        raise FollowUpRefused("invalid", "At most 20 languages.", "languages")
    filters = ResponseFilter(
        store_ids=_ids(given.store_ids, "Store", "storeIds"), zone_ids=_ids(given.zone_ids, "Zone", "zoneIds"),
        channels=check_channels(given.channels or (), channel_registry(info.context.plugins).keys),
        languages=frozenset(given.languages or ()),
        since=given.since, until=given.until,
        outcome_min=given.outcome_min, outcome_max=given.outcome_max, flagged=given.flagged,
        has_comment=given.has_comment, verified_visit=given.verified_visit,
    )
    return filters.within_stores(visible_store_ids(info))


def readable_exports(info: Info) -> QuerySet[models.Export]:
    """The exports this actor may see: all for owners, admins and analysts, their own for store managers."""
    query = models.Export.all()
    actor = info.context.actor
    if actor.role is Role.STORE_MANAGER:
        query = query.filter(requested_by_id=actor.user_id)
    if not actor.is_admin:
        query = query.filter(include_contact=False)
    return query


def _statuses(values: list[models.FollowUpStatus] | None) -> list[models.FollowUpStatus]:
    return [models.FollowUpStatus(v) for v in values or []]


@strawberry.type
class FollowUpQuery:
    @strawberry.field(description="The tenant's alert rules, oldest first (store managers: those watching every "
                      "store or one of theirs).")
    async def alert_rules(self, info: Info) -> list[AlertRuleNode]:
        require_tenant(info)
        return [AlertRuleNode.from_model(r) for r in await rules_for(visible_store_ids(info))]

    @strawberry.field(description="Follow-ups you may see (store managers: their stores), newest first.")
    async def follow_ups(
        self, info: Info, status: list[FollowUpStatus] | None = None,
        store_ids: list[strawberry.ID] | None = None, first: int | None = 20, after: str | None = None,
    ) -> FollowUpConnection:
        require_tenant(info)
        try:
            stores = _ids(store_ids, "Store", "storeIds")
        except FollowUpRefused as exc:
            raise ApiError(exc.message, "INVALID", field=exc.field) from None
        query = models.FollowUp.all()
        if status:
            query = query.filter(status__in=_statuses(status))
        allowed = visible_store_ids(info)
        if allowed is not None:
            stores = (stores & allowed) if stores else frozenset(allowed)
            if not stores:
                stores = frozenset({UUID(int=0)})
        if stores:
            query = query.filter(store_id__in=list(stores))
        rows, page_info, cursors = await keyset_page(query, time_field="created_at", first=first, after=after)
        return FollowUpConnection(
            edges=[FollowUpEdge(cursor=c, node=FollowUpNode.from_model(r)) for r, c in zip(rows, cursors, strict=True)],
            page_info=page_info,
        )

    @strawberry.field(description="One follow-up; null when it does not exist or is not yours.")
    async def follow_up(self, info: Info, id: strawberry.ID) -> FollowUpNode | None:
        require_tenant(info)
        found = await FollowUpNode.resolve_nodes(info=info, node_ids=[str(decode_id(id, "FollowUp") or "")])
        return found[0]

    @strawberry.field(description="Responses you may see, newest first, filtered; pages of at most 100 (first/after).")
    async def responses(self, info: Info, filter: ResponseFilterInput | None = None, first: int | None = 20,
                        after: str | None = None) -> ResponseConnection:
        require_tenant(info)
        try:
            filters = response_filter(info, filter)
        except FollowUpRefused as exc:
            raise ApiError(exc.message, "INVALID", field=exc.field) from None
        rows, page_info, cursors = await keyset_page(filters.apply(Response.all()), time_field="submitted_at",
                                                     first=first, after=after)
        return ResponseConnection(
            edges=[ResponseEdge(cursor=c, node=ResponseNode.from_model(r)) for r, c in zip(rows, cursors, strict=True)],
            page_info=page_info,
        )

    @strawberry.field(description="Exports you may see, newest first (the 100 latest).")
    async def exports(self, info: Info) -> list[ExportNode]:
        require_tenant(info)
        rows = await readable_exports(info).order_by("-created_at", "-id").limit(100)
        return [ExportNode.from_model(e, info.context.settings.base_url) for e in rows]

    @strawberry.field(description="One export with its progress; null when it does not exist or is not yours.")
    async def export(self, info: Info, id: strawberry.ID) -> ExportNode | None:
        require_tenant(info)
        export_id = decode_id(id, "Export")
        if export_id is None:
            return None
        export = await readable_exports(info).get_or_none(id=export_id)
        return ExportNode.from_model(export, info.context.settings.base_url) if export else None

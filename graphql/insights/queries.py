"""The ``insights`` query (typed sections from rollups) and the store change log."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

import strawberry

from pejling.core.contracts import LANGUAGES
from pejling.core.insights import engine
from pejling.core.insights.models import StoreChange
from pejling.core.insights.statistics import MIN_N
from pejling.core.plugin_manager import Plugins, load_plugins
from pejling.graphql.context import Info
from pejling.graphql.errors import ApiError
from pejling.graphql.insights.converted_answers import graphql_insights
from pejling.graphql.insights.sections import Insights
from pejling.graphql.insights.types import (
    InsightCompareWith,
    InsightScopeInput,
    InsightScopeKind,
    PeriodInput,
    StoreChangeType,
)
from pejling.graphql.permissions import require_tenant
from pejling.graphql.relay_ids import decode_id
from pejling.graphql.tenants.types import visible_store_ids
from pejling.tenants import models


def _not_found(what: str) -> ApiError:
    return ApiError(f"No such {what}.", "NOT_FOUND")


async def plugins_of(info: Info) -> Plugins:
    """The app's loaded plugins (``app.state.plugins``, made in its lifespan); an app whose lifespan did not run
    loads them on first need and keeps them there."""
    if info.context.plugins is not None:
        return info.context.plugins
    state = info.context.request.app.state
    if getattr(state, "plugins", None) is None:
        state.plugins = await load_plugins(info.context.settings)
    plugins: Plugins = state.plugins
    return plugins


async def resolve_scope(info: Info, scope: InsightScopeInput) -> engine.Scope:
    """The engine scope for the input; ids of another tenant or invisible stores are simply not found."""
    allowed = visible_store_ids(info)
    kind = scope.kind
    if kind is InsightScopeKind.CHAIN:
        if scope.ids:
            raise ApiError("A CHAIN scope takes no ids.", "INVALID", field="scope.ids")
        if allowed is not None:
            return engine.Scope("stores", tuple(sorted(allowed, key=str)))
        return engine.Scope("chain")
    if not scope.ids:
        raise ApiError("Name at least one id for this scope.", "INVALID", field="scope.ids")
    if kind is InsightScopeKind.ZONE:
        zone_ids = [decode_id(i, "Zone") for i in scope.ids]
        if any(z is None for z in zone_ids):
            raise _not_found("zone")
        zones = await models.Zone.filter(id__in=[z for z in zone_ids if z])
        if len(zones) != len(set(zone_ids)) or (allowed is not None and any(z.store_id not in allowed for z in zones)):
            raise _not_found("zone")
        return engine.Scope("zone", tuple(sorted({z.store_id for z in zones}, key=str)),
                            tuple(sorted((z.id for z in zones), key=str)))
    if kind is InsightScopeKind.STORE and len(scope.ids) != 1:
        raise ApiError("A STORE scope takes exactly one store id.", "INVALID", field="scope.ids")
    store_ids = [decode_id(i, "Store") for i in scope.ids]
    if any(s is None for s in store_ids):
        raise _not_found("store")
    wanted = {s for s in store_ids if s}
    found = {s.id for s in await models.Store.filter(id__in=list(wanted))}
    if found != wanted or (allowed is not None and not wanted <= allowed):
        raise _not_found("store")
    return engine.Scope(kind.value, tuple(sorted(wanted, key=str)))


@strawberry.type
class InsightsQuery:
    @strawberry.field(
        description="Insights for a store, zone, group of stores or the chain over a period (from rollups)."
    )
    async def insights(
        self,
        info: Info,
        scope: InsightScopeInput,
        period: PeriodInput,
        compare_with: InsightCompareWith | None = None,
        channel: str | None = None,
        language: str | None = None,
    ) -> Insights:
        tenant, _ = require_tenant(info)
        if language is not None and language not in LANGUAGES:
            raise ApiError(f"language must be one of {', '.join(LANGUAGES)}.", "INVALID", field="language")
        resolved = await resolve_scope(info, scope)
        plugins = await plugins_of(info)
        enabled = await plugins.plugins_for_tenant(tenant.id)
        models_ = tuple((m, enabled.summary_options(m.id)) for m in enabled.scoring_models)
        options = (enabled.summary_options(engine.IMPLICIT_MODEL)
                   if any(m.id == engine.IMPLICIT_MODEL for m, _ in models_) else None)
        request = engine.Request(
            tenant_id=tenant.id,
            scope=resolved,
            start=period.from_,
            end=period.to,
            compare_with=compare_with.value if compare_with else None,
            language=language or (tenant.default_language if tenant.default_language in LANGUAGES else "en"),
            channel=channel,
            min_n=options.min_n if options else MIN_N,
            confidence=options.confidence if options else 0.95,
            models=models_,
            visible_store_ids=visible_store_ids(info),
            model_key=tuple(f"{m.id}@{m.version}:{o.min_n}:{o.confidence}" for m, o in models_),
        )
        try:
            answer = await engine.insights(request)
        except engine.InsightsRefused as exc:
            raise ApiError(exc.message, "INVALID", field=exc.field) from None
        return graphql_insights(answer)

    @strawberry.field(description="Logged store changes, newest first; optionally of one store and within a period.")
    async def store_changes(
        self, info: Info, store_id: strawberry.ID | None = None,
        from_: Annotated[dt.date | None, strawberry.argument(name="from")] = None, to: dt.date | None = None,
    ) -> list[StoreChangeType]:
        require_tenant(info)
        allowed = visible_store_ids(info)
        query = StoreChange.all().order_by("-date", "-created_at")
        if store_id is not None:
            sid: UUID | None = decode_id(store_id, "Store")
            if sid is None or (allowed is not None and sid not in allowed) or not await models.Store.exists(id=sid):
                raise _not_found("store")
            query = query.filter(store_id=sid)
        elif allowed is not None:
            query = query.filter(store_id__in=list(allowed))
        if from_ is not None:
            query = query.filter(date__gte=from_)
        if to is not None:
            query = query.filter(date__lte=to)
        return [StoreChangeType.from_model(c) for c in await query.limit(500)]

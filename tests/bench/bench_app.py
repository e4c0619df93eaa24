"""The app the HTTP bench serves: Pejling's own, plus bench-only plain JSON routes (never in production).

Both routes live under ``/api/`` so the same middleware runs before them as before ``/graphql``: the session lookup
and its actor, the CSRF check of a cookie POST, the tenant lookup of ``X-Pejling-Tenant`` and its scope. GraphQL's
figure divided by a route's is then the cost of the GraphQL layer itself, the database work being equal:

* ``POST /api/bench/typename`` answers what ``{ __typename }`` answers, for a logged-in actor;
* ``POST /api/bench/insights`` with ``{"store": <uuid>, "from": <date>, "to": <date>}`` makes the store insights
  request GraphQL's ``insights`` resolver makes (the store looked up, the tenant's plugins and scoring models read,
  the same engine call, its cache included) and answers the fields of the bench's dashboard query as plain JSON.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from uuid import UUID

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pejling.core.app import create_app
from pejling.core.contracts import LANGUAGES
from pejling.core.insights import engine
from pejling.core.insights.sections import Insights
from pejling.core.insights.statistics import MIN_N
from pejling.core.plugin_manager import load_plugins
from pejling.tenants import models

PLAIN_PATH = "/api/bench/typename"
PLAIN_INSIGHTS_PATH = "/api/bench/insights"


async def plain_typename(request: Request) -> JSONResponse:
    """What ``{ __typename }`` answers, for a logged-in actor, without GraphQL."""
    if not request.state.actor.authenticated:
        return JSONResponse({"error": "unauthenticated"}, status_code=401)
    return JSONResponse({"data": {"__typename": "Query"}})


def _interval(estimate: Any) -> dict[str, Any]:
    return {"value": estimate.value, "low": estimate.low, "high": estimate.high}


def dashboard_json(answer: Insights) -> dict[str, Any]:
    """The fields of ``http_bench.DASHBOARD_QUERY``, taken from the engine's answer."""
    return {
        "n": answer.n,
        "optimise": [{"rank": item.rank, "goal": item.goal, "levers": list(item.levers),
                      "uplift": _interval(item.uplift)} for item in answer.optimise],
        "nps": _interval(answer.nps),
        "drivers": {"r2": answer.drivers.r2, "drivers": [{"goal": d.goal, "importance": d.importance, "low": d.low,
                                                          "high": d.high} for d in answer.drivers.drivers]},
        "profile": {"items": [{"goal": item.goal, "fulfilment": _interval(item.fulfilment)}
                              for item in answer.profile.items]},
        "trends": {"weekly": [{"start": point.start.isoformat(), "n": point.n, "nps": point.nps}
                              for point in answer.trends.weekly]},
        "zones": [{"name": zone.name, "n": zone.n} for zone in answer.zones],
        "channels": [{"key": str(channel.key), "n": channel.n} for channel in answer.channels],
    }


async def plain_insights(request: Request) -> JSONResponse:
    """The store insights GraphQL's resolver would compute, for a member of the tenant, without GraphQL."""
    actor, tenant = request.state.actor, getattr(request.state, "tenant", None)
    if not actor.authenticated or tenant is None:
        return JSONResponse({"error": "unauthenticated"}, status_code=401)
    try:
        body = json.loads(await request.body())
        store_id = UUID(body["store"])
        start, end = dt.date.fromisoformat(body["from"]), dt.date.fromisoformat(body["to"])
    except (ValueError, KeyError, TypeError):
        return JSONResponse({"error": "invalid", "message": "Send store, from and to."}, status_code=400)
    allowed = actor.store_ids
    if not await models.Store.filter(id__in=[store_id]).exists() or (allowed is not None and store_id not in allowed):
        return JSONResponse({"error": "not_found"}, status_code=404)
    state = request.app.state
    if getattr(state, "plugins", None) is None:
        state.plugins = await load_plugins(state.settings)
    enabled = await state.plugins.plugins_for_tenant(tenant.id)
    models_ = tuple((m, enabled.summary_options(m.id)) for m in enabled.scoring_models)
    options = (enabled.summary_options(engine.IMPLICIT_MODEL)
               if any(m.id == engine.IMPLICIT_MODEL for m, _ in models_) else None)
    answer = await engine.insights(engine.Request(
        tenant_id=tenant.id, scope=engine.Scope("store", (store_id,)), start=start, end=end,
        language=tenant.default_language if tenant.default_language in LANGUAGES else "en",
        min_n=options.min_n if options else MIN_N, confidence=options.confidence if options else 0.95,
        models=models_, visible_store_ids=allowed,
        model_key=tuple(f"{m.id}@{m.version}:{o.min_n}:{o.confidence}" for m, o in models_),
    ))
    return JSONResponse(dashboard_json(answer))


def create_bench_app() -> Starlette:
    """``create_app()`` with the plain routes first in its routing table."""
    app = create_app()
    app.router.routes[0:0] = [Route(PLAIN_PATH, plain_typename, methods=["POST"]),
                              Route(PLAIN_INSIGHTS_PATH, plain_insights, methods=["POST"])]
    return app

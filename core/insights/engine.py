"""The insights engine: typed sections for a store, zone, group of stores or the chain over a period.

Reads rollups only (``insights_daily``, ``insights_store_daily``, ``insights_statement_daily``), summed in SQL; never
raw responses. Heavier models (key drivers with their bootstrap, the linear model) are computed on demand and the
whole answer is cached in the process, keyed by tenant, filters and the tenant's rollup version, so a new response
invalidates it.

Each section family has its module: ``chain`` (shrunk store means, top-quartile targets), ``profile``,
``key_drivers``, ``optimise`` (map and ranked list), ``model_sections`` (scoring plugins), ``trends``, ``benchmarks``
(stores, zones, channels), ``store_changes``, ``comparison``; ``rollup_sums`` reads the rollups and gives the figures
of a summed row. This module asks them in turn.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from pejling.core.goals import MODEL_ID
from pejling.core.insights.benchmarks import channel_benchmarks, store_benchmarks, zone_benchmarks
from pejling.core.insights.chain import read_chain
from pejling.core.insights.comparison import comparison
from pejling.core.insights.key_drivers import driver_model
from pejling.core.insights.model_sections import model_sections
from pejling.core.insights.optimise import importance_map, optimise_items, priorities
from pejling.core.insights.profile import goal_performance, goal_profile
from pejling.core.insights.request import InsightsRefused, Request, Scope, refuse_unanswerable
from pejling.core.insights.rollup_sums import add_up, nps_score, outcome_mean, sum_rollups
from pejling.core.insights.rollups import rollup_version
from pejling.core.insights.sections import Insights
from pejling.core.insights.store_changes import store_change_effects
from pejling.core.insights.trends import trends
from pejling.tenants.models import Store

__all__ = ["IMPLICIT_MODEL", "InsightsRefused", "Request", "Scope", "clear_cache", "insights"]

IMPLICIT_MODEL = MODEL_ID
"""The scoring model whose tenant settings (minimum n, confidence) the engine's own figures use: implicit goals."""
CACHE_SIZE = 256

_cache: OrderedDict[tuple[Any, ...], Insights] = OrderedDict()


def clear_cache() -> None:
    _cache.clear()


async def insights(req: Request) -> Insights:
    """The insights for ``req``: from the cache when the rollups did not change since, else computed."""
    refuse_unanswerable(req)
    version = await rollup_version(req.tenant_id)
    key = (req, version)
    hit = _cache.get(key)
    if hit is not None:
        _cache.move_to_end(key)
        return hit
    result = await _compute(req, version)
    _cache[key] = result
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return result


async def _compute(req: Request, version: int) -> Insights:
    """Every section, in the order their notes appear."""
    notes: list[str] = []
    by_mask = await sum_rollups(req, req.scope, req.start, req.end, group=("mask",))
    total = add_up(by_mask)
    chain = await read_chain(req)
    stores = {s.id: s for s in await Store.all()}

    profile = goal_profile(req, total, chain, notes)
    model = await driver_model(req, by_mask, notes)
    performance = goal_performance(profile, req)
    ranking = priorities(model, performance)
    models = await model_sections(req, total, notes)
    n = int(total["n"])
    if n < req.min_n:
        notes.append(f"Too few responses in this scope and period ({n} < {req.min_n}): figures are withheld.")

    return Insights(
        scope=req.scope.kind,
        store_ids=req.scope.store_ids,
        period_from=req.start,
        period_to=req.end,
        language=req.language,
        n=n,
        n_flagged=int(total["n_flagged"]),
        rollup_version=version,
        profile=profile,
        drivers=model.section,
        map=importance_map(ranking),
        optimise=optimise_items(req, ranking, model, performance, chain.targets),
        nps=nps_score(total, req),
        outcome_mean=outcome_mean(total, req),
        models=models,
        trends=await trends(req),
        stores=store_benchmarks(req, chain, stores),
        zones=await zone_benchmarks(req),
        channels=await channel_benchmarks(req),
        store_changes=await store_change_effects(req, stores),
        comparison=await comparison(req, total) if req.compare_with else None,
        notes=tuple(notes),
    )

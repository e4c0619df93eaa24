"""Benchmarks: the scope's stores (with shrunk goal means) next to the chain, its zones and its channels."""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from pejling.core.insights import sql
from pejling.core.insights.chain import Chain
from pejling.core.insights.columns import STORE_COLUMNS
from pejling.core.insights.request import Request
from pejling.core.insights.rollup_sums import goal_values, nps_score, outcome_mean, sum_rollups
from pejling.core.insights.rollups import NO_ZONE
from pejling.core.insights.sections import Benchmark, GoalValue
from pejling.core.surveys.bank import GOALS
from pejling.tenants.models import Store, Zone


def store_benchmarks(req: Request, chain: Chain, stores: Mapping[UUID, Store]) -> tuple[Benchmark, ...]:
    """The scope's stores (every store of the chain when comparing with the stores), ones the asker may see."""
    benchmarks = []
    for store_id in chain.store_ids:
        store = stores.get(store_id)
        if store is None:
            continue
        if req.scope.kind != "chain" and store_id not in req.scope.store_ids and not req.compare_with:
            continue
        if req.visible_store_ids is not None and store_id not in req.visible_store_ids:
            continue
        row = chain.rows[store_id]
        goals = tuple(GoalValue(g, chain.shrunk_goal(g, store_id).value, int(row[f"{g}_n"])) for g in GOALS)
        shrinkage = max((chain.shrunk_goal(g, store_id).weight for g in GOALS), default=0.0)
        benchmarks.append(Benchmark("store", store_id, store.name, int(row["n"]), nps_score(row, req),
                                    outcome_mean(row, req), goals, shrinkage))
    return tuple(benchmarks)


async def zone_benchmarks(req: Request) -> tuple[Benchmark, ...]:
    """The scope's zones; responses outside any (still existing) zone are "No zone"."""
    rows = await sum_rollups(req, req.scope, req.start, req.end, group=("zone_id",), columns=STORE_COLUMNS)
    zone_ids = [sql.as_uuid(r["zone_id"]) for r in rows]
    zones = {z.id: z for z in await Zone.filter(id__in=[z for z in zone_ids if z != NO_ZONE])}
    benchmarks = []
    for row, zone_id in zip(rows, zone_ids, strict=True):
        zone = zones.get(zone_id)
        key: UUID | str = zone_id if zone else ""
        benchmarks.append(Benchmark("zone", key, zone.name if zone else "No zone", int(row["n"]), nps_score(row, req),
                                    outcome_mean(row, req), goal_values(row)))
    return tuple(benchmarks)


async def channel_benchmarks(req: Request) -> tuple[Benchmark, ...]:
    """The scope's channels, most responses first."""
    rows = await sum_rollups(req, req.scope, req.start, req.end, group=("channel",), columns=STORE_COLUMNS)
    return tuple(
        Benchmark("channel", r["channel"], r["channel"], int(r["n"]), nps_score(r, req), outcome_mean(r, req),
                  goal_values(r))
        for r in sorted(rows, key=lambda r: -r["n"])
    )

"""The insights engine: typed sections for a store, zone, group of stores or the chain over a period.

Reads rollups only (``insights_daily``, ``insights_statement_daily``), summed in SQL; never raw responses. Heavier
models (key drivers with their bootstrap, the linear model) are computed on demand and the whole answer is cached in
the process, keyed by tenant, filters and the tenant's rollup version, so a new response invalidates it.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from typing import Any, TypeVar
from uuid import UUID

import numpy as np
from scipy import stats

from pejling.core.contracts import Rollup, ScoringModel, SummaryOptions
from pejling.core.insights import moments, sql
from pejling.core.insights import statistics as st
from pejling.core.insights.columns import HISTOGRAM_COLUMNS, OUTCOME_POINTS, STORE_COLUMNS, SUM_COLUMNS, Q
from pejling.core.insights.columns import moments as column_moments
from pejling.core.insights.goal_scores import mask_goals
from pejling.core.insights.models import StoreChange
from pejling.core.insights.rollups import NO_ZONE, rollup_version
from pejling.core.insights.sections import (
    Benchmark,
    Comparison,
    DiD,
    Difference,
    Driver,
    Estimate,
    GoalProfile,
    GoalProfileItem,
    GoalValue,
    Insights,
    KeyDrivers,
    MapPoint,
    ModelSection,
    NpsScore,
    OptimiseItem,
    StoreChangeEffect,
    TrendPoint,
    Trends,
)
from pejling.core.insights.statistics.results import z_critical
from pejling.core.surveys.bank import GOALS
from pejling.core.surveys.hooks import OUTCOME_STATEMENT_IDS
from pejling.graphql.relay_ids import encode_id
from pejling.plugins.implicit_goals.playbook import levers
from pejling.tenants.models import Store, Zone

_T = TypeVar("_T")

IMPLICIT_MODEL = "implicit-goals"
SCOPES = ("store", "zone", "stores", "chain")
COMPARE = ("previousPeriod", "stores")
CHANGE_WINDOW_DAYS = 28
N_BOOT = 200
SHRINKAGE_NOTE_THRESHOLD = 0.05
MAX_PERIOD_DAYS = 3 * 366
CACHE_SIZE = 256


class InsightsRefused(ValueError):
    """A request the engine cannot answer (bad scope or period); ``field`` names the input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Scope:
    """Which rollup rows: ``kind`` with the stores (and for ``zone`` the zones) it covers; chain = every store."""

    kind: str
    store_ids: tuple[UUID, ...] = ()
    zone_ids: tuple[UUID, ...] = ()

    def where(self, alias: str = "") -> tuple[str, list[Any]]:
        p = f"{alias}." if alias else ""
        clauses: list[str] = []
        params: list[Any] = []
        if self.kind != "chain":
            clauses.append(f"{p}store_id IN ({sql.marks(len(self.store_ids))})")
            params += list(self.store_ids)
        if self.zone_ids:
            clauses.append(f"{p}zone_id IN ({sql.marks(len(self.zone_ids))})")
            params += list(self.zone_ids)
        return " AND ".join(clauses), params


@dataclass(frozen=True)
class Request:
    """One insights question."""

    tenant_id: UUID
    scope: Scope
    start: date
    end: date
    compare_with: str | None = None
    language: str = "en"
    channel: str | None = None
    min_n: int = st.MIN_N
    confidence: float = 0.95
    visible_store_ids: frozenset[UUID] | None = None
    """Stores the asker may see by name (a store manager); None: every store."""
    models: tuple[tuple[ScoringModel, SummaryOptions], ...] = field(default=(), compare=False, hash=False)
    model_key: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------------------------------
# Reading rollups
# ---------------------------------------------------------------------------------------------------------------------

_CHAIN_COLUMNS = STORE_COLUMNS


async def _sums(
    req: Request, scope: Scope | None, start: date, end: date, *, group: Sequence[str] = (),
    columns: Sequence[str] = SUM_COLUMNS, extra: str = "", extra_params: Sequence[Any] = (), coarse: bool = False,
) -> list[dict[str, Any]]:
    """Summed rollup columns; ``coarse``: read the per-store-day chain view when the filters allow it."""
    table = "insights_daily"
    if coarse and not req.channel and (scope is None or not scope.zone_ids):
        table = "insights_store_daily"
    where = "tenant_id = ? AND day >= ? AND day <= ?"
    params: list[Any] = [req.tenant_id, start, end]
    if scope is not None:
        clause, more = scope.where()
        if clause:
            where += " AND " + clause
            params += more
    if req.channel:
        where += " AND channel = ?"
        params.append(req.channel)
    if extra:
        where += " AND " + extra
        params += list(extra_params)
    select = ", ".join([*group, *(f"SUM({c}) AS {c}" for c in columns)])
    text = f"SELECT {select} FROM {table} WHERE {where}"  # noqa: S608 - table and column names are constants
    if group:
        text += " GROUP BY " + ", ".join(group)
    rows = await sql.fetch(text, params)
    out = []
    for row in rows:
        clean = {k: (row[k] if k in group else sql.number(row[k])) for k in row}
        out.append(clean)
    return out


def _total(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] = SUM_COLUMNS) -> dict[str, float]:
    total = dict.fromkeys(columns, 0.0)
    for row in rows:
        for c in columns:
            total[c] += float(row.get(c) or 0.0)
    return total


# ---------------------------------------------------------------------------------------------------------------------
# Small builders
# ---------------------------------------------------------------------------------------------------------------------


_FIELD_NAMES: dict[type, list[str]] = {}


def _mk(cls: type[_T], *args: Any, **kwargs: Any) -> _T:
    """Build a section from positional values in field order (strawberry types take keywords only)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    kwargs.update(zip(names, args, strict=False))
    return cls(**kwargs)


def _estimate(e: st.Estimate) -> Estimate:
    return _mk(Estimate, e.value, e.low, e.high, e.n, e.sufficient, e.note)


def _histogram(s: Mapping[str, float]) -> list[int]:
    return [int(s.get(f"o{k}", 0)) for k in range(OUTCOME_POINTS)]


def _nps(s: Mapping[str, float], req: Request) -> NpsScore:
    h = _histogram(s)
    e = st.nps_from_counts(sum(h[9:]), sum(h[7:9]), sum(h[:7]), min_n=req.min_n, confidence=req.confidence)
    return _mk(NpsScore, e.value, e.low, e.high, e.n, e.promoters, e.passives, e.detractors, e.sufficient, e.note)


def _outcome_moments(s: Mapping[str, float]) -> tuple[int, float, float]:
    h = _histogram(s)
    return sum(h), float(sum(k * c for k, c in enumerate(h))), float(sum(k * k * c for k, c in enumerate(h)))


def _outcome_mean(s: Mapping[str, float], req: Request) -> Estimate:
    n, total, total_sq = _outcome_moments(s)
    return _estimate(st.mean_interval(n, total, total_sq, confidence=req.confidence, min_n=req.min_n))


def _goal_values(s: Mapping[str, float]) -> list[GoalValue]:
    out = []
    for g in GOALS:
        n = int(s.get(f"{g}_n", 0))
        out.append(_mk(GoalValue, g, s.get(f"{g}_s", 0.0) / n if n else None, n))
    return out


def _variance(n: float, total: float, total_sq: float) -> float:
    return max((total_sq - total * total / n) / (n - 1), 0.0) if n > 1 else math.nan


# ---------------------------------------------------------------------------------------------------------------------
# The engine
# ---------------------------------------------------------------------------------------------------------------------

_cache: OrderedDict[tuple[Any, ...], Insights] = OrderedDict()


def clear_cache() -> None:
    _cache.clear()


async def insights(req: Request) -> Insights:
    """The insights for ``req``: from the cache when the rollups did not change since, else computed."""
    if req.scope.kind not in SCOPES:
        raise InsightsRefused("scope", f"scope must be one of {', '.join(SCOPES)}")
    if req.end < req.start:
        raise InsightsRefused("period", "The period ends before it starts.")
    if (req.end - req.start).days > MAX_PERIOD_DAYS:
        raise InsightsRefused("period", "Choose a period of at most three years.")
    if req.compare_with is not None and req.compare_with not in COMPARE:
        raise InsightsRefused("compareWith", f"compareWith must be one of {', '.join(COMPARE)}")
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
    notes: list[str] = []
    scope = req.scope
    by_mask = await _sums(req, scope, req.start, req.end, group=("mask",))
    total = _total(by_mask)
    chain_rows = await _sums(req, None, req.start, req.end, group=("store_id",), columns=_CHAIN_COLUMNS, coarse=True)
    stores = {s.id: s for s in await Store.all()}

    # -- chain per store: shrinkage and top-quartile targets -------------------------------------------------------
    chain_by_store = {sql.as_uuid(r["store_id"]): r for r in chain_rows}
    store_list = sorted(chain_by_store)
    shrunk: dict[str, dict[UUID, tuple[float | None, float]]] = {}
    targets: dict[str, float] = {}
    for g in GOALS:
        ns = np.array([chain_by_store[s][f"{g}_n"] for s in store_list], dtype=float)
        sums_ = np.array([chain_by_store[s][f"{g}_s"] for s in store_list], dtype=float)
        sqs = np.array([chain_by_store[s][f"{g}_ss"] for s in store_list], dtype=float)
        means = np.where(ns > 0, sums_ / np.where(ns > 0, ns, 1), np.nan)
        pooled_n = ns.sum()
        pooled_var = _variance(pooled_n, sums_.sum(), sqs.sum()) if pooled_n > 1 else math.nan
        within = np.array([
            _variance(n, s_, q) if n > 1 and _variance(n, s_, q) > 0 else pooled_var
            for n, s_, q in zip(ns, sums_, sqs, strict=True)
        ]) if store_list else np.array([])
        if store_list and np.isfinite(pooled_var):
            sh = st.shrink_toward_mean(means, ns, within)
            shrunk[g] = {s: (sh.shrunk[i], sh.b[i]) for i, s in enumerate(store_list)}
            eligible = [sh.shrunk[i] for i, s in enumerate(store_list) if ns[i] >= 1 and sh.shrunk[i] is not None]
            if eligible:
                targets[g] = float(np.quantile(np.array(eligible, dtype=float), 0.75))
        else:
            shrunk[g] = {s: (None if not ns[i] else float(means[i]), 0.0) for i, s in enumerate(store_list)}

    # -- profile -----------------------------------------------------------------------------------------------------
    single_store = scope.kind == "store" and len(scope.store_ids) == 1 and not scope.zone_ids
    items = []
    shrink_used: dict[str, float] = {}
    for g in GOALS:
        n = int(total[f"{g}_n"])
        fulfil = st.mean_interval(n, total[f"{g}_s"], total[f"{g}_ss"], confidence=req.confidence,
                                  min_n=req.min_n)
        conv = st.mean_interval(int(total[f"{g}_cn"]), total[f"{g}_cs"], total[f"{g}_css"],
                                confidence=req.confidence, min_n=req.min_n)
        pooled = total[f"{g}_ws"] / total[f"{g}_w"] if total[f"{g}_w"] > 0 else None
        shrunk_value: float | None = fulfil.value if fulfil.sufficient else None
        b = 0.0
        if single_store and scope.store_ids[0] in shrunk.get(g, {}):
            shrunk_value, b = shrunk[g][scope.store_ids[0]]
            shrink_used[g] = b
        items.append(_mk(GoalProfileItem, g, _estimate(fulfil), _estimate(conv), pooled, shrunk_value, b))
    n_total = int(total["n"])
    profile_ok = any(i.fulfilment.sufficient for i in items)
    profile = _mk(GoalProfile, items, n_total, profile_ok, None if profile_ok else st.TOO_FEW_RESPONSES)
    if shrink_used and max(shrink_used.values()) > SHRINKAGE_NOTE_THRESHOLD:
        notes.append(
            f"Small store: goal figures are shrunk toward the chain mean (empirical Bayes, up to "
            f"{100 * max(shrink_used.values()):.0f} % weight on the chain) because few responses make them uncertain."
        )

    # -- key drivers -------------------------------------------------------------------------------------------------
    drivers, fit, goal_set = await _drivers(req, by_mask, notes)
    perf: dict[str, float] = {}
    for item in items:
        value = item.shrunk_fulfilment if single_store else item.fulfilment.value
        if value is not None:
            perf[item.goal] = value
    map_points: list[MapPoint] = []
    optimise: list[OptimiseItem] = []
    if drivers.sufficient and drivers.drivers:
        importance = {d.goal: float(d.importance or 0.0) for d in drivers.drivers if d.goal in perf}
        performance = {g: perf[g] for g in importance}
        ranking = st.priority_ranking(importance, performance) if importance else ()
        map_points = [_mk(MapPoint, p.goal, p.importance, p.performance, p.quadrant) for p in ranking]
        uplifts: dict[str, st.Uplift] = {}
        if fit is not None and fit.sufficient:
            current = [perf.get(g, math.nan) for g in goal_set]
            target = [max(targets.get(g, perf.get(g, 0.0)), perf.get(g, 0.0)) for g in goal_set]
            current = [c if math.isfinite(c) else t for c, t in zip(current, target, strict=True)]
            for u in st.projected_uplift(fit, current, target, confidence=req.confidence):
                uplifts[u.goal] = u
        for p in ranking:
            found = uplifts.get(p.goal)
            uplift = (_mk(Estimate, found.uplift, found.low, found.high, fit.n if fit else 0) if found is not None
                      else _mk(Estimate, None, None, None, 0, False, "no linear model"))
            target_value = found.target if found is not None else targets.get(p.goal, p.performance)
            optimise.append(_mk(OptimiseItem, p.rank, p.goal, p.quadrant, p.importance, p.performance,
                                target_value, uplift, list(levers(p.goal, req.language))))

    # -- outcome scores and plugin sections --------------------------------------------------------------------------
    nps = _nps(total, req)
    outcome_mean = _outcome_mean(total, req)
    models = await _model_sections(req, total, notes)

    # -- trends, benchmarks, channels ---------------------------------------------------------------------------------
    trends = await _trends(req)
    visible = set(scope.store_ids) if scope.kind != "chain" else set(stores)
    store_benchmarks = []
    for sid in store_list:
        row = chain_by_store[sid]
        b_max = max((shrunk[g].get(sid, (None, 0.0))[1] for g in GOALS), default=0.0)
        goals = [_mk(GoalValue, g, shrunk[g].get(sid, (None, 0.0))[0], int(row[f"{g}_n"])) for g in GOALS]
        store = stores.get(sid)
        if store is None or (req.scope.kind != "chain" and sid not in visible and not req.compare_with):
            continue
        if req.visible_store_ids is not None and sid not in req.visible_store_ids:
            continue
        store_benchmarks.append(_mk(Benchmark, "store", encode_id("Store", sid), store.name, int(row["n"]),
                                          _nps(row, req), _outcome_mean(row, req), goals, b_max))
    zone_rows = await _sums(req, scope, req.start, req.end, group=("zone_id",), columns=_CHAIN_COLUMNS)
    zone_ids = [sql.as_uuid(r["zone_id"]) for r in zone_rows]
    zones = {z.id: z for z in await Zone.filter(id__in=[z for z in zone_ids if z != NO_ZONE])}
    zone_benchmarks = []
    for r, zid in zip(zone_rows, zone_ids, strict=True):
        zone = zones.get(zid)
        name = zone.name if zone else "No zone"
        key = encode_id("Zone", zid) if zone else ""
        zone_benchmarks.append(_mk(Benchmark, "zone", key, name, int(r["n"]), _nps(r, req), _outcome_mean(r, req),
                                         _goal_values(r)))
    channel_rows = await _sums(req, scope, req.start, req.end, group=("channel",), columns=_CHAIN_COLUMNS)
    channels = [_mk(Benchmark, "channel", r["channel"], r["channel"], int(r["n"]), _nps(r, req), _outcome_mean(r, req),
                          _goal_values(r)) for r in sorted(channel_rows, key=lambda r: -r["n"])]

    changes = await _store_changes(req, stores)
    comparison = await _comparison(req, total) if req.compare_with else None
    if n_total < req.min_n:
        notes.append(f"Too few responses in this scope and period ({n_total} < {req.min_n}): figures are withheld.")

    return _mk(Insights,
        scope=scope.kind,
        store_ids=[encode_id("Store", s) for s in scope.store_ids],
        period_from=req.start,
        period_to=req.end,
        language=req.language,
        n=n_total,
        n_flagged=int(total["n_flagged"]),
        rollup_version=version,
        profile=profile,
        drivers=drivers,
        map=map_points,
        optimise=optimise,
        nps=nps,
        outcome_mean=outcome_mean,
        models=models,
        trends=trends,
        stores=store_benchmarks,
        zones=zone_benchmarks,
        channels=channels,
        store_changes=changes,
        comparison=comparison,
        notes=notes,
    )


def _choose_goals(by_mask: Sequence[Mapping[str, Any]]) -> tuple[int, tuple[str, ...]]:
    """The goal set of the driver model: the most common mask with an outcome and at least two goals."""
    outcome_bit = 1 << len(GOALS)
    counts: dict[int, float] = {}
    for r in by_mask:
        mask = int(r["mask"])
        if mask & outcome_bit and len(mask_goals(mask)) >= 2:
            counts[mask] = counts.get(mask, 0.0) + float(r["x_n"])
    if not counts:
        return 0, ()
    best = max(counts, key=lambda m: (sum(c for k, c in counts.items() if k & m == m), len(mask_goals(m)), m))
    return best, mask_goals(best)


def _moments_for(rows: Sequence[Mapping[str, Any]], mask: int, goals: Sequence[str]) -> tuple[int, Any, Any]:
    chosen = [r for r in rows if int(r["mask"]) & mask == mask]
    n, s, cross = column_moments(_total(chosen))
    idx = [GOALS.index(g) for g in goals] + [Q - 1]
    return n, s[idx], cross[np.ix_(idx, idx)]


async def _drivers(
    req: Request, by_mask: Sequence[Mapping[str, Any]], notes: list[str]
) -> tuple[KeyDrivers, st.LinearFit | None, tuple[str, ...]]:
    mask, goals = _choose_goals(by_mask)
    basis = "scope"
    n, s, cross = _moments_for(by_mask, mask, goals) if goals else (0, None, None)
    if goals and n < max(st.MIN_N_DRIVERS, len(goals) + 2) and req.scope.kind != "chain":
        chain = await _sums(req, None, req.start, req.end, group=("mask",))
        cmask, cgoals = _choose_goals(chain)
        if cgoals:
            mask, goals = cmask, cgoals
            n, s, cross = _moments_for(chain, mask, goals)
            basis = "chain"
            notes.append("Key drivers come from the whole chain: this scope has too few complete responses.")
    if not goals or s is None:
        return (_mk(KeyDrivers, "shapley", basis, [], None, None, None, 0, 0, "parametric bootstrap (Wishart)", False,
                           st.TOO_FEW_RESPONSES), None, ())
    assert cross is not None
    boot = moments.bootstrap_importance(n, s, cross, goals, n_boot=N_BOOT, confidence=req.confidence)
    fit = moments.linear_fit(n, s, cross, goals)
    drivers = []
    if boot.sufficient and boot.importance is not None and boot.low is not None and boot.high is not None:
        r2 = boot.r2 or 0.0
        for i, g in enumerate(goals):
            imp = boot.importance[i]
            drivers.append(_mk(Driver, g, imp, boot.low[i], boot.high[i], imp / r2 if r2 > 0 else 0.0))
        drivers.sort(key=lambda d: -(d.importance or 0.0))
    return (_mk(KeyDrivers, "shapley", basis, drivers, boot.r2, boot.r2_low, boot.r2_high, boot.n, boot.n_boot,
                       "parametric bootstrap (Wishart)", boot.sufficient, boot.note), fit, goals)


async def _model_sections(req: Request, total: Mapping[str, float], notes: list[str]) -> list[ModelSection]:
    if not req.models:
        return []
    where = "tenant_id = ? AND day >= ? AND day <= ?"
    params: list[Any] = [req.tenant_id, req.start, req.end]
    clause, more = req.scope.where()
    if clause:
        where += " AND " + clause
        params += more
    if req.channel:
        where += " AND channel = ?"
        params.append(req.channel)
    select = ", ".join(f"SUM({c}) AS {c}" for c in HISTOGRAM_COLUMNS)
    rows = await sql.fetch(
        f"SELECT statement_id, {select} FROM insights_statement_daily WHERE {where} GROUP BY statement_id",  # noqa: S608
        params,
    )
    by_value = {r["statement_id"]: [int(sql.number(r[c])) for c in HISTOGRAM_COLUMNS] for r in rows}
    by_value[OUTCOME_STATEMENT_IDS["nps"]] = _histogram(total)
    sections: list[ModelSection] = []
    for model, options in req.models:
        if model.statements:
            hist = {s.id: tuple(by_value.get(s.id, [0] * OUTCOME_POINTS)[s.scale.low:s.scale.high + 1])
                    for s in model.statements}
        else:
            hist = {sid: tuple(v[1:6]) for sid, v in by_value.items() if sid not in OUTCOME_STATEMENT_IDS.values()}
        try:
            parts = model.summarise(Rollup(hist), options)
        except Exception as exc:  # noqa: BLE001 - a faulty plugin must not break the insights
            notes.append(f"Scoring model {model.id} could not summarise: {type(exc).__name__}.")
            continue
        for part in parts:
            sections.append(_mk(ModelSection, model.id, model.version, part.key, part.title, part.sufficient, part.note,
                                         _jsonable(dict(part.figures))))
    return sections


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


async def _trends(req: Request) -> Trends:
    rows = await _sums(req, req.scope, req.start, req.end, group=("day",), columns=_CHAIN_COLUMNS, coarse=True)
    daily_rows = sorted(((sql.as_date(r["day"]), r) for r in rows), key=lambda x: x[0])

    def point(start: date, s: Mapping[str, float]) -> TrendPoint:
        h = _histogram(s)
        n_out = sum(h)
        nps = 100.0 * (sum(h[9:]) - sum(h[:7])) / n_out if n_out else None
        mean = sum(k * c for k, c in enumerate(h)) / n_out if n_out else None
        return _mk(TrendPoint, start, int(s["n"]), nps, mean, _goal_values(s))

    daily = [point(d, r) for d, r in daily_rows]
    weeks: dict[date, list[Mapping[str, Any]]] = {}
    for d, r in daily_rows:
        weeks.setdefault(d - timedelta(days=d.weekday()), []).append(r)
    weekly = [point(w, _total(rs, _CHAIN_COLUMNS)) for w, rs in sorted(weeks.items())]
    return _mk(Trends, daily, weekly)


def _summary(rows: Sequence[Mapping[str, Any]]) -> st.GroupSummary:
    n, total, total_sq = _outcome_moments(_total(rows, _CHAIN_COLUMNS))
    if n == 0:
        return st.GroupSummary(math.nan, math.nan, 0)
    return st.GroupSummary(total / n, _variance(n, total, total_sq), n)


async def store_change_effect(req: Request, change: StoreChange, store_name: str) -> StoreChangeEffect:
    """Outcome before/after a change in its store against every other store (difference in differences)."""
    before_start = change.date - timedelta(days=CHANGE_WINDOW_DAYS)
    after_end = change.date + timedelta(days=CHANGE_WINDOW_DAYS - 1)
    rows = await _sums(req, None, before_start, after_end, group=("store_id", "day"), columns=_CHAIN_COLUMNS,
                       coarse=True)
    cells: dict[tuple[bool, bool], list[Mapping[str, Any]]] = {(t, a): [] for t in (True, False) for a in (True, False)}
    for r in rows:
        treated = sql.as_uuid(r["store_id"]) == change.store_id
        after = sql.as_date(r["day"]) >= change.date
        cells[(treated, after)].append(r)
    did = st.difference_in_differences_from_summaries(
        _summary(cells[(True, False)]), _summary(cells[(True, True)]), _summary(cells[(False, False)]),
        _summary(cells[(False, True)]), confidence=req.confidence,
    )
    return _mk(StoreChangeEffect,
        change_id=encode_id("StoreChange", change.id), store_id=encode_id("Store", change.store_id),
        store_name=store_name, date=change.date, description=change.description, window_days=CHANGE_WINDOW_DAYS,
        outcome=_mk(DiD, did.effect, did.low, did.high, did.se, did.p_value, did.treated_change, did.control_change,
                    list(did.n), did.sufficient, did.note),
    )


async def _store_changes(req: Request, stores: Mapping[UUID, Store]) -> list[StoreChangeEffect]:
    query = StoreChange.filter(date__gte=req.start, date__lte=req.end).order_by("date")
    if req.scope.kind != "chain":
        query = query.filter(store_id__in=list(req.scope.store_ids))
    out = []
    for change in await query:
        store = stores.get(change.store_id)
        out.append(await store_change_effect(req, change, store.name if store else ""))
    return out


async def _comparison(req: Request, total: Mapping[str, float]) -> Comparison:
    if req.compare_with == "previousPeriod":
        length = (req.end - req.start).days + 1
        start, end = req.start - timedelta(days=length), req.start - timedelta(days=1)
        other_rows = await _sums(req, req.scope, start, end, columns=_CHAIN_COLUMNS)
        against = "previousPeriod"
    else:
        start, end = req.start, req.end
        if req.scope.kind == "chain":
            other_rows = []
        else:
            marks = sql.marks(len(req.scope.store_ids))
            other_rows = await _sums(req, None, start, end, columns=_CHAIN_COLUMNS, coarse=True,
                                     extra=f"store_id NOT IN ({marks})", extra_params=req.scope.store_ids)
        against = "stores"
    other = _total(other_rows, _CHAIN_COLUMNS)
    diffs: list[Difference] = []
    a_h, b_h = _histogram(total), _histogram(other)
    a = st.nps_from_counts(sum(a_h[9:]), sum(a_h[7:9]), sum(a_h[:7]), min_n=req.min_n)
    b = st.nps_from_counts(sum(b_h[9:]), sum(b_h[7:9]), sum(b_h[:7]), min_n=req.min_n)
    c = st.nps_difference_z(a, b, confidence=req.confidence)
    diffs.append(_mk(Difference, "nps", a.value, b.value, c.difference, c.low, c.high, c.p_value, c.sufficient))
    for g in GOALS:
        diffs.append(_mean_difference(g, total, other, req))
    return _mk(Comparison, against, start, end, int(other["n"]), diffs)


def _mean_difference(g: str, a: Mapping[str, float], b: Mapping[str, float], req: Request) -> Difference:
    na, nb = a[f"{g}_n"], b[f"{g}_n"]
    if na < req.min_n or nb < req.min_n:
        return _mk(Difference, g, None, None, None, None, None, None, False)
    ma, mb = a[f"{g}_s"] / na, b[f"{g}_s"] / nb
    va, vb = _variance(na, a[f"{g}_s"], a[f"{g}_ss"]), _variance(nb, b[f"{g}_s"], b[f"{g}_ss"])
    se = math.sqrt(va / na + vb / nb)
    z = z_critical(req.confidence)
    diff = ma - mb
    p = float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else (1.0 if diff == 0 else 0.0)
    return _mk(Difference, g, ma, mb, diff, diff - z * se, diff + z * se, p, True)


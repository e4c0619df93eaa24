"""No NaN or inf reaches the API: edge cases through each estimator and through the engine and the GraphQL query.

Every float of an answer is finite, or null with a reason (the section says it is not sufficient, or has a note).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import numpy as np
import pytest
from helpers import gql, token_for
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from simulate import RECEIPTS, STATEMENTS, WARMUP, World, make_world, recompute, suite_plugins

from pejling.core.goals import MODEL_ID
from pejling.core.insights.engine import clear_cache
from pejling.core.insights.models import StoreChange
from pejling.core.insights.statistics import drivers, effects, linear_model, outcomes, shrinkage
from pejling.core.surveys.bank import GOALS
from pejling.core.surveys.models import Answer, Response
from pejling.core.surveys.survey import active_survey
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.scope import tenant_scope

pytestmark = pytest.mark.filterwarnings("error")  # an overflow or 0/0 on the way to a figure is a failure too

EXAMPLES = 12
CASES = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow])
PERIOD_DAYS = 14
BASE = date(2025, 1, 6)
PERIODS = itertools.count()


def _finite_or_none(value: Any) -> bool:
    return value is None or (isinstance(value, float | int) and math.isfinite(value))


def _check_result(result: Any) -> None:
    """A statistics result: every float finite or None; None values only with ``sufficient`` False or a note."""
    d = result.to_dict()
    floats = list(_floats(d))
    assert all(_finite_or_none(v) for v in floats), d
    if any(v is None for v in floats) and "sufficient" in d:
        assert d["sufficient"] is False or d.get("note"), d


def _floats(value: Any) -> Any:
    if isinstance(value, dict):
        for k, v in value.items():
            if k not in ("note", "seed"):
                yield from _floats(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _floats(v)
    elif value is None or isinstance(value, float):
        yield value


# -- each estimator on its own -----------------------------------------------------------------------------------------

def test_outcome_estimators_with_n_0_1_and_no_spread() -> None:
    for counts in [(0, 0, 0), (1, 0, 0), (0, 0, 1), (5, 0, 0)]:
        a = outcomes.nps_from_counts(*counts, min_n=1)
        _check_result(a)
        _check_result(outcomes.nps_difference_z(a, outcomes.nps_from_counts(*counts, min_n=1)))
    assert not outcomes.nps_from_counts(0, 0, 0, min_n=1).sufficient
    for hist in ([0] * 5, [1, 0, 0, 0, 0], [0, 0, 0, 0, 4]):
        _check_result(outcomes.csat(hist, min_n=1))
    for hist7 in ([0] * 7, [0, 1, 0, 0, 0, 0, 0], [0, 0, 0, 3, 0, 0, 0]):
        _check_result(outcomes.ces(hist7, min_n=1))
    for n, total, total_sq in [(0, 0.0, 0.0), (1, 4.0, 16.0), (3, 12.0, 48.0)]:
        m = outcomes.mean_interval(n, total, total_sq, min_n=1)
        _check_result(m)
    assert not outcomes.mean_interval(1, 4.0, 16.0, min_n=1).sufficient
    flat = outcomes.mean_interval(3, 12.0, 48.0, min_n=1)
    assert flat.value == flat.low == flat.high == 4.0


def test_difference_in_differences_with_empty_single_and_flat_cells() -> None:
    cells = [[], [7.0], [7.0, 7.0, 7.0], [np.nan, np.nan]]
    for tb, ta in itertools.product(cells, repeat=2):
        r = effects.difference_in_differences(tb, ta, [5.0, 6.0], [5.0, 6.0], min_n=1)
        _check_result(r)
    flat = effects.difference_in_differences([7.0] * 3, [7.0] * 3, [5.0] * 3, [5.0] * 3)
    assert flat.sufficient and flat.effect == 0.0 and flat.p_value == 1.0
    empty = effects.difference_in_differences([], [1.0, 2.0], [1.0, 2.0], [1.0, 2.0])
    assert not empty.sufficient and empty.note


def test_shrinkage_with_no_one_store_and_no_spread() -> None:
    for means, ns, var in [([], [], 1.0), ([np.nan], [0], np.nan), ([4.0], [1], np.nan), ([4.0, 3.0], [5, 5], 0.0),
                           ([4.0, 4.0, 4.0], [3, 3, 3], 0.0), ([4.0, np.nan], [2, 0], [0.5, np.nan])]:
        r = shrinkage.shrink_toward_mean(means, ns, var)
        assert all(_finite_or_none(v) for v in (*r.shrunk, *r.b, r.tau2, r.grand_mean)), r
        assert all(0.0 <= b <= 1.0 for b in r.b)


def test_driver_models_with_n_0_1_constant_and_duplicated_goals() -> None:
    rng = np.random.default_rng(1)
    x = rng.integers(1, 6, size=(60, 3)).astype(float)
    y = x @ [1.0, 0.5, 0.2] + rng.normal(0, 1, 60)
    duplicated = np.column_stack([x[:, 0], x[:, 0], x[:, 0]])
    cases = [(x[:0], y[:0]), (x[:1], y[:1]), (x[:2], y[:2]), (x, np.full(60, 7.0)), (duplicated, y),
             (np.full((60, 3), 3.0), y), (x, np.full(60, np.nan))]
    for xa, ya in cases:
        for method in ("shapley", "relative_weights"):
            _check_result(drivers.bootstrap_importance(xa, ya, method, n_boot=20, min_n=1))
        fit = linear_model.fit_linear(xa, ya, min_n=1)
        _check_result(fit)
        if fit.sufficient:
            for u in linear_model.projected_uplift(fit, [3.0] * 3, [4.0] * 3):
                _check_result(u)
    assert not linear_model.fit_linear(x[:1], y[:1], min_n=1).sufficient
    assert linear_model.fit_linear(x, np.full(60, 7.0), min_n=1).r2 == 0.0


# -- through the engine and the GraphQL query --------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    """One edge case: responses per store (0 to 2 stores), on one day or many, with its outcomes and answers."""

    counts: tuple[int, ...]
    one_day: bool
    outcome: str  # "varied", "constant" or "missing"
    goals: str  # "varied", "identical" (every goal the same answer) or "constant"
    compare: str | None
    change: bool


CASE = st.builds(
    Case,
    counts=st.lists(st.sampled_from([1, 0, 2, 3]), min_size=1, max_size=2).map(tuple),
    one_day=st.booleans(),
    outcome=st.sampled_from(["varied", "constant", "missing"]),
    goals=st.sampled_from(["varied", "identical", "constant"]),
    compare=st.sampled_from([None, "PREVIOUS_PERIOD", "STORES"]),
    change=st.booleans(),
)


def _cases() -> list[Case]:
    """Draw the cases up front (hypothesis drives a synchronous test; the queries need the event loop)."""
    drawn: list[Case] = []

    @CASES
    @given(CASE)
    @example(Case((1,), True, "varied", "varied", "PREVIOUS_PERIOD", False))  # the n = 1 comparison
    @example(Case((1, 1), True, "missing", "identical", "STORES", True))
    def draw(case: Case) -> None:
        drawn.append(case)

    draw()
    return drawn


async def _store(world: World, case: Case, start: date, rng: np.random.Generator) -> None:
    with tenant_scope(world.tenant.id):
        version = (await active_survey()).version
        responses, answers = [], []
        for store, count in zip(world.stores, case.counts, strict=False):
            for _ in range(count):
                day = start if case.one_day else start + timedelta(days=int(rng.integers(0, PERIOD_DAYS)))
                moment = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=12)
                outcome = {"varied": int(rng.integers(0, 11)), "constant": 8, "missing": None}[case.outcome]
                shared = int(rng.integers(1, 6))
                response = Response(
                    id=uuid4(), tenant_id=world.tenant.id, store_id=store.id, survey_version_id=version.id,
                    channel="qr", via="json", language="en", started_at=moment - timedelta(seconds=40),
                    submitted_at=moment, duration_ms=40000, outcome=outcome, quality_flags=[],
                    receipt_code=f"E{next(RECEIPTS):07X}",
                )
                responses.append(response)
                answers.append(Answer(id=uuid4(), tenant_id=world.tenant.id, response_id=response.id,
                                      store_id=store.id, submitted_at=moment, statement_id=WARMUP, goal="warmup",
                                      polarity=1, value=5, position=0, reaction_ms=900, warmup=True))
                for k, g in enumerate(GOALS):
                    value = {"varied": int(rng.integers(1, 6)), "identical": shared, "constant": 4}[case.goals]
                    answers.append(Answer(id=uuid4(), tenant_id=world.tenant.id, response_id=response.id,
                                          store_id=store.id, submitted_at=moment, statement_id=STATEMENTS[g], goal=g,
                                          polarity=1, value=value, position=k + 1, reaction_ms=1200, warmup=False))
        await Response.bulk_create(responses)
        await Answer.bulk_create(answers)
        if case.change:
            await StoreChange.create(store_id=world.stores[0].id, date=start + timedelta(days=PERIOD_DAYS // 2),
                                     description="edge case")


EDGE_QUERY = """
query($scope: InsightScopeInput!, $period: PeriodInput!, $compare: InsightCompareWith) {
  insights(scope: $scope, period: $period, compareWith: $compare) {
    n nFlagged notes
    profile { n sufficient note items { goal fulfilment { ...estimate } conviction { ...estimate }
              pooledConviction shrunkFulfilment shrinkage } }
    drivers { method basis r2 r2Low r2High n nBoot sufficient note drivers { goal importance low high share } }
    optimise { rank goal quadrant importance performance target uplift { ...estimate } }
    map { goal importance performance quadrant }
    nps { ...nps }
    outcomeMean { ...estimate }
    models { modelId key sufficient note figures }
    trends { weekly { ...point } daily { ...point } }
    stores { ...benchmark } zones { ...benchmark } channels { ...benchmark }
    storeChanges { outcome { effect low high se pValue treatedChange controlChange n sufficient note } }
    comparison { against n differences { name current other difference low high pValue sufficient note } }
  }
}
fragment estimate on InsightEstimate { value low high n sufficient note }
fragment nps on InsightNps { value low high n sufficient note }
fragment point on InsightTrendPoint { n nps outcomeMean note goals { goal value n } }
fragment benchmark on InsightBenchmark { n shrinkage nps { ...nps } outcomeMean { ...estimate } goals { goal value n } }
"""
"""Every float of the answer, with what says why a figure is absent (``sufficient``, ``note``, ``n``)."""

EXCUSED_BY_FULFILMENT = {"pooledConviction", "shrunkFulfilment", "strength"}
"""Goal-profile fields that are absent exactly when the goal's fulfilment is (and say so there)."""


def _check_answer(value: Any, path: str, reasons: list[str]) -> None:
    """Every float finite or null; a null number sits in an object that says why (not sufficient, a note, n = 0)."""
    if isinstance(value, dict):
        says_why = value.get("sufficient") is False or bool(value.get("note")) or value.get("n") == 0
        fulfilment = value.get("fulfilment")
        for key, v in value.items():
            if key == "figures":
                continue
            excused = key in EXCUSED_BY_FULFILMENT and isinstance(fulfilment, dict) and not fulfilment["sufficient"]
            if v is None and key not in ("note", "comparison", "shrinkage") and not (says_why or excused):
                reasons.append(f"{path}.{key} is null without a reason")
            _check_answer(v, f"{path}.{key}", reasons)
    elif isinstance(value, list):
        for k, v in enumerate(value):
            _check_answer(v, f"{path}[{k}]", reasons)
    elif isinstance(value, float):
        assert math.isfinite(value), path


async def test_edge_cases_through_the_engine_and_the_insights_query(app: Any, client: httpx.AsyncClient) -> None:
    world = await make_world(n_stores=2, zones_per_store=0)
    plugins = await suite_plugins()  # before the tenant's first query, so no process holds its enablement yet
    await plugins.enable_plugin(world.tenant.id, plugins.plugin_of_model(MODEL_ID), {"min_responses": 1})
    token = await token_for(world.tenant.id, world.owner_id)
    rng = np.random.default_rng(3)
    cases = _cases()
    assert len(cases) >= EXAMPLES // 2
    for case in cases:
        # each case has its own period, far enough from the others that no comparison or change window reaches one
        start = BASE + timedelta(days=200 * next(PERIODS))
        await _store(world, case, start, rng)
        if case.compare == "PREVIOUS_PERIOD":  # the same responses in the period before, so both sides are small
            await _store(world, case, start - timedelta(days=PERIOD_DAYS), rng)
        await recompute(world)
        clear_cache()
        period = {"from": start.isoformat(), "to": (start + timedelta(days=PERIOD_DAYS - 1)).isoformat()}
        scopes = [{"kind": "CHAIN", "ids": []}, {"kind": "STORE", "ids": [encode_id("Store", world.stores[0].id)]}]
        for scope in scopes:
            body = await gql(client, token, EDGE_QUERY, scope=scope, period=period, compare=case.compare)
            assert "errors" not in body, (case, body)
            ins = body["data"]["insights"]
            assert ins["n"] == (sum(case.counts) if scope["kind"] == "CHAIN" else case.counts[0])
            reasons: list[str] = []
            _check_answer(ins, "insights", reasons)
            assert not reasons, (case, reasons)

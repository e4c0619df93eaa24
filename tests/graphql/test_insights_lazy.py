"""The insights answer becomes GraphQL types only where the query selects them (graphql/insights/sections.py)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from pejling.core.insights import engine
from pejling.core.insights import sections as core
from pejling.graphql.insights import sections as api
from pejling.graphql.relay_ids import encode_id
from tests.insights.test_sections import _answer
from tests.support.tenancy import gql, make_tenant

START = date(2026, 2, 2)
PERIOD = {"from": START.isoformat(), "to": (START + timedelta(days=89)).isoformat()}
GOALS = tuple(core.GoalValue(goal, 4.0, 10) for goal in ("security", "ease", "discovery", "inspiration"))


def _ninety_days(request: Any) -> core.Insights:
    """The engine's answer with 90 daily and 13 weekly trend points of four goals each (as over a quarter)."""
    daily = tuple(core.TrendPoint(START + timedelta(days=d), 10, 20.0, 7.5, GOALS) for d in range(90))
    weekly = tuple(core.TrendPoint(START + timedelta(weeks=w), 70, 20.0, 7.5, GOALS) for w in range(13))
    return dataclasses.replace(_answer(), trends=core.Trends(daily, weekly))
QUERY = "query($scope: InsightScopeInput!, $period: PeriodInput!) { insights(scope: $scope, period: $period) { %s } }"


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many of each nested GraphQL type were built (a spy on their conversions) for the engine's answer."""

    async def answer(request: Any) -> core.Insights:
        return _ninety_days(request)

    monkeypatch.setattr(engine, "insights", answer)
    counts: Counter[str] = Counter()
    for name in ("TrendPoint", "GoalValue", "Benchmark", "GoalProfileItem", "Driver", "NpsScore"):
        cls = getattr(api, name)
        original: Callable[[Any], Any] = cls.from_section

        def spy(section: Any, _original: Callable[[Any], Any] = original, _name: str = name) -> Any:
            counts[_name] += 1
            return _original(section)

        monkeypatch.setattr(cls, "from_section", spy)
    return counts


async def _insights(client: httpx.AsyncClient, selection: str) -> dict[str, Any]:
    fx = await make_tenant()
    scope = {"kind": "STORE", "ids": [encode_id("Store", fx.stores[0].id)]}
    body = await gql(client, QUERY % selection, {"scope": scope, "period": PERIOD},
                     headers={"Authorization": f"Bearer {fx.token}"})
    assert "errors" not in body, body
    return body["data"]["insights"]  # type: ignore[no-any-return]


async def test_a_query_of_the_nps_builds_no_trend_points_or_benchmarks(client: httpx.AsyncClient,
                                                                         built: Counter[str]) -> None:
    answer = await _insights(client, "n nps { value n sufficient }")
    assert answer == {"n": 40, "nps": {"value": 20.0, "n": 40, "sufficient": True}}
    assert built == Counter({"NpsScore": 1})


async def test_the_daily_dates_build_their_points_but_not_their_goal_values(client: httpx.AsyncClient,
                                                                            built: Counter[str]) -> None:
    answer = await _insights(client, "trends { daily { start n } }")
    daily = answer["trends"]["daily"]
    assert [point["start"] for point in daily] == [(START + timedelta(days=d)).isoformat() for d in range(90)]
    assert built == Counter({"TrendPoint": 90})  # the weekly points and every point's goals are never built


async def test_a_full_selection_answers_as_the_full_conversion(client: httpx.AsyncClient,
                                                               built: Counter[str]) -> None:
    answer = await _insights(client, "trends { weekly { start n nps outcomeMean note goals { goal value n } } } "
                                     "stores { key name n nps { value } goals { goal } }")
    eager = _ninety_days(None)
    assert [p["goals"] for p in answer["trends"]["weekly"]] == [
        [{"goal": g.goal, "value": g.value, "n": g.n} for g in point.goals] for point in eager.trends.weekly
    ]
    assert answer["stores"] == [{"key": encode_id("Store", b.key), "name": b.name, "n": b.n, "nps": {"value": 20.0},
                                 "goals": [{"goal": "security"}]} for b in eager.stores]
    assert built["TrendPoint"] == 13 and built["GoalValue"] == 13 * 4 + 1 and built["Benchmark"] == 1


async def test_aliases_of_one_field_convert_it_once(client: httpx.AsyncClient, built: Counter[str]) -> None:
    answer = await _insights(client, "a: trends { weekly { start } } b: trends { weekly { n } }")
    assert len(answer["a"]["weekly"]) == len(answer["b"]["weekly"]) == built["TrendPoint"] == 13

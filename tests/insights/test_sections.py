"""The GraphQL layer serves the core's plain sections: every nested section converted, ids as global ids."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

from pejling.core.insights import sections as core
from pejling.graphql.insights import sections as api
from pejling.graphql.relay_ids import decode_id

STORE, ZONE, CHANGE = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
DAY = dt.date(2026, 3, 2)


def _answer() -> core.Insights:
    estimate = core.Estimate(4.1, 3.9, 4.3, 40)
    nps = core.NpsScore(20.0, 5.0, 35.0, 40, 16, 16, 8, True)
    goal = core.GoalValue("security", 4.0, 40)
    benchmark = {
        "store": core.Benchmark("store", STORE, "Centre", 40, nps, estimate, (goal,), 0.2),
        "zone": core.Benchmark("zone", ZONE, "Checkout", 30, nps, estimate, (goal,)),
        "no zone": core.Benchmark("zone", "", "No zone", 10, nps, estimate, (goal,)),
        "channel": core.Benchmark("channel", "qr", "qr", 40, nps, estimate, (goal,)),
    }
    point = core.TrendPoint(DAY, 40, 20.0, 7.5, (goal,))
    did = core.DiD(0.5, 0.1, 0.9, 0.2, 0.01, 0.6, 0.1, (10, 11, 12, 13), True)
    return core.Insights(
        scope="store",
        store_ids=(STORE,),
        period_from=DAY,
        period_to=DAY,
        language="en",
        n=40,
        n_flagged=1,
        rollup_version=3,
        profile=core.GoalProfile((core.GoalProfileItem("security", estimate, estimate, 0.3, 4.0, 0.1),), 40, True),
        drivers=core.KeyDrivers("shapley", "scope", (core.Driver("security", 0.2, 0.1, 0.3, 1.0),), 0.2, 0.1, 0.3, 40,
                                200, "parametric bootstrap (Wishart)", True),
        map=(core.MapPoint("security", 0.2, 4.0, "priority"),),
        optimise=(core.OptimiseItem(1, "security", "priority", 0.2, 4.0, 4.4, estimate, ("Light the exit",)),),
        nps=nps,
        outcome_mean=estimate,
        models=(core.ModelSection("nps", "1", "nps", "NPS", True, None, {"value": 20.0}),),
        trends=core.Trends((point,), (point,)),
        stores=(benchmark["store"],),
        zones=(benchmark["zone"], benchmark["no zone"]),
        channels=(benchmark["channel"],),
        store_changes=(core.StoreChangeEffect(CHANGE, STORE, "Centre", DAY, "New signage", 28, did),),
        comparison=core.Comparison("stores", DAY, DAY, 80, (core.Difference("nps", 20.0, 10.0, 10.0, 1.0, 19.0, 0.03,
                                                                           True),)),
        notes=("a note",),
    )


def _core_leftovers(value: Any, path: str = "insights") -> list[str]:
    """Paths in the GraphQL answer that still hold a core section or a raw UUID."""
    if isinstance(value, uuid.UUID) or type(value).__module__ == core.__name__:
        return [path]
    if isinstance(value, list | tuple):
        return [p for i, v in enumerate(value) for p in _core_leftovers(v, f"{path}[{i}]")]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        return [p for f in fields for p in _core_leftovers(getattr(value, f.name), f"{path}.{f.name}")]
    return []


def test_every_nested_section_is_converted_to_its_graphql_type() -> None:
    served = api.Insights.from_section(_answer())
    assert _core_leftovers(served) == []
    assert isinstance(served.comparison, api.Comparison)
    assert served.trends.daily[0].goals[0] == api.GoalValue(goal="security", value=4.0, n=40)
    assert served.optimise[0].levers == ["Light the exit"]
    assert served.store_changes[0].outcome.n == [10, 11, 12, 13]
    assert served.notes == ["a note"]


def test_store_zone_and_change_ids_are_global_ids() -> None:
    served = api.Insights.from_section(_answer())
    assert [decode_id(s, "Store") for s in served.store_ids] == [STORE]
    assert decode_id(served.stores[0].key, "Store") == STORE
    assert decode_id(served.zones[0].key, "Zone") == ZONE
    assert served.zones[1].key == ""
    assert served.channels[0].key == "qr"
    effect = served.store_changes[0]
    assert decode_id(effect.change_id, "StoreChange") == CHANGE and decode_id(effect.store_id, "Store") == STORE


def test_an_answer_without_comparison_has_none() -> None:
    served = api.Insights.from_section(dataclasses.replace(_answer(), comparison=None))
    assert served.comparison is None

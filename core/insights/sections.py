"""The insight sections: what the engine returns and the GraphQL API serves, field for field.

They are strawberry types (and plain dataclasses), so the engine's result is the API's answer without copying.
Every number that comes from a sample carries its interval and n; a figure with too few responses has
``sufficient = false``, a ``note`` saying so, and no value.
"""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.scalars import JSON


@strawberry.type(
    name="InsightEstimate",
    description="A value with its confidence interval and n. No value when n is too small.",
)
class Estimate:
    value: float | None
    low: float | None
    high: float | None
    n: int
    sufficient: bool = True
    note: str | None = None


@strawberry.type(
    name="InsightGoalProfileItem",
    description="How well one implicit goal was served and how strongly it was felt.",
)
class GoalProfileItem:
    goal: str
    fulfilment: Estimate = strawberry.field(
        description="Mean agreement (1-5, reversed items turned) with a t interval."
    )
    conviction: Estimate = strawberry.field(
        description="Reaction-time-weighted conviction on [-1, 1] (mean of per-respondent scores) with a t interval."
    )
    pooled_conviction: float | None = strawberry.field(description="Σ w·a / Σ w over every tap of the scope.")
    shrunk_fulfilment: float | None = strawberry.field(
        description="Fulfilment shrunk toward the chain mean (empirical Bayes); equals fulfilment for large scopes."
    )
    shrinkage: float = strawberry.field(description="The weight B given to the chain mean (0: none, 1: all).")


@strawberry.type(name="InsightGoalProfile")
class GoalProfile:
    items: list[GoalProfileItem]
    n: int
    sufficient: bool
    note: str | None = None


@strawberry.type(name="InsightDriver", description="One goal's share of the explained variance of the outcome.")
class Driver:
    goal: str
    importance: float | None
    low: float | None
    high: float | None
    share: float | None


@strawberry.type(
    name="InsightKeyDrivers",
    description="Relative importance of the goals for the outcome; parts sum to R².",
)
class KeyDrivers:
    method: str
    basis: str = strawberry.field(
        description="scope: fitted on this scope, chain: on the whole chain (scope too small)."
    )
    drivers: list[Driver]
    r2: float | None
    r2_low: float | None
    r2_high: float | None
    n: int
    n_boot: int
    interval_method: str
    sufficient: bool
    note: str | None = None


@strawberry.type(name="InsightMapPoint", description="A goal on the importance x performance map.")
class MapPoint:
    goal: str
    importance: float
    performance: float
    quadrant: str


@strawberry.type(
    name="InsightOptimiseItem",
    description="A place to optimise, ranked, with levers and projected uplift.",
)
class OptimiseItem:
    rank: int
    goal: str
    quadrant: str
    importance: float
    performance: float
    target: float = strawberry.field(description="The chain's top-quartile store value of this goal.")
    uplift: Estimate = strawberry.field(
        description="Projected outcome change (0-10) if the goal reached the target (linear model, associational)."
    )
    levers: list[str]


@strawberry.type(name="InsightNps", description="Net Promoter Score with an adjusted-Wald interval.")
class NpsScore:
    value: float | None
    low: float | None
    high: float | None
    n: int
    promoters: int
    passives: int
    detractors: int
    sufficient: bool
    note: str | None = None


@strawberry.type(name="InsightModelSection", description="A section made by a scoring model plugin from the rollups.")
class ModelSection:
    model_id: str
    model_version: str
    key: str
    title: str
    sufficient: bool
    note: str | None
    figures: JSON


@strawberry.type(name="InsightGoalValue")
class GoalValue:
    goal: str
    value: float | None
    n: int


@strawberry.type(name="InsightTrendPoint", description="One day or week of the scope.")
class TrendPoint:
    start: dt.date
    n: int
    nps: float | None
    outcome_mean: float | None
    goals: list[GoalValue]


@strawberry.type(name="InsightTrends")
class Trends:
    daily: list[TrendPoint]
    weekly: list[TrendPoint]


@strawberry.type(name="InsightBenchmark", description="A store, zone or channel next to the others.")
class Benchmark:
    kind: str
    key: str = strawberry.field(description="Global id of the store or zone, or the channel name.")
    name: str
    n: int
    nps: NpsScore
    outcome_mean: Estimate
    goals: list[GoalValue]
    shrinkage: float | None = None


@strawberry.type(name="InsightDifferenceInDifferences")
class DiD:
    effect: float | None
    low: float | None
    high: float | None
    se: float | None
    p_value: float | None
    treated_change: float | None
    control_change: float | None
    n: list[int] = strawberry.field(
        description="Responses: treated before, treated after, control before, control after."
    )
    sufficient: bool
    note: str | None = None


@strawberry.type(
    name="InsightStoreChangeEffect",
    description="Before/after a logged store change against the other stores.",
)
class StoreChangeEffect:
    change_id: str
    store_id: str
    store_name: str
    date: dt.date
    description: str
    window_days: int
    outcome: DiD


@strawberry.type(name="InsightDifference")
class Difference:
    name: str
    current: float | None
    other: float | None
    difference: float | None
    low: float | None
    high: float | None
    p_value: float | None
    sufficient: bool


@strawberry.type(
    name="InsightComparison",
    description="The scope compared with the previous period or the other stores.",
)
class Comparison:
    against: str
    period_from: dt.date
    period_to: dt.date
    n: int
    differences: list[Difference]


@strawberry.type(name="Insights", description="Insights for a store, zone, group of stores or the chain over a period.")
class Insights:
    scope: str
    store_ids: list[str]
    period_from: dt.date
    period_to: dt.date
    language: str
    n: int = strawberry.field(description="Responses counted (quality-flagged ones excluded).")
    n_flagged: int = strawberry.field(description="Responses flagged as likely bots or straight-liners, left out.")
    rollup_version: int
    profile: GoalProfile
    drivers: KeyDrivers
    map: list[MapPoint]
    optimise: list[OptimiseItem]
    nps: NpsScore
    outcome_mean: Estimate
    models: list[ModelSection]
    trends: Trends
    stores: list[Benchmark]
    zones: list[Benchmark]
    channels: list[Benchmark]
    store_changes: list[StoreChangeEffect]
    comparison: Comparison | None
    notes: list[str]

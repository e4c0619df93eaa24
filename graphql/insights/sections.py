"""The insight sections as GraphQL types: the core's plain dataclasses (``core/insights/sections.py``) served field
for field, with store, zone and change ids encoded as global ids. ``Insights.from_section`` converts an answer.

The conversion is lazy where an answer is large: :class:`Insights`, :class:`Trends`, :class:`TrendPoint`,
:class:`Benchmark` and :class:`GoalProfile` keep the engine's frozen section and convert a nested field the first time
it is read (by GraphQL's resolver or by Python), so a query that selects the NPS builds no trend points, and one that
selects the daily trend's dates builds no goal values. The answers are the same as a full conversion's.
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from pejling.core.insights import sections
from pejling.graphql.insights.change_sections import Comparison, StoreChangeEffect
from pejling.graphql.insights.lazy_sections import LazySection, lazy_section, section_fields
from pejling.graphql.relay_ids import encode_id

_ID_TYPES = {"store": "Store", "zone": "Zone"}
"""The global id type of a benchmark's key, by the benchmark's kind."""


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

    @classmethod
    def from_section(cls, section: sections.Estimate) -> Estimate:
        return cls(**section_fields(section))


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
        description=(
            "Direction of the goal on [-1, 1] with fast (strongly felt) answers counting more: Σ s·a / Σ s over the "
            "scope's respondents, s the strength of each answer from the respondent's own reaction times; beside "
            "fulfilment, a conviction above (fulfilment - 3) / 2 means the positive answers came faster. The interval "
            "is conservative."
        )
    )
    pooled_conviction: float | None = strawberry.field(description="The value of conviction (the older field).")
    shrunk_fulfilment: float | None = strawberry.field(
        description="Fulfilment shrunk toward the chain mean (empirical Bayes); equals fulfilment for large scopes."
    )
    shrinkage: float = strawberry.field(description="The weight B given to the chain mean (0: none, 1: all).")
    strength: float | None = strawberry.field(
        description=(
            "How strongly the goal is felt: the mean strength of its answers, 0.1..1, from each respondent's own "
            "reaction times (0.5 = at the respondent's usual speed, higher = faster, more automatic answers). "
            "Null when too few answers were timed."
        )
    )

    @classmethod
    def from_section(cls, section: sections.GoalProfileItem) -> GoalProfileItem:
        return cls(**section_fields(
            section,
            fulfilment=Estimate.from_section(section.fulfilment),
            conviction=Estimate.from_section(section.conviction),
        ))


@strawberry.type(name="InsightGoalProfile")
class GoalProfile(LazySection):
    items: list[GoalProfileItem]
    n: int
    sufficient: bool
    note: str | None = None

    @classmethod
    def from_section(cls, section: sections.GoalProfile) -> GoalProfile:
        return lazy_section(cls, section)


GoalProfile._lazy = {"items": lambda s: [GoalProfileItem.from_section(i) for i in s.items]}


@strawberry.type(name="InsightDriver", description="One goal's share of the explained variance of the outcome.")
class Driver:
    goal: str
    importance: float | None = strawberry.field(
        description="Bias-corrected part of R² (the parts sum to the key drivers' r2)."
    )
    low: float | None
    high: float | None
    share: float | None = strawberry.field(description="Fraction of the explained variance.")
    share_low: float | None = None
    share_high: float | None = None
    indistinguishable_from_none: bool = strawberry.field(
        default=False,
        description="The goal's part is no larger than a goal of pure noise gets by chance: lower bounds are 0.",
    )
    note: str | None = None

    @classmethod
    def from_section(cls, section: sections.Driver) -> Driver:
        return cls(**section_fields(section))


@strawberry.type(
    name="InsightStrengthModeration",
    description=(
        "Does answer speed add anything? The driver model with answer x strength terms (strength from each "
        "respondent's own reaction times) against the plain one, on the same responses."
    ),
)
class StrengthModeration:
    gain: float | None = strawberry.field(
        description="R² of the moderated model minus R² of the plain one (the share of the outcome it adds)."
    )
    low: float | None = strawberry.field(
        description="Lower bound of the population gain (noncentral-F interval): above 0 only when the gain is "
        "significant."
    )
    high: float | None = strawberry.field(description="Upper bound of the population gain.")
    p_value: float | None = strawberry.field(description="p value of the partial F test of the strength terms.")
    r2_plain: float | None
    r2_moderated: float | None
    n: int
    sufficient: bool
    verdict: str | None = strawberry.field(
        description="The finding in one sentence: fast answers predict the outcome better, or no evidence."
    )
    note: str | None = None

    @classmethod
    def from_section(cls, section: sections.StrengthModeration) -> StrengthModeration:
        return cls(**section_fields(section))


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
    strength_moderation: StrengthModeration | None = strawberry.field(
        default=None,
        description="Whether answer speed adds to the model (gain in R² with its interval); null without a model.",
    )

    @classmethod
    def from_section(cls, section: sections.KeyDrivers) -> KeyDrivers:
        moderation = section.strength_moderation
        return cls(**section_fields(
            section,
            drivers=[Driver.from_section(d) for d in section.drivers],
            strength_moderation=StrengthModeration.from_section(moderation) if moderation is not None else None,
        ))


@strawberry.type(name="InsightMapPoint", description="A goal on the importance x performance map.")
class MapPoint:
    goal: str
    importance: float
    performance: float
    quadrant: str

    @classmethod
    def from_section(cls, section: sections.MapPoint) -> MapPoint:
        return cls(**section_fields(section))


@strawberry.type(
    name="InsightOptimiseItem",
    description=(
        "A goal below its target, ranked by projected uplift (rank 1 = optimise first), with levers. Goals at or "
        "above their target are strengths: they are on the map, not in this list."
    ),
)
class OptimiseItem:
    rank: int
    goal: str
    quadrant: str = strawberry.field(description="The goal's quadrant on the importance x performance map.")
    importance: float = strawberry.field(description="Shapley share of R² in the same model as the uplift.")
    performance: float
    target: float = strawberry.field(
        description="The chain's top-quartile store value of this goal, or 4 (agree) when fewer than two stores "
        "answer it (see targetBasis)."
    )
    uplift: Estimate = strawberry.field(
        description="Projected outcome change (0-10) if the goal reached the target (linear model, associational)."
    )
    levers: list[str]
    target_basis: str = strawberry.field(
        description="What the target is: 'chain top-quartile store' or 'agree (4 of 5)'."
    )

    @classmethod
    def from_section(cls, section: sections.OptimiseItem) -> OptimiseItem:
        return cls(**section_fields(section, uplift=Estimate.from_section(section.uplift), levers=list(section.levers)))


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

    @classmethod
    def from_section(cls, section: sections.NpsScore) -> NpsScore:
        return cls(**section_fields(section))


@strawberry.type(name="InsightModelSection", description="A section made by a scoring model plugin from the rollups.")
class ModelSection:
    model_id: str
    model_version: str
    key: str
    title: str
    sufficient: bool
    note: str | None
    figures: JSON

    @classmethod
    def from_section(cls, section: sections.ModelSection) -> ModelSection:
        return cls(**section_fields(section))


@strawberry.type(name="InsightGoalValue")
class GoalValue:
    goal: str
    value: float | None
    n: int

    @classmethod
    def from_section(cls, section: sections.GoalValue) -> GoalValue:
        return cls(**section_fields(section))


@strawberry.type(name="InsightTrendPoint", description="One day or week of the scope.")
class TrendPoint(LazySection):
    start: dt.date
    n: int
    nps: float | None = strawberry.field(description="Plain NPS; null when none of the point's responses answered it.")
    outcome_mean: float | None = strawberry.field(description="Mean outcome (0-10); null when none answered it.")
    goals: list[GoalValue]
    note: str | None = strawberry.field(
        description="Why nps and outcomeMean are null (no outcome answered, or only flagged responses)."
    )

    @classmethod
    def from_section(cls, section: sections.TrendPoint) -> TrendPoint:
        return lazy_section(cls, section)


TrendPoint._lazy = {"goals": lambda s: [GoalValue.from_section(g) for g in s.goals]}


@strawberry.type(name="InsightTrends")
class Trends(LazySection):
    daily: list[TrendPoint]
    weekly: list[TrendPoint]

    @classmethod
    def from_section(cls, section: sections.Trends) -> Trends:
        return lazy_section(cls, section)


Trends._lazy = {
    "daily": lambda s: [TrendPoint.from_section(p) for p in s.daily],
    "weekly": lambda s: [TrendPoint.from_section(p) for p in s.weekly],
}


@strawberry.type(name="InsightBenchmark", description="A store, zone or channel next to the others.")
class Benchmark(LazySection):
    kind: str
    key: str = strawberry.field(description="Global id of the store or zone, or the channel name.")
    name: str
    n: int
    nps: NpsScore
    outcome_mean: Estimate
    goals: list[GoalValue]
    shrinkage: float | None = None

    @classmethod
    def from_section(cls, section: sections.Benchmark) -> Benchmark:
        key = encode_id(_ID_TYPES[section.kind], section.key) if isinstance(section.key, UUID) else section.key
        return lazy_section(cls, section, key=key)


Benchmark._lazy = {
    "nps": lambda s: NpsScore.from_section(s.nps),
    "outcome_mean": lambda s: Estimate.from_section(s.outcome_mean),
    "goals": lambda s: [GoalValue.from_section(g) for g in s.goals],
}


@strawberry.type(name="Insights", description="Insights for a store, zone, group of stores or the chain over a period.")
class Insights(LazySection):
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

    @classmethod
    def from_section(cls, section: sections.Insights) -> Insights:
        return lazy_section(cls, section, store_ids=[encode_id("Store", s) for s in section.store_ids],
                     notes=list(section.notes))


Insights._lazy = {
    "profile": lambda s: GoalProfile.from_section(s.profile),
    "drivers": lambda s: KeyDrivers.from_section(s.drivers),
    "map": lambda s: [MapPoint.from_section(p) for p in s.map],
    "optimise": lambda s: [OptimiseItem.from_section(o) for o in s.optimise],
    "nps": lambda s: NpsScore.from_section(s.nps),
    "outcome_mean": lambda s: Estimate.from_section(s.outcome_mean),
    "models": lambda s: [ModelSection.from_section(m) for m in s.models],
    "trends": lambda s: Trends.from_section(s.trends),
    "stores": lambda s: [Benchmark.from_section(b) for b in s.stores],
    "zones": lambda s: [Benchmark.from_section(b) for b in s.zones],
    "channels": lambda s: [Benchmark.from_section(b) for b in s.channels],
    "store_changes": lambda s: [StoreChangeEffect.from_section(c) for c in s.store_changes],
    "comparison": lambda s: Comparison.from_section(s.comparison) if s.comparison is not None else None,
}

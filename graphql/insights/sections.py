"""The insight sections as GraphQL types: the core's plain dataclasses (``core/insights/sections.py``) served field
for field, with store, zone and change ids encoded as global ids. ``Insights.from_section`` converts an answer.

The conversion is lazy where an answer is large: :class:`Insights`, :class:`Trends`, :class:`TrendPoint`,
:class:`Benchmark` and :class:`GoalProfile` keep the engine's frozen section and convert a nested field the first time
it is read (by GraphQL's resolver or by Python), so a query that selects the NPS builds no trend points, and one that
selects the daily trend's dates builds no goal values. The answers are the same as a full conversion's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import fields
from typing import Any, ClassVar, TypeVar
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from pejling.core.insights import sections
from pejling.graphql.relay_ids import encode_id

_ID_TYPES = {"store": "Store", "zone": "Zone"}
"""The global id type of a benchmark's key, by the benchmark's kind."""


_NAMES: dict[type, tuple[str, ...]] = {}


def _names(section_type: type) -> tuple[str, ...]:
    """The field names of a core section type (read once per type: ``dataclasses.fields`` is slow)."""
    names = _NAMES.get(section_type)
    if names is None:
        names = _NAMES[section_type] = tuple(f.name for f in fields(section_type))
    return names


def _fields(section: Any, **converted: Any) -> dict[str, Any]:
    """The section's fields by name, with ``converted`` (GraphQL sub-sections, global ids) in place of the core's."""
    values = {name: getattr(section, name) for name in _names(type(section))}
    values.update(converted)
    return values


class LazySection:
    """A GraphQL type whose nested fields (``_lazy``: field name -> conversion of the core section) are converted on
    first read. Built by :func:`_lazy`; the core section is kept outside the dataclass fields."""

    _lazy: ClassVar[dict[str, Callable[[Any], Any]]] = {}

    def __getattr__(self, name: str) -> Any:
        convert = type(self)._lazy.get(name)
        section = self.__dict__.get("_section")
        if convert is None or section is None:
            raise AttributeError(name)
        value = convert(section)
        self.__dict__[name] = value  # converted once, however often the query selects it
        return value


_T = TypeVar("_T", bound=LazySection)


def _lazy(cls: type[_T], section: Any, **converted: Any) -> _T:
    """An instance of ``cls`` with the section's plain fields (and ``converted``) set, the lazy ones left for later."""
    instance = cls.__new__(cls)
    values = {name: value for name, value in _fields(section, **converted).items() if name not in cls._lazy}
    instance.__dict__.update(values, _section=section)
    return instance


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
        return cls(**_fields(section))


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
        return cls(**_fields(
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
        return _lazy(cls, section)


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
        return cls(**_fields(section))


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
        return cls(**_fields(section))


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
        return cls(**_fields(
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
        return cls(**_fields(section))


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
        return cls(**_fields(section, uplift=Estimate.from_section(section.uplift), levers=list(section.levers)))


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
        return cls(**_fields(section))


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
        return cls(**_fields(section))


@strawberry.type(name="InsightGoalValue")
class GoalValue:
    goal: str
    value: float | None
    n: int

    @classmethod
    def from_section(cls, section: sections.GoalValue) -> GoalValue:
        return cls(**_fields(section))


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
        return _lazy(cls, section)


TrendPoint._lazy = {"goals": lambda s: [GoalValue.from_section(g) for g in s.goals]}


@strawberry.type(name="InsightTrends")
class Trends(LazySection):
    daily: list[TrendPoint]
    weekly: list[TrendPoint]

    @classmethod
    def from_section(cls, section: sections.Trends) -> Trends:
        return _lazy(cls, section)


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
        return _lazy(cls, section, key=key)


Benchmark._lazy = {
    "nps": lambda s: NpsScore.from_section(s.nps),
    "outcome_mean": lambda s: Estimate.from_section(s.outcome_mean),
    "goals": lambda s: [GoalValue.from_section(g) for g in s.goals],
}


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
    method: str = strawberry.field(default="", description="How the interval was made.")
    store_days: list[int] = strawberry.field(
        default_factory=list,
        description="Store-days with responses: treated before, treated after, control before, control after.",
    )
    control_stores: int = strawberry.field(default=0, description="Other stores compared with.")
    persistence: float | None = strawberry.field(
        default=None, description="Estimated day-to-day persistence (AR(1) rho) of a store's drift."
    )
    df: float | None = strawberry.field(default=None, description="Degrees of freedom of the t reference.")

    @classmethod
    def from_section(cls, section: sections.DiD) -> DiD:
        return cls(**_fields(section, n=list(section.n), store_days=list(section.store_days)))


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

    @classmethod
    def from_section(cls, section: sections.StoreChangeEffect) -> StoreChangeEffect:
        return cls(**_fields(
            section,
            change_id=encode_id("StoreChange", section.change_id),
            store_id=encode_id("Store", section.store_id),
            outcome=DiD.from_section(section.outcome),
        ))


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
    note: str | None = strawberry.field(default=None, description="Why there is no difference, when there is none.")

    @classmethod
    def from_section(cls, section: sections.Difference) -> Difference:
        return cls(**_fields(section))


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

    @classmethod
    def from_section(cls, section: sections.Comparison) -> Comparison:
        return cls(**_fields(section, differences=[Difference.from_section(d) for d in section.differences]))


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
        return _lazy(cls, section, store_ids=[encode_id("Store", s) for s in section.store_ids],
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

"""The insight sections: what the engine returns, as plain frozen dataclasses (cached and shared between requests).

The GraphQL layer (``graphql/insights/sections.py``) serves them field for field as GraphQL types, encoding the
store, zone and change ids as global ids. Every number that comes from a sample carries its interval and n; a figure
with too few responses has ``sufficient = False``, a ``note`` saying so, and no value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class Estimate:
    """A value with its confidence interval and n. No value when n is too small."""

    value: float | None
    low: float | None
    high: float | None
    n: int
    sufficient: bool = True
    note: str | None = None


@dataclass(frozen=True)
class GoalProfileItem:
    """How well one implicit goal was served (fulfilment, 1-5) and how strongly it was felt (conviction, -1..1)."""

    goal: str
    fulfilment: Estimate
    conviction: Estimate
    """Σ s·c / Σ s over the scope's respondents (strength-weighted, pooled across respondents)."""
    pooled_conviction: float | None
    """The value of ``conviction`` (kept for callers of the older field)."""
    shrunk_fulfilment: float | None
    """Fulfilment shrunk toward the chain mean (empirical Bayes); equals fulfilment for large scopes."""
    shrinkage: float
    """The weight B given to the chain mean (0: none, 1: all)."""
    strength: float | None = None
    """Mean strength s (conviction weight 0.1..1 from the respondent's own reaction times; 0.5 = their usual speed)."""


@dataclass(frozen=True)
class GoalProfile:
    items: tuple[GoalProfileItem, ...]
    n: int
    sufficient: bool
    note: str | None = None


@dataclass(frozen=True)
class Driver:
    """One goal's share of the explained variance of the outcome.

    ``importance`` is the goal's bias-corrected part of R² (the parts sum to the key drivers' ``r2``), ``share`` its
    fraction of the explained variance; ``low``/``high`` and ``share_low``/``share_high`` bound them. A goal whose part
    is no larger than a goal of pure noise gets by chance is ``indistinguishable_from_none`` (lower bounds 0, ``note``).
    """

    goal: str
    importance: float | None
    low: float | None
    high: float | None
    share: float | None
    share_low: float | None = None
    share_high: float | None = None
    indistinguishable_from_none: bool = False
    note: str | None = None


@dataclass(frozen=True)
class StrengthModeration:
    """Does answer speed add anything? The driver model with answer × strength terms against the plain one.

    ``gain`` = ``r2_moderated`` − ``r2_plain`` on the same responses; ``low``/``high`` bound the population gain
    (noncentral-F interval: ``low`` > 0 exactly when the gain is significant); ``verdict`` says it in one sentence.
    """

    gain: float | None
    low: float | None
    high: float | None
    p_value: float | None
    r2_plain: float | None
    r2_moderated: float | None
    n: int
    sufficient: bool
    verdict: str | None
    """"Answers given fast predict the outcome better here …" or "No evidence that answer speed adds anything …"."""
    note: str | None = None


@dataclass(frozen=True)
class KeyDrivers:
    """Relative importance of the goals for the outcome; parts sum to R²."""

    method: str
    basis: str
    """scope: fitted on this scope, chain: on the whole chain (scope too small)."""
    drivers: tuple[Driver, ...]
    r2: float | None
    r2_low: float | None
    r2_high: float | None
    n: int
    n_boot: int
    interval_method: str
    sufficient: bool
    note: str | None = None
    strength_moderation: StrengthModeration | None = None
    """Whether answer speed (strength) adds to the model; None when there is no driver model."""


@dataclass(frozen=True)
class MapPoint:
    """A goal on the importance x performance map."""

    goal: str
    importance: float
    performance: float
    quadrant: str


@dataclass(frozen=True)
class OptimiseItem:
    """A goal below its target, ranked by projected uplift (1 = optimise first), with the playbook's levers."""

    rank: int
    goal: str
    quadrant: str
    importance: float
    performance: float
    target: float
    """The goal's target: the chain's top-quartile store value, or "agree" (4) when fewer than two stores answer it."""
    uplift: Estimate
    """Projected outcome change (0-10) if the goal reached the target (linear model, associational)."""
    levers: tuple[str, ...]
    target_basis: str = "chain top-quartile store"
    """What the target is: ``chain top-quartile store`` or ``agree (4 of 5)``."""


@dataclass(frozen=True)
class NpsScore:
    """Net Promoter Score with an adjusted-Wald interval."""

    value: float | None
    low: float | None
    high: float | None
    n: int
    promoters: int
    passives: int
    detractors: int
    sufficient: bool
    note: str | None = None


@dataclass(frozen=True)
class ModelSection:
    """A section made by a scoring model plugin from the rollups; ``figures`` are JSON-compatible."""

    model_id: str
    model_version: str
    key: str
    title: str
    sufficient: bool
    note: str | None
    figures: dict[str, Any]


@dataclass(frozen=True)
class GoalValue:
    goal: str
    value: float | None
    n: int


@dataclass(frozen=True)
class TrendPoint:
    """One day or week of the scope."""

    start: dt.date
    n: int
    nps: float | None
    outcome_mean: float | None
    goals: tuple[GoalValue, ...]
    note: str | None = None
    """Why NPS and the outcome mean are null (no outcome answered, or only flagged responses); None if they are not."""


@dataclass(frozen=True)
class Trends:
    daily: tuple[TrendPoint, ...]
    weekly: tuple[TrendPoint, ...]


@dataclass(frozen=True)
class Benchmark:
    """A store, zone or channel next to the others."""

    kind: str
    """store, zone or channel."""
    key: UUID | str
    """The store's or zone's id, or the channel name ("" for responses outside any known zone)."""
    name: str
    n: int
    nps: NpsScore
    outcome_mean: Estimate
    goals: tuple[GoalValue, ...]
    shrinkage: float | None = None


@dataclass(frozen=True)
class DiD:
    """Difference in differences of the outcome on store-day means, with an interval that holds under store drift."""

    effect: float | None
    low: float | None
    high: float | None
    se: float | None
    p_value: float | None
    treated_change: float | None
    control_change: float | None
    n: tuple[int, ...]
    """Responses: treated before, treated after, control before, control after."""
    sufficient: bool
    note: str | None = None
    method: str = ""
    """How the interval was made (e.g. store-day difference in differences, AR(1)-corrected t interval)."""
    store_days: tuple[int, ...] = ()
    """Store-days with responses: treated before, treated after, control before, control after."""
    control_stores: int = 0
    """Other stores compared with (each with responses on enough days before and after)."""
    persistence: float | None = None
    """Estimated day-to-day persistence (AR(1) ρ) of a store's drift; 0 = days independent."""
    df: float | None = None
    """Degrees of freedom of the t reference."""


@dataclass(frozen=True)
class StoreChangeEffect:
    """Before/after a logged store change against the other stores."""

    change_id: UUID
    store_id: UUID
    store_name: str
    date: dt.date
    description: str
    window_days: int
    outcome: DiD


@dataclass(frozen=True)
class Difference:
    name: str
    current: float | None
    other: float | None
    difference: float | None
    low: float | None
    high: float | None
    p_value: float | None
    sufficient: bool
    note: str | None = None


@dataclass(frozen=True)
class Comparison:
    """The scope compared with the previous period or the other stores."""

    against: str
    period_from: dt.date
    period_to: dt.date
    n: int
    differences: tuple[Difference, ...]


@dataclass(frozen=True)
class Insights:
    """Insights for a store, zone, group of stores or the chain over a period."""

    scope: str
    store_ids: tuple[UUID, ...]
    period_from: dt.date
    period_to: dt.date
    language: str
    n: int
    """Responses counted (quality-flagged ones excluded)."""
    n_flagged: int
    """Responses flagged as likely bots or straight-liners, left out."""
    rollup_version: int
    profile: GoalProfile
    drivers: KeyDrivers
    map: tuple[MapPoint, ...]
    optimise: tuple[OptimiseItem, ...]
    nps: NpsScore
    outcome_mean: Estimate
    models: tuple[ModelSection, ...]
    trends: Trends
    stores: tuple[Benchmark, ...]
    zones: tuple[Benchmark, ...]
    channels: tuple[Benchmark, ...]
    store_changes: tuple[StoreChangeEffect, ...]
    comparison: Comparison | None
    notes: tuple[str, ...]

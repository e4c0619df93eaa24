"""The insight sections about change as GraphQL types: a logged store change's before/after against the other stores
(difference in differences) and the scope compared with the previous period or the other stores."""

from __future__ import annotations

import datetime as dt

import strawberry

from pejling.core.insights import sections
from pejling.graphql.insights.lazy_sections import section_fields
from pejling.graphql.relay_ids import encode_id


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
        return cls(**section_fields(section, n=list(section.n), store_days=list(section.store_days)))


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
        return cls(**section_fields(
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
        return cls(**section_fields(section))


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
        return cls(**section_fields(section, differences=[Difference.from_section(d) for d in section.differences]))

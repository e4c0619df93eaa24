"""One insights question: the scope (which rollup rows), the period, the filters and the scoring models to summarise."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from pejling.core.contracts import ScoringModel, SummaryOptions
from pejling.core.insights import sql
from pejling.core.insights.statistics.minimum_n import MIN_N

SCOPES = ("store", "zone", "stores", "chain")
COMPARE = ("previousPeriod", "stores")
MAX_PERIOD_DAYS = 3 * 366


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
        """The SQL condition (``""`` for the chain) and its parameters."""
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

    @property
    def single_store(self) -> bool:
        """One whole store: its goal figures are shrunk toward the chain mean."""
        return self.kind == "store" and len(self.store_ids) == 1 and not self.zone_ids


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
    min_n: int = MIN_N
    confidence: float = 0.95
    visible_store_ids: frozenset[UUID] | None = None
    """Stores the asker may see by name (a store manager); None: every store."""
    models: tuple[tuple[ScoringModel, SummaryOptions], ...] = field(default=(), compare=False, hash=False)
    model_key: tuple[str, ...] = ()


def refuse_unanswerable(req: Request) -> None:
    """Raise :class:`InsightsRefused` for an unknown scope or comparison, or a reversed or over-long period."""
    if req.scope.kind not in SCOPES:
        raise InsightsRefused("scope", f"scope must be one of {', '.join(SCOPES)}")
    if req.end < req.start:
        raise InsightsRefused("period", "The period ends before it starts.")
    if (req.end - req.start).days > MAX_PERIOD_DAYS:
        raise InsightsRefused("period", "Choose a period of at most three years.")
    if req.compare_with is not None and req.compare_with not in COMPARE:
        raise InsightsRefused("compareWith", f"compareWith must be one of {', '.join(COMPARE)}")

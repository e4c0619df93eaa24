"""Customer satisfaction (CSAT): share of 4–5 answers on a 1–5 scale, with a Wilson interval."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from pejling.core.contracts import (
    InsightSection,
    ResponseScores,
    Rollup,
    Scale,
    ScoringModel,
    ScoringSettings,
    ShopperResponse,
    Statement,
    SummaryOptions,
)
from pejling.core.hookspecs import hookimpl
from pejling.core.insights.statistics import csat

SATISFIED = Statement(
    id="csat-satisfied",
    texts={
        "da": "Hvor tilfreds er du med dit besøg i dag?",
        "nb": "Hvor fornøyd er du med besøket ditt i dag?",
        "sv": "Hur nöjd är du med ditt besök i dag?",
        "en": "How satisfied are you with your visit today?",
    },
    scale=Scale(
        1,
        5,
        low_label={
            "da": "Meget utilfreds", "nb": "Svært misfornøyd", "sv": "Mycket missnöjd", "en": "Very dissatisfied"
        },
        high_label={"da": "Meget tilfreds", "nb": "Svært fornøyd", "sv": "Mycket nöjd", "en": "Very satisfied"},
    ),
)


class CustomerSatisfaction(ScoringModel):
    """CSAT = % of shoppers answering 4 or 5."""

    id = "csat"
    name = "Customer satisfaction (CSAT)"
    version = "1.0"
    statements = (SATISFIED,)

    def score_response(self, response: ShopperResponse) -> ResponseScores | None:
        answer = response.answer(SATISFIED.id)
        if answer is None or answer.value is None:
            return None
        satisfied = answer.value >= 4
        return ResponseScores(
            self.id,
            {"answer": float(answer.value), "satisfied": float(satisfied)},
            category="satisfied" if satisfied else "not satisfied",
        )

    def summarise(
        self, data: Sequence[ShopperResponse] | Rollup, options: SummaryOptions = SummaryOptions()
    ) -> list[InsightSection]:
        estimate = csat(self.rollup(data).counts(SATISFIED), min_n=options.min_n, confidence=options.confidence)
        return [InsightSection(self.id, "csat", self.name, estimate.to_dict(), estimate.sufficient, estimate.note)]


@hookimpl
def register_scoring_models() -> list[ScoringModel]:
    return [CustomerSatisfaction()]


@hookimpl
def register_plugin_settings() -> type[BaseModel]:
    return ScoringSettings

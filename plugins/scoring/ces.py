"""Customer effort score (CES 2.0): agreement on 1–7 that the store made things easy, mean and % easy."""

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
from pejling.core.insights.statistics import ces

EASY = Statement(
    id="ces-easy",
    texts={
        "da": "Butikken gjorde det nemt for mig at få det, jeg kom efter.",
        "nb": "Butikken gjorde det enkelt for meg å få det jeg kom for.",
        "sv": "Butiken gjorde det enkelt för mig att få det jag kom för.",
        "en": "The store made it easy for me to get what I came for.",
    },
    scale=Scale(
        1,
        7,
        low_label={"da": "Helt uenig", "nb": "Helt uenig", "sv": "Instämmer inte alls", "en": "Strongly disagree"},
        high_label={"da": "Helt enig", "nb": "Helt enig", "sv": "Instämmer helt", "en": "Strongly agree"},
    ),
)


class CustomerEffort(ScoringModel):
    """CES 2.0: the mean agreement (1–7) and the share answering 5–7 ("easy")."""

    id = "ces"
    name = "Customer effort (CES)"
    version = "1.0"
    statements = (EASY,)

    def score_response(self, response: ShopperResponse) -> ResponseScores | None:
        answer = response.answer(EASY.id)
        if answer is None or answer.value is None:
            return None
        easy = answer.value >= 5
        return ResponseScores(
            self.id, {"answer": float(answer.value), "easy": float(easy)}, category="easy" if easy else "not easy"
        )

    def summarise(
        self, data: Sequence[ShopperResponse] | Rollup, options: SummaryOptions = SummaryOptions()
    ) -> list[InsightSection]:
        estimate = ces(self.rollup(data).counts(EASY), min_n=options.min_n, confidence=options.confidence)
        return [InsightSection(self.id, "ces", self.name, estimate.to_dict(), estimate.sufficient, estimate.note)]


@hookimpl
def register_scoring_models() -> list[ScoringModel]:
    return [CustomerEffort()]


@hookimpl
def register_plugin_settings() -> type[BaseModel]:
    return ScoringSettings

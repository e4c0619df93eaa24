"""Net Promoter Score: "How likely are you to recommend us?" on 0–10, with an adjusted-Wald interval."""

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
from pejling.core.goals import NPS_STATEMENT_ID
from pejling.core.hookspecs import hookimpl
from pejling.core.insights.statistics import nps_from_counts

RECOMMEND = Statement(
    id=NPS_STATEMENT_ID,
    texts={
        "da": "Hvor sandsynligt er det, at du vil anbefale butikken til en ven eller kollega?",
        "nb": "Hvor sannsynlig er det at du vil anbefale butikken til en venn eller kollega?",
        "sv": "Hur troligt är det att du skulle rekommendera butiken till en vän eller kollega?",
        "en": "How likely are you to recommend this store to a friend or colleague?",
    },
    scale=Scale(
        0,
        10,
        low_label={
            "da": "Slet ikke sandsynligt",
            "nb": "Svært lite sannsynlig",
            "sv": "Inte alls troligt",
            "en": "Not at all likely",
        },
        high_label={
            "da": "Meget sandsynligt", "nb": "Svært sannsynlig", "sv": "Mycket troligt", "en": "Extremely likely"
        },
    ),
)


def category(answer: int) -> str:
    """``promoter`` (9–10), ``passive`` (7–8) or ``detractor`` (0–6)."""
    return "promoter" if answer >= 9 else "passive" if answer >= 7 else "detractor"


class NetPromoterScore(ScoringModel):
    """NPS = % promoters − % detractors, in points from −100 to 100."""

    id = "nps"
    name = "Net Promoter Score"
    version = "1.0"
    statements = (RECOMMEND,)

    def score_response(self, response: ShopperResponse) -> ResponseScores | None:
        answer = response.answer(RECOMMEND.id)
        if answer is None or answer.value is None:
            return None
        kind = category(answer.value)
        return ResponseScores(
            self.id,
            {
                "answer": float(answer.value),
                "promoter": float(kind == "promoter"),
                "detractor": float(kind == "detractor"),
            },
            category=kind,
        )

    def summarise(
        self, data: Sequence[ShopperResponse] | Rollup, options: SummaryOptions = SummaryOptions()
    ) -> list[InsightSection]:
        counts = self.rollup(data).counts(RECOMMEND)
        estimate = nps_from_counts(
            sum(counts[9:]), sum(counts[7:9]), sum(counts[:7]), min_n=options.min_n, confidence=options.confidence
        )
        return [InsightSection(self.id, "nps", self.name, estimate.to_dict(), estimate.sufficient, estimate.note)]


@hookimpl
def register_scoring_models() -> list[ScoringModel]:
    return [NetPromoterScore()]


@hookimpl
def register_plugin_settings() -> type[BaseModel]:
    return ScoringSettings

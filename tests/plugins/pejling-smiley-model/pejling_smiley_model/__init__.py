"""A third-party scoring model: the 0-10 recommend answer shown as five smileys (1 = very sad .. 5 = very happy).

It only uses the public contract (``pejling.core.contracts``) and hooks, proving that a new model reaches the
insights API without any change in core.
"""

from __future__ import annotations

from collections.abc import Sequence

from pejling.core.contracts import (
    InsightSection,
    ResponseScores,
    Rollup,
    Scale,
    ScoringModel,
    ShopperResponse,
    Statement,
    SummaryOptions,
)
from pejling.core.hookspecs import hookimpl
from pejling.core.insights.statistics import mean_interval

RECOMMEND = Statement(
    id="nps-recommend",
    texts={"en": "How likely are you to recommend this store to a friend or colleague?"},
    scale=Scale(0, 10, low_label={"en": "Not at all likely"}, high_label={"en": "Extremely likely"}),
)
FACES = (1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5)
"""The smiley of each answer 0..10."""


class Smiley(ScoringModel):
    id = "smiley"
    name = "Smiley index"
    version = "1.0"
    statements = (RECOMMEND,)

    def score_response(self, response: ShopperResponse) -> ResponseScores | None:
        answer = response.answer(RECOMMEND.id)
        if answer is None or answer.value is None:
            return None
        face = FACES[answer.value]
        return ResponseScores(self.id, {"smiley": float(face)}, category="happy" if face >= 4 else "not happy")

    def summarise(
        self, data: Sequence[ShopperResponse] | Rollup, options: SummaryOptions = SummaryOptions()
    ) -> list[InsightSection]:
        counts = self.rollup(data).counts(RECOMMEND)
        n = sum(counts)
        total = sum(c * FACES[v] for v, c in enumerate(counts))
        total_sq = sum(c * FACES[v] ** 2 for v, c in enumerate(counts))
        estimate = mean_interval(n, float(total), float(total_sq), confidence=options.confidence, min_n=options.min_n)
        happy = sum(c for v, c in enumerate(counts) if FACES[v] >= 4)
        figures = {**estimate.to_dict(), "happy_share": happy / n if n else None}
        return [InsightSection(self.id, "smiley", self.name, figures, estimate.sufficient, estimate.note)]


@hookimpl
def register_scoring_models() -> list[ScoringModel]:
    return [Smiley()]

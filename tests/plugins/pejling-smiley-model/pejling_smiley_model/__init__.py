"""A third-party scoring model: the 0-10 recommend answer shown as five smileys (1 = very sad .. 5 = very happy),
and a question of its own: "Did someone in the store smile at you?" (yes/no).

It only uses the public contract (``pejling.core.contracts``) and hooks, proving that a new model, and its question,
reach the survey page, the ingest and the insights API without any change in core.
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
from pejling.core.insights.statistics import mean_interval, too_few, wilson_interval

RECOMMEND = Statement(
    id="nps-recommend",
    texts={"en": "How likely are you to recommend this store to a friend or colleague?"},
    scale=Scale(0, 10, low_label={"en": "Not at all likely"}, high_label={"en": "Extremely likely"}),
)
SMILED = Statement(
    id="smiley-smiled",
    texts={
        "da": "Smilede nogen i butikken til dig?",
        "nb": "Smilte noen i butikken til deg?",
        "sv": "Log någon i butiken mot dig?",
        "en": "Did someone in the store smile at you?",
    },
    scale=Scale.yes_no(
        no={"da": "Nej", "nb": "Nei", "sv": "Nej", "en": "No"},
        yes={"da": "Ja", "nb": "Ja", "sv": "Ja", "en": "Yes"},
    ),
)
"""The model's own question: a tenant adds it to the survey (``chooseSurveyStatements(modelQuestionIds:)``)."""
FACES = (1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5)
"""The smiley of each answer 0..10."""


class Smiley(ScoringModel):
    id = "smiley"
    name = "Smiley index"
    version = "1.0"
    statements = (RECOMMEND, SMILED)

    def score_response(self, response: ShopperResponse) -> ResponseScores | None:
        answer = response.answer(RECOMMEND.id)
        smiled = response.answer(SMILED.id)
        values: dict[str, float] = {}
        if smiled is not None and smiled.value is not None:
            values["smiled"] = float(smiled.value)
        if answer is None or answer.value is None:
            return ResponseScores(self.id, values) if values else None
        face = FACES[answer.value]
        values["smiley"] = float(face)
        return ResponseScores(self.id, values, category="happy" if face >= 4 else "not happy")

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
        return [
            InsightSection(self.id, "smiley", self.name, figures, estimate.sufficient, estimate.note),
            self._smiled(self.rollup(data).counts(SMILED), options),
        ]

    def _smiled(self, counts: tuple[int, ...], options: SummaryOptions) -> InsightSection:
        """The share of shoppers who were smiled at (answers 0 = no, 1 = yes), with a Wilson interval."""
        no, yes = counts
        n = no + yes
        title = "Smiled at"
        guard = too_few(n, options.min_n)
        if guard is not None:
            return InsightSection(self.id, "smiled", title, {"n": n, "value": None}, False, guard.note)
        low, high = wilson_interval(yes, n, confidence=options.confidence)
        figures = {"n": n, "yes": yes, "value": 100 * yes / n, "low": 100 * low, "high": 100 * high}
        return InsightSection(self.id, "smiled", title, figures, True, None)


@hookimpl
def register_scoring_models() -> list[ScoringModel]:
    return [Smiley()]

"""The ``implicit-goals`` scoring model: explicit fulfilment and reaction-time-weighted conviction per goal.

Per response (see :mod:`pejling.core.goals.scores`): for each goal the mean polarity-adjusted answer (1..5)
and the conviction ``Σ w·a / Σ w`` on [-1, 1] with weights from the respondent's own reaction times. Over many
responses (a rollup of answer histograms), the explicit fulfilment of each goal with a t interval. The insights
engine adds the conviction, key drivers and where to optimise from the rollups.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pejling.core.contracts import (
    InsightSection,
    ResponseScores,
    Rollup,
    ScoringModel,
    ShopperResponse,
    SummaryOptions,
)
from pejling.core.goals import GOALS, MODEL_ID, WARMUP_GOAL
from pejling.core.goals.scores import SCALE_HIGH, SCALE_LOW, Tap, adjusted, score_taps
from pejling.core.insights.statistics import mean_interval
from pejling.core.surveys.bank import BankStatement, current_bank


def _statement(statement_id: str) -> BankStatement | None:
    """A built-in statement, or a tenant statement (``<goal>.t-<slug>``) known by its goal."""
    found = current_bank().get(statement_id)
    if found is not None:
        return found
    goal = statement_id.split(".", 1)[0]
    if goal in GOALS and ".t-" in statement_id:
        return BankStatement(statement_id, goal, 1, False, {"en": statement_id}, builtin=False)
    return None


class ImplicitGoals(ScoringModel):
    """The behavioural model: how well each implicit goal was served, and how strongly it was felt."""

    id = MODEL_ID
    name = "Implicit goals"
    version = "1.1"  # 1.1: a respondent's reaction-time spread is shrunk toward the population's (issue 10)
    statements = ()
    """The statements live in the statement bank (``statements.toml``): ids ``goal.slug`` are not contract ids."""

    def score_response(self, response: ShopperResponse) -> ResponseScores | None:
        taps = []
        for answer in response.answers:
            statement = _statement(answer.statement_id)
            if statement is None or answer.value is None:
                continue
            polarity = answer.polarity or statement.polarity
            rt = None if answer.reaction_time_ms is None else int(answer.reaction_time_ms)
            taps.append(Tap(statement.goal, polarity, int(answer.value), rt, statement.goal == WARMUP_GOAL))
        goals = score_taps(taps)
        if not goals:
            return None
        values: dict[str, float] = {}
        for goal, result in goals.items():
            values[f"{goal}.explicit"] = result.explicit
            if result.conviction is not None:
                values[f"{goal}.conviction"] = result.conviction
        weakest = min(goals, key=lambda g: (goals[g].explicit, g))
        return ResponseScores(self.id, values, category=weakest)

    def summarise(
        self, data: Sequence[ShopperResponse] | Rollup, options: SummaryOptions = SummaryOptions()
    ) -> list[InsightSection]:
        if not isinstance(data, Rollup):
            data = _rollup_of(data)
        sums: dict[str, list[float]] = {g: [0.0, 0.0, 0.0] for g in GOALS}
        for statement_id, counts in data.histograms.items():
            statement = _statement(statement_id)
            if statement is None or statement.goal not in GOALS:
                continue
            for index, count in enumerate(counts):
                value = SCALE_LOW + index
                if count and value <= SCALE_HIGH:
                    v = adjusted(value, statement.polarity)
                    acc = sums[statement.goal]
                    acc[0] += count
                    acc[1] += count * v
                    acc[2] += count * v * v
        figures: dict[str, Any] = {}
        for goal, (n, s, ss) in sums.items():
            figures[goal] = mean_interval(int(n), s, ss, confidence=options.confidence, min_n=options.min_n).to_dict()
        sufficient = any(f["sufficient"] for f in figures.values())
        note = None if sufficient else "too few responses"
        return [InsightSection(self.id, "goal-fulfilment", "Goal fulfilment (answers, 1-5)", figures, sufficient, note)]


def _rollup_of(responses: Sequence[ShopperResponse]) -> Rollup:
    """Histograms (scale 1..5, index 0 = 1) of every bank statement answered in ``responses``."""
    hist: dict[str, list[int]] = {}
    for response in responses:
        for answer in response.answers:
            if answer.value is not None and SCALE_LOW <= answer.value <= SCALE_HIGH and _statement(answer.statement_id):
                hist.setdefault(answer.statement_id, [0] * (SCALE_HIGH - SCALE_LOW + 1))[answer.value - SCALE_LOW] += 1
    return Rollup({k: tuple(v) for k, v in hist.items()})

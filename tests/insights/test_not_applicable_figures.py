"""Planted truth: "doesn't apply" answers bias neither a goal's level nor the key drivers.

Simulated shoppers answer three goals (security, ease, autonomy) and the outcome; the outcome is planted as
1.2·ease + 0.6·security + 0·autonomy + noise. About a third of them did not pay, and answer the only ease statement
("Paying went quickly") "doesn't apply" — more often when they felt less secure, so the n/a answers are not a random
sample. The rollups (the real per-response contribution, n/a filter included) must give the ease level of those who
paid, and the key drivers of the complete responses, which recover the planted importances; counting the n/a answers
as a neutral 3 instead would visibly bias both (checked too, so this test can fail).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

import numpy as np

from pejling.core.insights import moments
from pejling.core.insights.columns import SUM_COLUMNS
from pejling.core.insights.key_drivers import _moments_of, choose_goal_set
from pejling.core.insights.rollup_sums import add_up, goal_values
from pejling.core.insights.rollups import _Batch

STORE = UUID(int=1)
DAY = date(2026, 3, 2)
N = 3000
GOALS3 = ("security", "ease", "autonomy")
STATEMENTS = {"security": "security.prices-clear", "ease": "ease.quick-to-pay", "autonomy": "autonomy.own-pace"}


@dataclass
class _Tap:
    statement_id: str
    goal: str
    polarity: int
    value: int | None
    reaction_ms: int | None
    warmup: bool
    not_applicable: bool = False


def _world(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Answers (N x 3, 1..5), outcomes (0..10) and who did not pay (answers ease n/a)."""
    rng = np.random.default_rng(seed)
    latent = rng.multivariate_normal(np.zeros(3), [[1, 0.3, 0.2], [0.3, 1, 0.25], [0.2, 0.25, 1]], size=N)
    answers = np.clip(np.rint(3.4 + 1.1 * latent), 1, 5)
    outcome = np.clip(np.rint(1.0 + 1.2 * answers[:, 1] + 0.6 * answers[:, 0] + rng.normal(0, 1.3, N)), 0, 10)
    unpaid = rng.random(N) < np.where(answers[:, 0] <= 3, 0.5, 0.2)  # depends on a driver, not on the outcome
    return answers, outcome, unpaid


def _rows(answers: np.ndarray, outcome: np.ndarray, unpaid: np.ndarray, *, na_as: int | None = None) -> list[dict]:
    """The rollup rows per goal mask, built by the rollups' own per-response contribution."""
    batch = _Batch()
    for i in range(N):
        taps = []
        for k, goal in enumerate(GOALS3):
            na = goal == "ease" and bool(unpaid[i])
            value = (na_as if na_as is not None else None) if na else int(answers[i, k])
            taps.append(_Tap(STATEMENTS[goal], goal, 1, value, 900 + 50 * k, False, na and na_as is None))
        batch.add(STORE, None, "qr", DAY, int(outcome[i]), False, taps)
    return [{"mask": key[4], **dict(zip(SUM_COLUMNS, vec, strict=True))} for key, vec in batch.daily.items()]


def _shares(rows: list[dict]) -> tuple[int, dict[str, float]]:
    mask, goals = choose_goal_set(rows)
    data = _moments_of(rows, mask, goals)
    result = moments.importance(data.n, data.sums, data.cross, goals)
    assert result.share is not None
    return data.n, dict(zip(goals, result.importance or (), strict=True))


def _importance_of(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """The planted truth's importances: the same decomposition on the raw answers of everyone who paid."""
    z = np.column_stack([x, y])
    n = len(z)
    result = moments.importance(n, z.sum(axis=0), z.T @ z, GOALS3)
    return dict(zip(GOALS3, result.importance or (), strict=True))


def test_doesnt_apply_biases_neither_the_goal_level_nor_the_drivers() -> None:
    answers, outcome, unpaid = _world(seed=7)
    paid = ~unpaid
    assert 0.25 < unpaid.mean() < 0.45
    rows = _rows(answers, outcome, unpaid)
    total = add_up(rows)
    assert total["n"] == N  # every response is counted ...
    levels = {g.goal: g for g in goal_values(total)}
    # ... the ease level is that of the shoppers who paid, and the other goals keep every shopper's answer.
    assert levels["ease"].n == paid.sum()
    assert abs(levels["ease"].value - answers[paid, 1].mean()) < 1e-9  # type: ignore[operator]
    assert levels["security"].n == N and abs(levels["security"].value - answers[:, 0].mean()) < 1e-9  # type: ignore[operator]

    # The drivers: fitted on the complete responses only (n/a responses are left out of the driver moments) ...
    n, importance = _shares(rows)
    assert n == paid.sum()
    truth = _importance_of(answers[paid], outcome[paid])
    for goal in GOALS3:
        assert abs(importance[goal] - truth[goal]) < 1e-9
    # ... which recover the planted order (ease > security > autonomy) as the data without any n/a does.
    everyone = _importance_of(answers, outcome)
    assert importance["ease"] > importance["security"] > importance["autonomy"]
    for goal in GOALS3:
        assert abs(importance[goal] - everyone[goal]) < 0.04, (goal, importance, everyone)

    # Counting "doesn't apply" as a neutral 3 instead would bias both figures well beyond these tolerances.
    biased = _rows(answers, outcome, unpaid, na_as=3)
    biased_levels = {g.goal: g for g in goal_values(add_up(biased))}
    assert abs(biased_levels["ease"].value - levels["ease"].value) > 0.1  # type: ignore[operator]
    _, biased_importance = _shares(biased)
    assert abs(biased_importance["ease"] - everyone["ease"]) > 0.04

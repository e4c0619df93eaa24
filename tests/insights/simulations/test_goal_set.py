"""The driver model keeps its goal set: a few partial responses neither shrink it nor move R² (issue 10, point 3).

Shoppers are drawn from a planted linear model of the outcome on the seven goals (fixed seed); each response goes
through the rollups' own per-response contribution (``columns.contribution``) into one summed row per goal mask,
exactly what ``key_drivers.driver_model`` reads from ``insights_daily``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pytest

from pejling.core.goals import GOALS
from pejling.core.insights.columns import SUM_COLUMNS, contribution
from pejling.core.insights.key_drivers import choose_goal_set, driver_model
from pejling.core.insights.request import Request, Scope

WEIGHTS = {"security": 0.2, "ease": 0.9, "autonomy": 0.1, "recognition": 0.6, "enjoyment": 0.3, "discovery": 0.4,
           "value": 0.5}
"""The planted driver weights (outcome points per answer point)."""


@dataclass(frozen=True)
class Tap:
    goal: str
    value: int
    reaction_ms: int | None = 1200
    polarity: int = 1
    warmup: bool = False


def _shopper(rng: np.random.Generator, goals: tuple[str, ...]) -> tuple[list[Tap], int]:
    """One shopper answering ``goals`` (1-5) and the outcome (0-10) from the planted model."""
    values = {g: int(np.clip(round(rng.normal(3.4, 1.0)), 1, 5)) for g in GOALS}
    latent = sum(WEIGHTS[g] * (values[g] - 3.0) for g in GOALS)
    outcome = int(np.clip(round(6.5 + latent + rng.normal(0.0, 1.0)), 0, 10))
    return [Tap(g, values[g]) for g in goals], outcome


def _rows(shoppers: list[tuple[list[Tap], int]]) -> list[dict[str, Any]]:
    """The rollup rows summed per goal mask, as ``sum_rollups(..., group=("mask",))`` answers them."""
    by_mask: dict[int, np.ndarray] = {}
    for taps, outcome in shoppers:
        mask, vec, _ = contribution(taps, outcome, flagged=False)
        by_mask[mask] = by_mask.get(mask, np.zeros(len(SUM_COLUMNS))) + vec
    return [{"mask": mask, **dict(zip(SUM_COLUMNS, vec.tolist(), strict=True))} for mask, vec in by_mask.items()]


REQUEST = Request(uuid.uuid4(), Scope("chain"), date(2026, 1, 1), date(2026, 1, 31))


async def _model(shoppers: list[tuple[list[Tap], int]]) -> tuple[tuple[str, ...], float]:
    model = await driver_model(REQUEST, _rows(shoppers), [])
    assert model.section.sufficient and model.section.r2 is not None
    return model.goals, model.section.r2


@pytest.mark.parametrize("partial", [1, 3, 10])
async def test_partial_responses_keep_the_goal_set_and_r2(partial: int) -> None:
    rng = np.random.default_rng(20261201)
    full = [_shopper(rng, GOALS) for _ in range(400)]
    goals, r2 = await _model(full)
    assert goals == GOALS
    assert r2 > 0.5  # the planted model explains most of the outcome
    ranked = [d.goal for d in (await driver_model(REQUEST, _rows(full), [])).section.drivers]
    assert ranked[:2] == ["ease", "recognition"]  # the planted drivers are recovered

    two_goal = [_shopper(rng, ("ease", "value")) for _ in range(partial)]
    goals_after, r2_after = await _model(full + two_goal)
    assert goals_after == GOALS
    assert abs(r2_after - r2) <= 0.01


async def test_partial_responses_of_many_masks_keep_the_goal_set() -> None:
    """Partial responses spread over several smaller masks (each missing other goals) never win the goal set."""
    rng = np.random.default_rng(7)
    full = [_shopper(rng, GOALS) for _ in range(300)]
    _, r2 = await _model(full)
    partial = [_shopper(rng, tuple(g for g in GOALS if g != GOALS[i % 7])) for i in range(20)]
    goals_after, r2_after = await _model(full + partial)
    assert goals_after == GOALS
    assert abs(r2_after - r2) <= 0.01


def test_the_goal_set_is_the_most_common_mask_with_an_outcome() -> None:
    rng = np.random.default_rng(3)
    five = GOALS[:5]
    shoppers = [_shopper(rng, five) for _ in range(60)] + [_shopper(rng, GOALS) for _ in range(40)]
    _, goals = choose_goal_set(_rows(shoppers))
    assert goals == five  # a survey that now asks five goals: its mask is the most common one
    # responses without an outcome never choose the goal set
    no_outcome = [(taps, None) for taps, _ in (_shopper(rng, GOALS[:2]) for _ in range(500))]
    rows = _rows(shoppers)
    for taps, _ in no_outcome:
        mask, vec, _ = contribution(taps, None, flagged=False)
        rows.append({"mask": mask, **dict(zip(SUM_COLUMNS, vec.tolist(), strict=True))})
    assert choose_goal_set(rows)[1] == five

"""The chain's stores side by side: each store's goal means shrunk toward the chain mean, and the top-quartile targets.

Read from the per-store-day chain view over the request's period (every store, whatever the scope): the profile shrinks
a single store's figures, the store benchmarks show the shrunk means, and "where to optimise" aims at the targets.
A goal a store has no answer to in the period is *not asked* there: it gets no shrunk value (never the chain mean with
B = 1), so it stays out of the store's ranking and its shrinkage note.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple
from uuid import UUID

import numpy as np

from pejling.core.insights import sql
from pejling.core.insights.columns import STORE_COLUMNS
from pejling.core.insights.request import Request
from pejling.core.insights.rollup_sums import Row, sum_rollups, variance
from pejling.core.insights.statistics.shrinkage import shrink_toward_mean
from pejling.core.surveys.bank import GOALS

TARGET_QUANTILE = 0.75
"""A goal's target is the chain's top-quartile store value."""
MIN_STORES_FOR_TARGET = 2
"""Stores that must answer a goal for the top quartile to be its target (else "agree", see ``optimise.py``)."""

FEW_RESPONSES = 100
"""Below this many answers to a goal, a store's own uncertainty is a reason for its shrinkage."""
FEW_RESPONSES_VS_TYPICAL = 2.0
"""A store whose sampling variance σ²/n exceeds the chain's median store's by this factor has few responses."""
FEW = "few"
"""Shrinkage reason: the store has few responses (n below FEW_RESPONSES, or far fewer than a typical store)."""
ALIKE = "alike"
"""Shrinkage reason: the store is well measured, but the chain's stores differ little (small τ² beside σ²/n)."""


class Shrunk(NamedTuple):
    """A store's goal mean shrunk toward the chain mean, and ``weight``, the weight B given to the chain mean."""

    value: float | None
    weight: float


NOT_SHRUNK = Shrunk(None, 0.0)


@dataclass(frozen=True)
class Chain:
    """Every store with responses in the period: its summed row, its shrunk goal means, and the chain's targets."""

    rows: Mapping[UUID, Row]
    shrunk: Mapping[str, Mapping[UUID, Shrunk]]
    """goal -> store -> shrunk mean."""
    targets: Mapping[str, float]
    """goal -> the 75th percentile of the stores' shrunk means (a goal no store answered has none)."""
    reasons: Mapping[str, Mapping[UUID, str]] = field(default_factory=dict)
    """goal -> store -> why the store's mean is shrunk (:data:`FEW` or :data:`ALIKE`); absent when not asked."""

    @property
    def store_ids(self) -> list[UUID]:
        return sorted(self.rows)

    def shrunk_goal(self, goal: str, store_id: UUID) -> Shrunk:
        return self.shrunk[goal].get(store_id, NOT_SHRUNK)

    def shrinkage_note(self, store_id: UUID | None, weights: Mapping[str, float], threshold: float) -> str | None:
        """The note of a store whose goals (``weights``: goal -> B, asked goals only) give the chain mean more weight
        than ``threshold``, naming the true reason: few responses, or stores too alike to tell apart (None: no store,
        or nothing shrunk that much)."""
        shrunk = {g: b for g, b in weights.items() if b > threshold}
        if store_id is None or not shrunk:
            return None
        few = sorted(g for g in shrunk if self.reasons.get(g, {}).get(store_id) == FEW)
        alike = sorted(g for g in shrunk if g not in few)
        most = 100 * max(shrunk.values())
        because = []
        if few:
            because.append(f"this store has few responses to {', '.join(few)}")
        if alike:
            because.append(f"the chain's stores differ little on {', '.join(alike)} (less than their responses "
                           "can tell apart), so the chain mean is the better estimate")
        return (f"Goal figures are shrunk toward the chain mean (empirical Bayes, up to {most:.0f} % weight on the "
                f"chain) because {'; and '.join(because)}.")


async def read_chain(req: Request) -> Chain:
    """Sum the chain view per store over the period and shrink every goal's store means."""
    rows = await sum_rollups(req, None, req.start, req.end, group=("store_id",), columns=STORE_COLUMNS, coarse=True)
    by_store = {sql.as_uuid(r["store_id"]): r for r in rows}
    store_ids = sorted(by_store)
    shrunk: dict[str, dict[UUID, Shrunk]] = {}
    targets: dict[str, float] = {}
    reasons: dict[str, dict[UUID, str]] = {}
    for goal in GOALS:
        shrunk[goal], target, reasons[goal] = _shrink_goal(goal, [by_store[s] for s in store_ids], store_ids)
        if target is not None:
            targets[goal] = target
    return Chain(by_store, shrunk, targets, reasons)


def _shrink_goal(
    goal: str, rows: list[Row], store_ids: list[UUID]
) -> tuple[dict[UUID, Shrunk], float | None, dict[UUID, str]]:
    """Empirical-Bayes shrunk means of one goal per store, its top-quartile target and each store's reason.

    A store's own variance is its within-store spread, or the pooled spread when it has one response or no spread.
    Without a pooled spread (one response in the whole chain) the means are left unshrunk and there is no target.
    A store without an answer to the goal (not asked) gets no shrunk value and no reason.
    """
    ns = np.array([r[f"{goal}_n"] for r in rows], dtype=float)
    sums = np.array([r[f"{goal}_s"] for r in rows], dtype=float)
    squares = np.array([r[f"{goal}_ss"] for r in rows], dtype=float)
    means = np.where(ns > 0, sums / np.where(ns > 0, ns, 1), np.nan)
    pooled_var = variance(ns.sum(), sums.sum(), squares.sum())
    if not store_ids or not np.isfinite(pooled_var):
        unshrunk = {s: Shrunk(None if not ns[i] else float(means[i]), 0.0) for i, s in enumerate(store_ids)}
        return unshrunk, None, {}
    within = np.array([
        variance(n, s, q) if n > 1 and variance(n, s, q) > 0 else pooled_var
        for n, s, q in zip(ns, sums, squares, strict=True)
    ])
    result = shrink_toward_mean(means, ns, within)
    shrunk = {s: Shrunk(result.shrunk[i], result.b[i]) if ns[i] > 0 else NOT_SHRUNK for i, s in enumerate(store_ids)}
    eligible = [result.shrunk[i] for i in range(len(store_ids)) if ns[i] >= 1 and result.shrunk[i] is not None]
    # One store is its own top quartile: with fewer than two stores a target would only say "stay where you are".
    target = (float(np.quantile(np.array(eligible, dtype=float), TARGET_QUANTILE))
              if len(eligible) >= MIN_STORES_FOR_TARGET else None)
    asked = ns > 0
    sampling = within[asked] / ns[asked]
    typical = float(np.median(sampling))
    reasons = {
        s: FEW if ns[i] < FEW_RESPONSES or within[i] / ns[i] > FEW_RESPONSES_VS_TYPICAL * typical else ALIKE
        for i, s in enumerate(store_ids) if ns[i] > 0
    }
    return shrunk, target, reasons



"""The chain's stores side by side: each store's goal means shrunk toward the chain mean, and the top-quartile targets.

Read from the per-store-day chain view over the request's period (every store, whatever the scope): the profile shrinks
a single store's figures, the store benchmarks show the shrunk means, and "where to optimise" aims at the targets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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

    @property
    def store_ids(self) -> list[UUID]:
        return sorted(self.rows)

    def shrunk_goal(self, goal: str, store_id: UUID) -> Shrunk:
        return self.shrunk[goal].get(store_id, NOT_SHRUNK)


async def read_chain(req: Request) -> Chain:
    """Sum the chain view per store over the period and shrink every goal's store means."""
    rows = await sum_rollups(req, None, req.start, req.end, group=("store_id",), columns=STORE_COLUMNS, coarse=True)
    by_store = {sql.as_uuid(r["store_id"]): r for r in rows}
    store_ids = sorted(by_store)
    shrunk: dict[str, dict[UUID, Shrunk]] = {}
    targets: dict[str, float] = {}
    for goal in GOALS:
        shrunk[goal], target = _shrink_goal(goal, [by_store[s] for s in store_ids], store_ids)
        if target is not None:
            targets[goal] = target
    return Chain(by_store, shrunk, targets)


def _shrink_goal(goal: str, rows: list[Row], store_ids: list[UUID]) -> tuple[dict[UUID, Shrunk], float | None]:
    """Empirical-Bayes shrunk means of one goal per store, and its top-quartile target.

    A store's own variance is its within-store spread, or the pooled spread when it has one response or no spread.
    Without a pooled spread (one response in the whole chain) the means are left unshrunk and there is no target.
    """
    ns = np.array([r[f"{goal}_n"] for r in rows], dtype=float)
    sums = np.array([r[f"{goal}_s"] for r in rows], dtype=float)
    squares = np.array([r[f"{goal}_ss"] for r in rows], dtype=float)
    means = np.where(ns > 0, sums / np.where(ns > 0, ns, 1), np.nan)
    pooled_var = variance(ns.sum(), sums.sum(), squares.sum())
    if not store_ids or not np.isfinite(pooled_var):
        unshrunk = {s: Shrunk(None if not ns[i] else float(means[i]), 0.0) for i, s in enumerate(store_ids)}
        return unshrunk, None
    within = np.array([
        variance(n, s, q) if n > 1 and variance(n, s, q) > 0 else pooled_var
        for n, s, q in zip(ns, sums, squares, strict=True)
    ])
    result = shrink_toward_mean(means, ns, within)
    shrunk = {s: Shrunk(result.shrunk[i], result.b[i]) for i, s in enumerate(store_ids)}
    eligible = [result.shrunk[i] for i in range(len(store_ids)) if ns[i] >= 1 and result.shrunk[i] is not None]
    target = float(np.quantile(np.array(eligible, dtype=float), TARGET_QUANTILE)) if eligible else None
    return shrunk, target



"""One response's implicit-goal scores: explicit fulfilment per goal and reaction-time-weighted conviction.

This is the per-respondent half of the behavioural model (``research/behavioural-model.md``), used both by the
``implicit-goals`` scoring model (:mod:`pejling.core.goals.scoring`) and by the rollups, so that stored scores and
dashboards agree:

* a scored tap's answer (1..5) is turned around for reversed statements (polarity -1: ``6 - value``);
* **explicit fulfilment** of a goal = the mean of its (polarity-adjusted) answers, on the 1..5 scale;
* **conviction** of a goal = ``Σ w·a / Σ w`` with ``a`` the adjusted answer scaled to [-1, 1] and ``w`` the conviction
  weight of the tap from :func:`pejling.core.insights.statistics.normalise_reaction_times`, normalised *within the
  respondent* with the warm-up taps as the speed baseline. Taps without a reaction time (the no-JavaScript form) and
  anticipations (< 300 ms) carry no weight, so such a goal has an explicit score but no conviction;
* **strength** ``s`` of a goal = the mean weight of its timed taps, and ``weighted_sum = s·conviction`` (the mean of
  ``w·a`` over the timed taps). The rollups sum these over respondents, so a scope's conviction
  ``Σ_i s_i·c_i / Σ_i s_i`` pools the weights *across* respondents (fast answers count more): with one statement per
  goal a respondent's own conviction is just its answer (the weights cancel within the respondent), the pooled one is
  not.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from pejling.core.goals import GOALS
from pejling.core.insights.statistics.reaction_times import normalise_reaction_times

SCALE_LOW = 1
SCALE_HIGH = 5


class TapLike(Protocol):
    """What scoring needs of one tap (a stored answer row or the ingest's checked tap both fit)."""

    @property
    def goal(self) -> str: ...
    @property
    def polarity(self) -> int: ...
    @property
    def value(self) -> int: ...
    @property
    def reaction_ms(self) -> int | None: ...
    @property
    def warmup(self) -> bool: ...


@dataclass(frozen=True)
class Tap:
    """One tap as plain values."""

    goal: str
    polarity: int
    value: int
    reaction_ms: int | None
    warmup: bool = False


@dataclass(frozen=True)
class GoalResult:
    """One goal in one response: explicit fulfilment (1..5), conviction on [-1, 1] (None without weights).

    ``weight_sum`` is the strength s (mean conviction weight of the goal's timed taps, 0 without any) and
    ``weighted_sum`` is s·conviction (mean of w·a over the same taps): what the rollups pool across respondents.
    """

    explicit: float
    conviction: float | None
    weighted_sum: float
    weight_sum: float
    n_taps: int


def adjusted(value: int, polarity: int) -> int:
    """The answer turned so that a higher value always means the goal was served better."""
    return value if polarity >= 0 else SCALE_LOW + SCALE_HIGH - value


#: The scores of the last responses scored, by what scoring reads of their taps: the ingest scores each response
#: twice (its rollup contribution and the implicit-goals model's stored score), the second time from here.
_recent: dict[tuple[tuple[str, int, int, int | None, bool], ...], dict[str, GoalResult]] = {}
_RECENT_MAX = 1024


def score_taps(taps: Iterable[TapLike]) -> dict[str, GoalResult]:
    """Score one response's taps; goals not answered are absent from the result."""
    all_taps = list(taps)
    key = tuple((t.goal, t.polarity, t.value, t.reaction_ms, t.warmup) for t in all_taps)
    found = _recent.get(key)
    if found is None:
        found = _score_taps(all_taps)
        if len(_recent) >= _RECENT_MAX:
            _recent.clear()
        _recent[key] = found
    return dict(found)


def _score_taps(all_taps: Sequence[TapLike]) -> dict[str, GoalResult]:
    scored = [t for t in all_taps if not t.warmup and t.goal in GOALS]
    if not scored:
        return {}
    baseline = [float(t.reaction_ms) for t in all_taps if t.warmup and t.reaction_ms is not None]
    timed = [i for i, t in enumerate(scored) if t.reaction_ms is not None]
    weights: list[float | None] = [None] * len(scored)
    if timed:
        rtw = normalise_reaction_times(
            [float(scored[i].reaction_ms or 0) for i in timed], baseline_rts_ms=baseline or None
        )
        for i, w in zip(timed, rtw.weights, strict=True):
            weights[i] = w
    by_goal: dict[str, list[int]] = {}
    for i, t in enumerate(scored):
        by_goal.setdefault(t.goal, []).append(i)
    out: dict[str, GoalResult] = {}
    for goal in GOALS:
        idx = by_goal.get(goal)
        if not idx:
            continue
        values = [adjusted(scored[i].value, scored[i].polarity) for i in idx]
        ws = 0.0
        wa = 0.0
        n_weighted = 0
        for i, v in zip(idx, values, strict=True):
            w = weights[i]
            if w is not None:
                n_weighted += 1
                ws += w
                wa += w * (2.0 * (v - SCALE_LOW) / (SCALE_HIGH - SCALE_LOW) - 1.0)
        out[goal] = GoalResult(
            explicit=sum(values) / len(values),
            conviction=wa / ws if ws > 0 else None,
            weighted_sum=wa / n_weighted if n_weighted else 0.0,
            weight_sum=ws / n_weighted if n_weighted else 0.0,
            n_taps=len(idx),
        )
    return out


def goal_mask(results: Sequence[str] | Iterable[str], has_outcome: bool) -> int:
    """Bit mask of the answered goals (bit i = ``GOALS[i]``) and the outcome (bit ``len(GOALS)``)."""
    mask = 0
    for goal in results:
        mask |= 1 << GOALS.index(goal)
    if has_outcome:
        mask |= 1 << len(GOALS)
    return mask


def mask_goals(mask: int) -> tuple[str, ...]:
    """The goals named by a mask, in :data:`GOALS` order."""
    return tuple(g for i, g in enumerate(GOALS) if mask >> i & 1)

"""Quality flags on a response: likely bots, straight-liners and impossible timings are flagged, never dropped.

A flagged response is left out of every insights figure (it only counts in ``n_flagged``), so a flag must mean the
whole response is not to be believed. One anticipation (a tap under 300 ms) is not that: it drops *that tap's timing*
from the reaction-time weights (:func:`pejling.core.goals.scores.score_taps`; its answer still counts for the
explicit score), not the response. Only a response whose timed taps are mostly anticipations is a likely bot.

A "doesn't apply" answer has no value: it is no part of straight-lining (neither counted among the scored answers nor
compared), while its tap's timing is a tap like any other (a reflex tap on "doesn't apply" is still an anticipation,
and its time is part of the response's duration).
"""

from __future__ import annotations

import statistics as stats
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pejling.core.insights.statistics.reaction_times import normalise_reaction_times
from pejling.core.surveys.model_items import MODEL_GOAL

FAST_TAPS = "fast_taps"
STRAIGHT_LINE = "straight_line"
IMPOSSIBLE_DURATION = "impossible_duration"
#: Set by the ingest, not here: the phone's clock was far off, so the response's times were moved to its arrival.
CLOCK_ADJUSTED = "clock_adjusted"
FLAGS = (FAST_TAPS, STRAIGHT_LINE, IMPOSSIBLE_DURATION, CLOCK_ADJUSTED)


#: Straight-lining counts only with at least this many scored answers, all equal, and a median tap under TINY_MS.
STRAIGHT_LINE_MIN_ANSWERS = 4
TINY_MS = 500
#: A survey of ten taps cannot honestly take longer than this from the first statement to the submit.
MAX_DURATION_MS = 60 * 60 * 1000
#: Tolerance for clock rounding between the page timer and the wall clock.
CLOCK_SLACK_MS = 250


@dataclass(frozen=True)
class TapForQuality:
    """The parts of one answer the checks need."""

    value: int | None
    reaction_ms: int | None
    warmup: bool
    goal: str = ""
    not_applicable: bool = False


def quality_flags(taps: Sequence[TapForQuality], started_at: datetime, submitted_at: datetime) -> list[str]:
    """The quality flags of one response, in the order of :data:`FLAGS`.

    * ``fast_taps``: more than half (``reaction_times.BOT_ANTICIPATION_SHARE``) of the timed taps, warm-ups included,
      under 300 ms (anticipations, see the research notes); fewer anticipations only drop those taps' timings when
      scoring;
    * ``straight_line``: every scored statement's answer the same value, with a median reaction time under 500 ms
      ("doesn't apply" answers left out);
    * ``impossible_duration``: submitted before started, shorter than the sum of its reaction times, or over an hour.
    """
    flags: list[str] = []
    timed = [t.reaction_ms for t in taps if t.reaction_ms is not None]
    if timed and normalise_reaction_times(timed).likely_bot:
        flags.append(FAST_TAPS)
    # The statements share one 1-5 scale; a scoring model's question (goal "model") is on its own scale.
    scored = [t for t in taps if not t.warmup and t.goal != MODEL_GOAL and not t.not_applicable and t.value is not None]
    scored_times = [t.reaction_ms for t in scored if t.reaction_ms is not None]
    if (
        len(scored) >= STRAIGHT_LINE_MIN_ANSWERS
        and len({t.value for t in scored}) == 1
        and scored_times
        and stats.median(scored_times) < TINY_MS
    ):
        flags.append(STRAIGHT_LINE)
    duration_ms = (submitted_at - started_at).total_seconds() * 1000
    if duration_ms < 0 or duration_ms > MAX_DURATION_MS or duration_ms + CLOCK_SLACK_MS < sum(timed):
        flags.append(IMPOSSIBLE_DURATION)
    return flags

"""The times of a submission (started, submitted) and the clock adjustment for a phone whose clock is off."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from pejling.core.surveys.quality import MAX_DURATION_MS
from pejling.core.surveys.refusals import IngestRefused
from pejling.core.surveys.submission_fields import parse_time

#: Times outside [now - MAX_TIME_AGE, now + MAX_CLOCK_AHEAD] come from a phone clock that is off: they are moved to
#: now and flagged (see :func:`shopper_times`). The past allows an offline outbox that waited long; the future a phone
#: clock a little ahead (or a wrong time zone).
MAX_TIME_AGE = timedelta(days=366)
MAX_CLOCK_AHEAD = timedelta(days=2)


def in_window(moment: datetime, now: datetime) -> bool:
    return now - MAX_TIME_AGE <= moment <= now + MAX_CLOCK_AHEAD


def out_of_range(field: str) -> IngestRefused:
    return IngestRefused(
        422,
        "time_out_of_range",
        f"{field} must lie within the last {MAX_TIME_AGE.days} days and at most {MAX_CLOCK_AHEAD.days} days "
        "ahead (check the device clock).",
        field,
    )


def shopper_times(payload: Mapping[str, Any], now: datetime, *, via: str) -> tuple[datetime, datetime, bool]:
    """``started_at`` and ``submitted_at`` in UTC, and whether they had to be moved (the phone's clock was off).

    A phone whose clock is far off (outside the window around ``now``) still has its answers kept: both times are
    moved so that the submission is *now*, the time it took is kept when it is plausible, and the response is
    flagged ``clock_adjusted``. The plain form's start time comes from our own page, so there a time outside the
    window is refused (the page is shown again with a fresh one).
    """
    started = parse_time(payload.get("started_at"), "started_at")
    submitted = parse_time(payload.get("submitted_at"), "submitted_at")
    if in_window(started, now) and in_window(submitted, now):
        return started, submitted, False
    if via == "form":
        raise out_of_range("started_at" if not in_window(started, now) else "submitted_at")
    took = submitted - started
    if not timedelta(0) <= took <= timedelta(milliseconds=MAX_DURATION_MS):
        took = timedelta(0)  # no usable duration: flagged impossible_duration by the quality checks
    return now - took, now, True

"""Reading one field of a submission: ids, whole numbers, times, one line of text, slugs.

Each reader refuses with :class:`~pejling.core.surveys.refusals.IngestRefused`, a precise code and the field's path.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pejling.core.surveys.refusals import IngestRefused
from pejling.tenants.signup import SLUG


def read_uuid(value: Any, field: str, *, optional: bool = False) -> UUID | None:
    """A UUID string (36 characters); None only when ``optional`` and the value is None."""
    if value is None and optional:
        return None
    if not isinstance(value, str) or len(value) != 36:
        raise IngestRefused(422, "invalid_id", f"{field} must be a UUID string.", field)
    try:
        return UUID(value)
    except ValueError:
        raise IngestRefused(422, "invalid_id", f"{field} must be a UUID string.", field) from None


def read_whole_number(value: Any, field: str, low: int, high: int, code: str) -> int:
    """A whole number from ``low`` to ``high`` (5.0 counts as 5; a boolean is not a number)."""
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise IngestRefused(422, code, f"{field} must be a whole number from {low} to {high}.", field)
    if not low <= value <= high:
        raise IngestRefused(422, code, f"{field} must be a whole number from {low} to {high}.", field)
    return int(value)


def parse_time(value: Any, field: str) -> datetime:
    """An ISO 8601 time with a UTC offset, in UTC; no range check (see :mod:`.submission_times`)."""
    if not isinstance(value, str) or len(value) > 40:
        raise IngestRefused(422, "invalid_time", f"{field} must be an ISO 8601 time with an offset.", field)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise IngestRefused(422, "invalid_time", f"{field} needs a UTC offset.", field)
        # Year 1 with a positive offset, or year 9999 with a negative one, has no UTC time: OverflowError.
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise IngestRefused(422, "invalid_time", f"{field} must be an ISO 8601 time with an offset.", field) from None


def clean_text(text: str) -> str:
    """One line of text: control characters and lone surrogates removed, runs of white space made one space."""
    kept = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cs") or ch in "\t\n\r")
    return " ".join(kept.split())


def is_slug(value: object) -> bool:
    """A tenant or store slug as they are made (1-63 lowercase letters, digits, hyphens): anything else is unknown."""
    return isinstance(value, str) and SLUG.match(value) is not None

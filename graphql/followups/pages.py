"""Keyset pagination on ``(timestamp, id)``, newest first: a page never loads the rows before or after it.

A cursor names its list (model and time field) as well as the position, so a cursor of another list,
or anything else that is not one of ours, is an ``INVALID`` error on ``after``, never an exception.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

from strawberry import relay
from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from pejling.graphql.errors import ApiError

MAX_FIRST = 100
DEFAULT_FIRST = 20
_MAX_CURSOR = 300  # characters; ours are about 110

M = TypeVar("M", bound=Model)


def encode_cursor(kind: str, moment: datetime, row_id: UUID) -> str:
    """An opaque cursor for the row at ``(moment, row_id)`` of the list ``kind``."""
    return base64.urlsafe_b64encode(f"{kind}|{moment.isoformat()}|{row_id}".encode()).decode()


def decode_cursor(cursor: str, kind: str) -> tuple[datetime, UUID]:
    """The position a cursor of the list ``kind`` names; ``INVALID`` for anything else."""
    try:
        if len(cursor) > _MAX_CURSOR:
            raise ValueError("too long")
        text = base64.b64decode(cursor.encode("ascii"), altchars=b"-_", validate=True).decode("ascii")
        cursor_kind, moment, row_id = text.split("|")
        if cursor_kind != kind:
            raise ValueError("another list")
        parsed = datetime.fromisoformat(moment)
        if parsed.tzinfo is None:
            raise ValueError("naive")
        parsed.astimezone(UTC)  # OverflowError for a moment the database could not compare (year 1 at +01:00)
        return parsed, UUID(row_id)
    except (ValueError, OverflowError):  # binascii.Error and UnicodeError are ValueErrors
        raise ApiError("The cursor is not valid here; use an endCursor from a previous page of this list.",
                       "INVALID", field="after") from None


def check_first(first: int | None) -> int:
    """The page size asked for, 1 to :data:`MAX_FIRST`."""
    size = DEFAULT_FIRST if first is None else first
    if not 1 <= size <= MAX_FIRST:
        raise ApiError(f"first must be 1 to {MAX_FIRST}.", "INVALID", field="first")
    return size


async def keyset_page(query: QuerySet[M], *, time_field: str, first: int | None, after: str | None
                      ) -> tuple[Sequence[M], relay.PageInfo, list[str]]:
    """One page of ``query`` ordered by ``time_field`` then ``id``, both descending; rows, page info, cursors."""
    size = check_first(first)
    kind = f"{query.model.__name__}.{time_field}"
    if after is not None:
        moment, row_id = decode_cursor(after, kind)
        before: dict[str, Any] = {f"{time_field}__lt": moment}
        same: dict[str, Any] = {time_field: moment, "id__lt": row_id}
        query = query.filter(Q(**before) | Q(**same))
    rows = list(await query.order_by(f"-{time_field}", "-id").limit(size + 1))
    has_next = len(rows) > size
    rows = rows[:size]
    cursors = [encode_cursor(kind, _moment(row, time_field), row.pk) for row in rows]
    info = relay.PageInfo(has_next_page=has_next, has_previous_page=after is not None,
                          start_cursor=cursors[0] if cursors else None, end_cursor=cursors[-1] if cursors else None)
    return rows, info, cursors


def _moment(row: Any, field: str) -> datetime:
    value: datetime = getattr(row, field)
    return value

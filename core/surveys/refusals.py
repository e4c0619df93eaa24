"""The one refusal of the ingest: a submission that cannot be stored, with its HTTP status, code, message and field."""

from __future__ import annotations

from typing import Any


class IngestRefused(Exception):
    """Input that cannot be stored. ``status`` is the HTTP status, ``code`` a stable machine code."""

    def __init__(
        self, status: int, code: str, message: str, field: str | None = None, *, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.retry_after = retry_after

    def as_json(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "field": self.field}

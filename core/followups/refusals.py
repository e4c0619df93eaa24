"""The one error of the closed loop: a request that cannot be done, with a machine code and the field at fault."""

from __future__ import annotations


class FollowUpRefused(ValueError):
    """Refused input or action; nothing was changed.

    ``code`` is one of ``invalid``, ``not_found``, ``forbidden``, ``illegal_transition``, ``no_consent``.
    """

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

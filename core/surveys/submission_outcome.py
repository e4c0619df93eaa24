"""What a shopper adds to the taps: the outcome score (0-10), the comment and the consent to be contacted."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pejling.core.surveys.refusals import IngestRefused
from pejling.core.surveys.submission_fields import clean_text, read_whole_number

MAX_COMMENT_CHARS = 280
OUTCOME_MIN, OUTCOME_MAX = 0, 10
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}\Z")


def check_outcome(outcome: Any) -> int | None:
    """The outcome score, or None when it was skipped."""
    if outcome is None:
        return None
    return read_whole_number(outcome, "outcome", OUTCOME_MIN, OUTCOME_MAX, "outcome_out_of_range")


def check_comment(comment: Any) -> str:
    """The comment as one clean line of at most :data:`MAX_COMMENT_CHARS` (empty when none)."""
    comment = comment or ""
    if not isinstance(comment, str):
        raise IngestRefused(422, "invalid_comment", "comment must be text.", "comment")
    comment = clean_text(comment)
    if len(comment) > MAX_COMMENT_CHARS:
        raise IngestRefused(
            422, "comment_too_long", f"comment must be at most {MAX_COMMENT_CHARS} characters.", "comment"
        )
    return comment


def check_contact(consent: Any) -> tuple[bool, str | None]:
    """Whether the shopper agreed to be contacted, and the email address to keep (only with that consent)."""
    consent = consent or {}
    if not isinstance(consent, Mapping):
        raise IngestRefused(422, "invalid_consent", "consent must be an object.", "consent")
    contact = consent.get("contact", False)
    if not isinstance(contact, bool):
        raise IngestRefused(422, "invalid_consent", "consent.contact must be true or false.", "consent.contact")
    email = consent.get("email")
    if email is not None and not isinstance(email, str):
        raise IngestRefused(422, "invalid_email", "consent.email must be text.", "consent.email")
    email = (email or "").strip().lower() or None
    if email is not None and clean_text(email) != email:
        raise IngestRefused(422, "invalid_email", "Give a valid email address to be contacted.", "consent.email")
    if email and not contact:
        raise IngestRefused(
            422, "email_without_consent", "An email address is only kept when contact is agreed to.", "consent.email"
        )
    if contact and (email is None or len(email) > 254 or not EMAIL.match(email)):
        raise IngestRefused(422, "invalid_email", "Give a valid email address to be contacted.", "consent.email")
    return contact, email if contact else None

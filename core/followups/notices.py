"""What a notification channel plugin receives when a follow-up opens (hook ``follow_up_opened``).

A plain frozen dataclass, like the contracts in :mod:`pejling.core.contracts`: plugins never touch the ORM.
It carries no shopper contact details, only what a store team needs to act.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class FollowUpNotice:
    """A follow-up that was just opened, as notification channels see it."""

    id: UUID
    tenant_id: UUID
    store_id: UUID
    store_name: str
    rule_kind: str
    rule_name: str
    reason: str
    """A short English phrase, e.g. ``outcome 2 (alert at 3 or lower)``; ``details`` has the figures."""
    opened_at: datetime
    language: str
    """The tenant's default language (``da``, ``nb``, ``sv``, ``en``)."""
    title: str
    """The notification title in ``language``."""
    url: str
    """Where the follow-up is worked in the portal."""
    response_id: UUID | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    recipients: tuple[str, ...] = ()
    """Email addresses core notified (the rule's roles and addresses, and the assignee)."""

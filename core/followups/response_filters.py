"""Which responses a list or an export covers: store, zone, channel, language, period, outcome range, flags,
comment."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from pejling.core.followups.refusals import FollowUpRefused
from pejling.core.languages import LANGUAGES
from pejling.core.surveys.models import Response


@dataclass(frozen=True)
class ResponseFilter:
    """A filter on responses. Empty collections and ``None`` mean "any".

    Channels are not checked here (a stored export's filter may name a channel whose plugin is gone): the API
    checks them against the channel registry with :func:`check_channels`.
    """

    store_ids: frozenset[UUID] = field(default_factory=frozenset)
    zone_ids: frozenset[UUID] = field(default_factory=frozenset)
    channels: frozenset[str] = field(default_factory=frozenset)
    languages: frozenset[str] = field(default_factory=frozenset)
    since: datetime | None = None
    until: datetime | None = None
    outcome_min: int | None = None
    outcome_max: int | None = None
    flagged: bool | None = None
    has_comment: bool | None = None
    verified_visit: bool | None = None

    def __post_init__(self) -> None:
        for name in ("outcome_min", "outcome_max"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 10:
                raise FollowUpRefused("invalid", "An outcome is 0 to 10.", _camel(name))
        if self.outcome_min is not None and self.outcome_max is not None and self.outcome_min > self.outcome_max:
            raise FollowUpRefused("invalid", "The lowest outcome is above the highest.", "outcomeMin")
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise FollowUpRefused("invalid", "Give times with a time zone.", name)
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise FollowUpRefused("invalid", "The period ends before it starts.", "until")
        unknown = self.languages - set(LANGUAGES)
        if unknown:
            raise FollowUpRefused("invalid", f"Unknown language {sorted(unknown)[0]!r}; use {', '.join(LANGUAGES)}.",
                                  "languages")
        if len(self.store_ids) > 500 or len(self.zone_ids) > 500:
            raise FollowUpRefused("invalid", "At most 500 stores or zones.", "storeIds")

    def within_stores(self, visible: Collection[UUID] | None) -> ResponseFilter:
        """This filter narrowed to the stores an actor may see (``None``: every store)."""
        if visible is None:
            return self
        allowed = frozenset(visible)
        wanted = (self.store_ids & allowed) if self.store_ids else allowed
        # An empty intersection must match nothing, not everything: keep an impossible id.
        return _replace(self, store_ids=wanted or frozenset({UUID(int=0)}))

    def apply(self, query: QuerySet[Response]) -> QuerySet[Response]:
        """``query`` limited to the responses this filter covers."""
        if self.store_ids:
            query = query.filter(store_id__in=list(self.store_ids))
        if self.zone_ids:
            query = query.filter(zone_id__in=list(self.zone_ids))
        if self.channels:
            query = query.filter(channel__in=sorted(self.channels))
        if self.languages:
            query = query.filter(language__in=sorted(self.languages))
        if self.since is not None:
            query = query.filter(submitted_at__gte=self.since)
        if self.until is not None:
            query = query.filter(submitted_at__lt=self.until)
        if self.outcome_min is not None:
            query = query.filter(outcome__gte=self.outcome_min)
        if self.outcome_max is not None:
            query = query.filter(outcome__lte=self.outcome_max)
        if self.has_comment is True:
            query = query.exclude(comment="")
        elif self.has_comment is False:
            query = query.filter(comment="")
        if self.flagged is not None:
            # quality_flags is a JSON list; an unflagged response stores exactly [].
            unflagged = Q(quality_flags=[])
            query = query.exclude(unflagged) if self.flagged else query.filter(unflagged)
        if self.verified_visit is not None:
            query = query.filter(verified_visit=self.verified_visit)
        return query

    def to_json(self) -> dict[str, Any]:
        """This filter as JSON (stored on an export)."""
        return {
            "store_ids": sorted(str(s) for s in self.store_ids),
            "zone_ids": sorted(str(z) for z in self.zone_ids),
            "channels": sorted(self.channels),
            "languages": sorted(self.languages),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "outcome_min": self.outcome_min,
            "outcome_max": self.outcome_max,
            "flagged": self.flagged,
            "has_comment": self.has_comment,
            "verified_visit": self.verified_visit,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResponseFilter:
        """The filter :meth:`to_json` wrote."""
        return cls(
            store_ids=frozenset(UUID(s) for s in data.get("store_ids") or ()),
            zone_ids=frozenset(UUID(z) for z in data.get("zone_ids") or ()),
            channels=frozenset(data.get("channels") or ()),
            languages=frozenset(data.get("languages") or ()),
            since=datetime.fromisoformat(data["since"]) if data.get("since") else None,
            until=datetime.fromisoformat(data["until"]) if data.get("until") else None,
            outcome_min=data.get("outcome_min"),
            outcome_max=data.get("outcome_max"),
            flagged=data.get("flagged"),
            has_comment=data.get("has_comment"),
            verified_visit=data.get("verified_visit"),
        )


def check_channels(channels: Collection[str], known: Collection[str]) -> frozenset[str]:
    """``channels`` when every one is a known channel key (the registry's ``keys``); raises :class:`FollowUpRefused`."""
    unknown = set(channels) - set(known)
    if unknown:
        raise FollowUpRefused("invalid", f"Unknown channel {sorted(unknown)[0]!r}; use {', '.join(sorted(known))}.",
                              "channels")
    return frozenset(channels)


def _replace(value: ResponseFilter, **changes: Any) -> ResponseFilter:
    from dataclasses import replace

    return replace(value, **changes)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)

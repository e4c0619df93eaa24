"""GraphQL types of the closed loop: AlertRule, FollowUp (notes, replies), Response, Export."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast
from urllib.parse import quote
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON

from pejling.core.followups import models
from pejling.core.followups.exports import progress
from pejling.core.followups.notifications import title_of
from pejling.core.followups.rules import concerns
from pejling.core.surveys.models import Answer, Response
from pejling.graphql.context import Info
from pejling.graphql.tenants.types import (
    MemberNode,
    Role,
    StoreNode,
    ZoneNode,
    store_node,
    store_nodes,
    visible,
    visible_store_ids,
)
from pejling.tenants.models import Membership, User
from pejling.tenants.models import Role as RoleEnum

# strawberry.enum registers the model enums in place; the aliases keep them usable as annotations.
strawberry.enum(models.RuleKind, name="AlertRuleKind", description="What an alert rule watches.")
strawberry.enum(models.FollowUpStatus, name="FollowUpStatus",
                description="open → acknowledged → resolved; resolved may be reopened.")
strawberry.enum(models.ExportFormat, name="ExportFormat", description="File format of an export.")
strawberry.enum(models.ExportStatus, name="ExportStatus", description="Where an export job is.")
RuleKind = models.RuleKind
FollowUpStatus = models.FollowUpStatus
ExportFormat = models.ExportFormat
ExportStatus = models.ExportStatus


class FollowUpLoaders:
    """Per-request loaders of this domain (kept in ``info.context.extra``, so nothing outlives the request)."""

    def __init__(self) -> None:
        self.answers: DataLoader[UUID, list[Answer]] = DataLoader(self._answers)
        self.response: DataLoader[UUID, Response | None] = DataLoader(self._responses)
        self.rule: DataLoader[UUID, models.AlertRule | None] = DataLoader(self._rules)
        self.member: DataLoader[UUID, tuple[Membership, User] | None] = DataLoader(self._members)
        self.notes: DataLoader[UUID, list[tuple[models.FollowUpNote, User | None]]] = DataLoader(self._notes)
        self.replies: DataLoader[UUID, list[models.Reply]] = DataLoader(self._replies)

    async def _answers(self, ids: Sequence[UUID]) -> list[list[Answer]]:
        grouped: dict[UUID, list[Answer]] = defaultdict(list)
        for answer in await Answer.filter(response_id__in=list(ids)).order_by("position"):
            grouped[answer.response_id].append(answer)
        return [grouped.get(i, []) for i in ids]

    async def _responses(self, ids: Sequence[UUID]) -> list[Response | None]:
        found = {r.id: r for r in await Response.filter(id__in=list(ids))}
        return [found.get(i) for i in ids]

    async def _rules(self, ids: Sequence[UUID]) -> list[models.AlertRule | None]:
        found = {r.id: r for r in await models.AlertRule.filter(id__in=list(ids))}
        return [found.get(i) for i in ids]

    async def _notes(self, ids: Sequence[UUID]) -> list[list[tuple[models.FollowUpNote, User | None]]]:
        notes = await models.FollowUpNote.filter(follow_up_id__in=list(ids)).order_by("created_at", "id")
        authors = {u.id: u for u in await User.filter(id__in=list({n.author_id for n in notes if n.author_id}))}
        grouped: dict[UUID, list[tuple[models.FollowUpNote, User | None]]] = defaultdict(list)
        for note in notes:
            grouped[note.follow_up_id].append((note, authors.get(note.author_id) if note.author_id else None))
        return [grouped.get(i, []) for i in ids]

    async def _replies(self, ids: Sequence[UUID]) -> list[list[models.Reply]]:
        grouped: dict[UUID, list[models.Reply]] = defaultdict(list)
        for reply in await models.Reply.filter(follow_up_id__in=list(ids)).order_by("created_at", "id"):
            if reply.follow_up_id is not None:
                grouped[reply.follow_up_id].append(reply)
        return [grouped.get(i, []) for i in ids]

    async def _members(self, user_ids: Sequence[UUID]) -> list[tuple[Membership, User] | None]:
        memberships = {m.user_id: m for m in await Membership.filter(user_id__in=list(user_ids))}
        users = {u.id: u for u in await User.filter(id__in=list(memberships))}
        return [(memberships[i], users[i]) if i in memberships and i in users else None for i in user_ids]


def loaders(info: Info) -> FollowUpLoaders:
    """This request's loaders of the closed loop."""
    found = info.context.extra.get("followups")
    if found is None:
        found = info.context.extra["followups"] = FollowUpLoaders()
    return found


def _uuids(values: Iterable[str]) -> list[UUID | None]:
    result: list[UUID | None] = []
    for value in values:
        try:
            result.append(UUID(str(value)))
        except ValueError:
            result.append(None)
    return result


def _visible(info: Info, store_id: UUID) -> bool:
    allowed = visible_store_ids(info)
    return allowed is None or store_id in allowed


# ---------------------------------------------------------------------------------------------------------------------
# Responses
# ---------------------------------------------------------------------------------------------------------------------


@strawberry.type(name="ResponseAnswer", description="One tap: the value given to one statement and how fast.")
class ResponseAnswer:
    statement_id: str
    goal: str
    value: int | None = strawberry.field(description="1 (disagree) to 5 (agree); null for \"doesn't apply\".")
    reversed: bool = strawberry.field(description="True for a statement where agreeing means the goal was not served.")
    reaction_ms: int | None
    warmup: bool
    not_applicable: bool = strawberry.field(
        default=False, description="The shopper chose \"doesn't apply\": the answer counts in no figure.")


@strawberry.type(name="Response", description="One shopper response. Pseudonymous: contact only with consent.")
class ResponseNode(relay.Node):
    id: relay.NodeID[str]
    receipt_code: str
    submitted_at: datetime
    channel: str
    channel_details: JSON | None = strawberry.field(
        description="What the channel added (e.g. an NFC tag id, whether it came through an invitation); null if none.")
    language: str
    device_class: str
    duration_ms: int
    outcome: int | None = strawberry.field(description="The outcome question, 0–10; null when skipped.")
    comment: str
    quality_flags: list[str] = strawberry.field(
        description="fast_taps, straight_line, impossible_duration, clock_adjusted.")
    consent_contact: bool = strawberry.field(description="The shopper agreed to be contacted (replyToShopper works).")
    store_id: strawberry.Private[UUID]
    zone_id: strawberry.Private[UUID | None]
    email: strawberry.Private[str | None]
    verified_visit: bool = strawberry.field(
        default=False, description="Proof of a real visit: the channel tied the response to a purchase in the store "
        "(a captured Vipps MobilePay payment), never to the person.")

    @strawberry.field(description="The shopper's address: only with their consent, and only for owners and admins.")
    def contact_email(self, info: Info) -> str | None:
        return self.email if self.consent_contact and info.context.actor.is_admin else None

    @strawberry.field
    async def store(self, info: Info) -> StoreNode | None:
        return await store_node(info, self.store_id)

    @strawberry.field
    async def zone(self, info: Info) -> ZoneNode | None:
        zone = await visible(info).zone.load(self.zone_id) if self.zone_id is not None else None
        return ZoneNode.from_model(zone) if zone else None

    @strawberry.field(description="The answers, in the order they were shown.")
    async def answers(self, info: Info) -> list[ResponseAnswer]:
        return [
            ResponseAnswer(statement_id=a.statement_id, goal=a.goal, value=a.value, reversed=a.polarity < 0,
                           reaction_ms=a.reaction_ms, warmup=a.warmup, not_applicable=a.not_applicable)
            for a in await loaders(info).answers.load(UUID(self.id))
        ]

    @classmethod
    def from_model(cls, response: Response) -> ResponseNode:
        return cls(id=str(response.id), receipt_code=response.receipt_code, submitted_at=response.submitted_at,
                   channel=response.channel, channel_details=cast(JSON, response.channel_details),
                   language=response.language, device_class=response.device_class,
                   duration_ms=response.duration_ms, outcome=response.outcome, comment=response.comment,
                   quality_flags=list(response.quality_flags or []), consent_contact=response.consent_contact,
                   store_id=response.store_id, zone_id=response.zone_id, email=response.contact_email,
                   verified_visit=response.verified_visit)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        ids = list(node_ids)
        found = {str(r.id): r for r in await Response.filter(id__in=[i for i in _uuids(ids) if i])}
        return [cls.from_model(found[n]) if n in found and _visible(info, found[n].store_id) else None for n in ids]


@strawberry.type(name="ResponseEdge", description="A response and its cursor.")
class ResponseEdge:
    cursor: str
    node: ResponseNode


@strawberry.type(name="ResponseConnection", description="A page of responses, newest first.")
class ResponseConnection:
    edges: list[ResponseEdge]
    page_info: relay.PageInfo


# ---------------------------------------------------------------------------------------------------------------------
# Alert rules
# ---------------------------------------------------------------------------------------------------------------------


@strawberry.type(name="AlertRule", description="A rule that opens follow-ups.")
class AlertRuleNode(relay.Node):
    id: relay.NodeID[str]
    name: str
    kind: RuleKind
    threshold: float | None = strawberry.field(
        description="outcomeAtMost: the highest outcome that alerts (0–10). goalStronglyNegative: the goal score "
        "on the 1–5 scale at or below which it alerts. storeScoreFalling: the fall of the outcome mean that alerts."
    )
    goal: str | None
    words: list[str] = strawberry.field(description="commentWords: the words or phrases watched, whole words.")
    min_responses: int = strawberry.field(description="storeScoreFalling: responses needed in each period.")
    enabled: bool
    notify_roles: list[Role] = strawberry.field(
        description="Roles mailed when a follow-up opens (store managers: only of that store).")
    notify_emails: list[str]
    created_at: datetime
    store_ids: strawberry.Private[list[str]]

    @strawberry.field(description="The stores the rule watches, as far as you may see them (a store manager sees "
                      "only theirs); empty when it watches every store (watchesAllStores).")
    async def stores(self, info: Info) -> list[StoreNode]:
        return await store_nodes(info, self.store_ids)

    @strawberry.field(description="True when the rule watches every store (it has no store list).")
    def watches_all_stores(self) -> bool:
        return not self.store_ids

    @classmethod
    def from_model(cls, rule: models.AlertRule) -> AlertRuleNode:
        return cls(id=str(rule.id), name=rule.name, kind=models.RuleKind(rule.kind), threshold=rule.threshold,
                   goal=rule.goal, words=list(rule.words or []), min_responses=rule.min_responses,
                   enabled=rule.enabled, notify_roles=[RoleEnum(r) for r in rule.notify_roles or []],
                   notify_emails=list(rule.notify_emails or []), created_at=rule.created_at,
                   store_ids=list(rule.store_ids or []))

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        ids = list(node_ids)
        found = {str(r.id): r for r in await models.AlertRule.filter(id__in=[i for i in _uuids(ids) if i])
                 if concerns(r, visible_store_ids(info))}
        return [cls.from_model(found[n]) if n in found else None for n in ids]


# ---------------------------------------------------------------------------------------------------------------------
# Follow-ups
# ---------------------------------------------------------------------------------------------------------------------


@strawberry.type(name="FollowUpNote", description="A note on a follow-up.")
class FollowUpNoteType:
    id: strawberry.ID
    text: str
    created_at: datetime
    author_name: str = strawberry.field(description="Name (or email) of the member who wrote it; empty when removed.")

    @classmethod
    def from_model(cls, note: models.FollowUpNote, author: User | None) -> FollowUpNoteType:
        name = (author.name or author.email) if author is not None else ""
        return cls(id=strawberry.ID(str(note.id)), text=note.text, created_at=note.created_at, author_name=name)


@strawberry.type(name="ShopperReply", description="A reply mailed to a shopper who asked to be contacted.")
class ShopperReply:
    id: strawberry.ID
    subject: str
    text: str
    created_at: datetime

    @classmethod
    def from_model(cls, reply: models.Reply) -> ShopperReply:
        return cls(id=strawberry.ID(str(reply.id)), subject=reply.subject, text=reply.text, created_at=reply.created_at)


@strawberry.type(name="FollowUp", description="An item to act on, opened by an alert rule.")
class FollowUpNode(relay.Node):
    id: relay.NodeID[str]
    status: FollowUpStatus
    reason: str = strawberry.field(description="Why it opened, in short English with the figures.")
    details: JSON = strawberry.field(description="The figures that tripped the rule.")
    created_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    store_id: strawberry.Private[UUID]
    rule_id: strawberry.Private[UUID | None]
    response_id: strawberry.Private[UUID | None]
    assignee_id: strawberry.Private[UUID | None]
    figures: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="Why it opened, in the tenant's language.")
    async def title(self, info: Info) -> str:
        rule = await loaders(info).rule.load(self.rule_id) if self.rule_id else None
        tenant = info.context.tenant
        language = tenant.default_language if tenant is not None else "en"
        return title_of(rule.kind.value, self.figures, language) if rule else self.reason

    @strawberry.field
    async def store(self, info: Info) -> StoreNode | None:
        return await store_node(info, self.store_id)

    @strawberry.field(description="The rule that opened it; null when the rule was deleted.")
    async def rule(self, info: Info) -> AlertRuleNode | None:
        rule = await loaders(info).rule.load(self.rule_id) if self.rule_id else None
        return AlertRuleNode.from_model(rule) if rule else None

    @strawberry.field(description="The response that tripped the rule; null for store-level alerts.")
    async def response(self, info: Info) -> ResponseNode | None:
        response = await loaders(info).response.load(self.response_id) if self.response_id else None
        return ResponseNode.from_model(response) if response and _visible(info, response.store_id) else None

    @strawberry.field(description="The member working on it.")
    async def assignee(self, info: Info) -> MemberNode | None:
        found = await loaders(info).member.load(self.assignee_id) if self.assignee_id else None
        return MemberNode.from_model(*found) if found else None

    @strawberry.field(description="Notes, oldest first.")
    async def notes(self, info: Info) -> list[FollowUpNoteType]:
        return [FollowUpNoteType.from_model(n, a) for n, a in await loaders(info).notes.load(UUID(self.id))]

    @strawberry.field(description="Replies sent to the shopper, oldest first.")
    async def replies(self, info: Info) -> list[ShopperReply]:
        return [ShopperReply.from_model(r) for r in await loaders(info).replies.load(UUID(self.id))]

    @classmethod
    def from_model(cls, follow_up: models.FollowUp) -> FollowUpNode:
        return cls(id=str(follow_up.id), status=models.FollowUpStatus(follow_up.status), reason=follow_up.reason,
                   details=cast(JSON, dict(follow_up.details or {})), figures=dict(follow_up.details or {}),
                   created_at=follow_up.created_at,
                   updated_at=follow_up.updated_at, acknowledged_at=follow_up.acknowledged_at,
                   resolved_at=follow_up.resolved_at, store_id=follow_up.store_id, rule_id=follow_up.rule_id,
                   response_id=follow_up.response_id, assignee_id=follow_up.assignee_id)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        ids = list(node_ids)
        found = {str(f.id): f for f in await models.FollowUp.filter(id__in=[i for i in _uuids(ids) if i])}
        return [cls.from_model(found[n]) if n in found and _visible(info, found[n].store_id) else None for n in ids]


@strawberry.type(name="FollowUpEdge", description="A follow-up and its cursor.")
class FollowUpEdge:
    cursor: str
    node: FollowUpNode


@strawberry.type(name="FollowUpConnection", description="A page of follow-ups, newest first.")
class FollowUpConnection:
    edges: list[FollowUpEdge]
    page_info: relay.PageInfo


# ---------------------------------------------------------------------------------------------------------------------
# Exports
# ---------------------------------------------------------------------------------------------------------------------


@strawberry.type(name="Export", description="A CSV or JSON export of responses, made by a job.")
class ExportNode(relay.Node):
    id: relay.NodeID[str]
    format: ExportFormat
    status: ExportStatus
    rows_done: int
    rows_total: int | None = strawberry.field(description="Known once the job started.")
    progress: float = strawberry.field(description="rowsDone / rowsTotal, 0 to 1; 1 once it succeeded.")
    includes_contact_emails: bool
    created_at: datetime
    finished_at: datetime | None
    base_url: strawberry.Private[str]

    @strawberry.field(description="Where to download the file (members of this tenant only); null until it is ready. "
                      "It names the tenant (?tenant=), so a plain link works for a person in several tenants.")
    def download_url(self, info: Info) -> str | None:
        if self.status is not models.ExportStatus.SUCCEEDED:
            return None
        tenant = info.context.tenant
        query = f"?tenant={quote(tenant.slug)}" if tenant is not None else ""
        return f"{self.base_url.rstrip('/')}/api/exports/{self.id}/download{query}"

    @classmethod
    def from_model(cls, export: models.Export, base_url: str) -> ExportNode:
        return cls(id=str(export.id), format=models.ExportFormat(export.format),
                   status=models.ExportStatus(export.status), rows_done=export.rows_done, rows_total=export.rows_total,
                   progress=progress(export), includes_contact_emails=export.include_contact,
                   created_at=export.created_at, finished_at=export.finished_at, base_url=base_url)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        from pejling.graphql.followups.queries import readable_exports

        ids = list(node_ids)
        found = {str(e.id): e for e in await readable_exports(info).filter(id__in=[i for i in _uuids(ids) if i])}
        base = info.context.settings.base_url
        return [cls.from_model(found[n], base) if n in found else None for n in ids]

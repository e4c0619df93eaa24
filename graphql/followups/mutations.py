"""Change alert rules, work follow-ups, reply to consenting shoppers, start exports. Every failure is a typed error."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import UUID

import strawberry

from pejling.core.followups import models, workflow
from pejling.core.followups.exports import start_export
from pejling.core.followups.refusals import FollowUpRefused
from pejling.core.followups.replies import get_response, reply_to_shopper
from pejling.core.followups.rules import RuleSpec, create_rule, get_rule, update_rule
from pejling.core.followups.tenant_export import start_tenant_export
from pejling.graphql.context import Info
from pejling.graphql.errors import UserError, forbidden
from pejling.graphql.followups.queries import ResponseFilterInput, response_filter
from pejling.graphql.followups.types import (
    AlertRuleNode,
    ExportFormat,
    ExportNode,
    FollowUpNode,
    FollowUpNoteType,
    RuleKind,
    ShopperReply,
)
from pejling.graphql.permissions import mutation_guard
from pejling.graphql.relay_ids import decode_id
from pejling.graphql.tenants.mutations import DeletePayload
from pejling.graphql.tenants.types import Role, visible_store_ids
from pejling.tenants.models import Membership, User
from pejling.tenants.models import Role as RoleEnum

#: Roles that work follow-ups and reply to shoppers; analysts only read.
WORKING_ROLES = frozenset({RoleEnum.OWNER, RoleEnum.ADMIN, RoleEnum.STORE_MANAGER})


@strawberry.input(description="An alert rule. Which fields count depends on the kind (see AlertRule).")
class AlertRuleInput:
    name: str
    kind: RuleKind
    threshold: float | None = None
    goal: str | None = None
    words: list[str] | None = None
    min_responses: int = 5
    store_ids: list[strawberry.ID] | None = None
    enabled: bool = True
    notify_roles: list[Role] | None = strawberry.field(
        default=None, description="Default: store managers of the store.")
    notify_emails: list[str] | None = None


@strawberry.type
class AlertRulePayload:
    alert_rule: AlertRuleNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class FollowUpPayload:
    follow_up: FollowUpNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class FollowUpNotePayload:
    note: FollowUpNoteType | None = None
    follow_up: FollowUpNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ShopperReplyPayload:
    reply: ShopperReply | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ExportPayload:
    export: ExportNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _error(exc: FollowUpRefused) -> UserError:
    return UserError(code=exc.code, message=exc.message, field=exc.field)


def _spec(input: AlertRuleInput) -> RuleSpec:
    if len(input.store_ids or []) > 500 or len(input.words or []) > 200 or len(input.notify_emails or []) > 100:
        raise FollowUpRefused("invalid", "Too many items in a list.", "storeIds")
    stores = [decode_id(s, "Store") for s in input.store_ids or []]
    if any(s is None for s in stores):
        raise FollowUpRefused("not_found", "One of the stores was not found.", "storeIds")
    roles = input.notify_roles if input.notify_roles is not None else [RoleEnum.STORE_MANAGER]
    return RuleSpec(
        name=input.name, kind=models.RuleKind(input.kind), threshold=input.threshold, goal=input.goal,
        words=list(input.words or []), min_responses=input.min_responses, store_ids=[s for s in stores if s],
        enabled=input.enabled, notify_roles=[RoleEnum(r).value for r in roles],
        notify_emails=list(input.notify_emails or []),
    )


def _worker_guard(info: Info) -> UserError | None:
    _, error = mutation_guard(info, admin=False)
    if error is not None:
        return error
    if info.context.actor.role not in WORKING_ROLES:
        return forbidden("Owners, admins and store managers work follow-ups; analysts only read them.")
    return None


async def _follow_up(info: Info, id: strawberry.ID) -> models.FollowUp:
    return await workflow.get_follow_up(decode_id(id, "FollowUp"), visible_store_ids(info))


async def _assignee(member_id: strawberry.ID | None) -> UUID | None:
    """The user behind a member id of the current tenant (``None`` unassigns); ``not_found`` for anything else."""
    if member_id is None:
        return None
    membership_id = decode_id(member_id, "Member")
    membership = await Membership.get_or_none(id=membership_id) if membership_id else None
    if membership is None:
        raise FollowUpRefused("not_found", "No such member.", "memberId")
    return membership.user_id


async def _work(info: Info, id: strawberry.ID,
                action: Callable[[models.FollowUp], Awaitable[models.FollowUp]]) -> FollowUpPayload:
    error = _worker_guard(info)
    if error is not None:
        return FollowUpPayload(errors=[error])
    try:
        follow_up = await action(await _follow_up(info, id))
    except FollowUpRefused as exc:
        return FollowUpPayload(errors=[_error(exc)])
    return FollowUpPayload(follow_up=FollowUpNode.from_model(follow_up))


@strawberry.type
class FollowUpMutation:
    @strawberry.mutation(description="Add an alert rule (owners and admins).")
    async def create_alert_rule(self, info: Info, input: AlertRuleInput) -> AlertRulePayload:
        _, error = mutation_guard(info)
        if error:
            return AlertRulePayload(errors=[error])
        try:
            rule = await create_rule(_spec(input))
        except FollowUpRefused as exc:
            return AlertRulePayload(errors=[_error(exc)])
        return AlertRulePayload(alert_rule=AlertRuleNode.from_model(rule))

    @strawberry.mutation(description="Replace an alert rule's settings (owners and admins).")
    async def update_alert_rule(self, info: Info, id: strawberry.ID, input: AlertRuleInput) -> AlertRulePayload:
        _, error = mutation_guard(info)
        if error:
            return AlertRulePayload(errors=[error])
        try:
            rule = await update_rule(await get_rule(decode_id(id, "AlertRule")), _spec(input))
        except FollowUpRefused as exc:
            return AlertRulePayload(errors=[_error(exc)])
        return AlertRulePayload(alert_rule=AlertRuleNode.from_model(rule))

    @strawberry.mutation(description="Delete an alert rule; its follow-ups stay (owners and admins).")
    async def delete_alert_rule(self, info: Info, id: strawberry.ID) -> DeletePayload:
        _, error = mutation_guard(info)
        if error:
            return DeletePayload(errors=[error])
        try:
            rule = await get_rule(decode_id(id, "AlertRule"))
        except FollowUpRefused as exc:
            return DeletePayload(errors=[_error(exc)])
        await rule.delete()
        return DeletePayload(deleted_id=id)

    @strawberry.mutation(description="open → acknowledged.")
    async def acknowledge_follow_up(self, info: Info, id: strawberry.ID) -> FollowUpPayload:
        return await _work(info, id, workflow.acknowledge)

    @strawberry.mutation(description="acknowledged → resolved.")
    async def resolve_follow_up(self, info: Info, id: strawberry.ID) -> FollowUpPayload:
        return await _work(info, id, workflow.resolve)

    @strawberry.mutation(description="resolved → open.")
    async def reopen_follow_up(self, info: Info, id: strawberry.ID) -> FollowUpPayload:
        return await _work(info, id, workflow.reopen)

    @strawberry.mutation(description="Give a follow-up to a member (an owner, an admin or a manager of its store); "
                         "null unassigns.")
    async def assign_follow_up(self, info: Info, id: strawberry.ID,
                               member_id: strawberry.ID | None = None) -> FollowUpPayload:
        # Who asks, in which tenant and for which follow-up is settled before any member is looked up, so the
        # answer never tells an outsider (or an analyst) whether a member id exists.
        error = _worker_guard(info)
        if error is not None:
            return FollowUpPayload(errors=[error])
        try:
            follow_up = await _follow_up(info, id)
            user_id = await _assignee(member_id)
            follow_up = await workflow.assign(follow_up, user_id)
        except FollowUpRefused as exc:
            error = _error(exc)
            if error.field == "assigneeId":
                error.field = "memberId"
            return FollowUpPayload(errors=[error])
        return FollowUpPayload(follow_up=FollowUpNode.from_model(follow_up))

    @strawberry.mutation(description="Write a note on a follow-up.")
    async def add_follow_up_note(self, info: Info, id: strawberry.ID, text: str) -> FollowUpNotePayload:
        error = _worker_guard(info)
        if error is not None:
            return FollowUpNotePayload(errors=[error])
        try:
            follow_up = await _follow_up(info, id)
            note = await workflow.add_note(follow_up, info.context.actor.user_id, text)
        except FollowUpRefused as exc:
            return FollowUpNotePayload(errors=[_error(exc)])
        author = await User.get_or_none(id=note.author_id) if note.author_id else None
        fresh = await models.FollowUp.get(id=follow_up.id)
        return FollowUpNotePayload(note=FollowUpNoteType.from_model(note, author),
                                   follow_up=FollowUpNode.from_model(fresh))

    @strawberry.mutation(description="Mail a reply to the shopper of a response; only when they asked to be "
                         "contacted (else the error code is no_consent).")
    async def reply_to_shopper(self, info: Info, response_id: strawberry.ID, text: str, subject: str | None = None,
                               follow_up_id: strawberry.ID | None = None) -> ShopperReplyPayload:
        error = _worker_guard(info)
        if error is not None:
            return ShopperReplyPayload(errors=[error])
        try:
            visible = visible_store_ids(info)
            response = await get_response(decode_id(response_id, "Response"), visible)
            follow_up = None
            if follow_up_id is not None:
                try:
                    follow_up = await workflow.get_follow_up(decode_id(follow_up_id, "FollowUp"), visible)
                except FollowUpRefused:
                    raise FollowUpRefused("not_found", "No such follow-up.", "followUpId") from None
            reply = await reply_to_shopper(response, text=text, subject=subject, follow_up=follow_up,
                                           author_id=info.context.actor.user_id)
        except FollowUpRefused as exc:
            return ShopperReplyPayload(errors=[_error(exc)])
        return ShopperReplyPayload(reply=ShopperReply.from_model(reply))

    @strawberry.mutation(description="Start an export of everything Pejling holds for the tenant (owners and admins): "
                         "a ZIP of every table as JSON lines, the members and the responses as CSV, secrets left "
                         "out; follow its progress with export(id) and download it from downloadUrl.")
    async def start_tenant_export(self, info: Info) -> ExportPayload:
        _, error = mutation_guard(info)
        if error:
            return ExportPayload(errors=[error])
        export = await start_tenant_export(requested_by=info.context.actor.user_id)
        return ExportPayload(export=ExportNode.from_model(export, info.context.settings.base_url))

    @strawberry.mutation(description="Start a CSV or JSON export of the responses you may see; follow its progress "
                         "with export(id). Contact emails only for owners and admins who ask for them.")
    async def start_export(self, info: Info, format: ExportFormat,
                           filter: ResponseFilterInput | None = None,
                           include_contact_emails: bool = False) -> ExportPayload:
        _, error = mutation_guard(info, admin=False)
        if error:
            return ExportPayload(errors=[error])
        actor = info.context.actor
        if include_contact_emails and not actor.is_admin:
            return ExportPayload(errors=[forbidden("Only owners and admins can export contact emails.")])
        try:
            export = await start_export(models.ExportFormat(format), response_filter(info, filter),
                                        requested_by=actor.user_id, include_contact=include_contact_emails)
        except FollowUpRefused as exc:
            return ExportPayload(errors=[_error(exc)])
        return ExportPayload(export=ExportNode.from_model(export, info.context.settings.base_url))

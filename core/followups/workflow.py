"""Working a follow-up: open → acknowledged → resolved (and resolved → open again), assignee and notes.

Every function works in the current tenant scope and refuses with :class:`FollowUpRefused` (nothing changed).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from uuid import UUID

from tortoise.transactions import in_transaction

from pejling.core.followups.models import FollowUp, FollowUpNote, FollowUpStatus
from pejling.core.followups.refusals import FollowUpRefused
from pejling.core.followups.status_changes import queue_status_change
from pejling.tenants.models import Membership, Role, User

#: The only moves a follow-up can make.
TRANSITIONS: dict[FollowUpStatus, frozenset[FollowUpStatus]] = {
    FollowUpStatus.OPEN: frozenset({FollowUpStatus.ACKNOWLEDGED}),
    FollowUpStatus.ACKNOWLEDGED: frozenset({FollowUpStatus.RESOLVED}),
    FollowUpStatus.RESOLVED: frozenset({FollowUpStatus.OPEN}),
}

MAX_NOTE_CHARS = 4000
ASSIGNABLE_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.STORE_MANAGER})


def _now() -> datetime:
    return datetime.now(UTC)


async def get_follow_up(follow_up_id: UUID | None, visible_stores: Collection[UUID] | None = None) -> FollowUp:
    """The follow-up of the current tenant with this id, if the actor may see its store; else ``not_found``."""
    found = await FollowUp.get_or_none(id=follow_up_id) if follow_up_id is not None else None
    if found is None or (visible_stores is not None and found.store_id not in visible_stores):
        raise FollowUpRefused("not_found", "No such follow-up.", "id")
    return found


async def move(follow_up: FollowUp, to: FollowUpStatus) -> FollowUp:
    """Move a follow-up to ``to``; a move not in :data:`TRANSITIONS` is refused with ``illegal_transition``."""
    async with in_transaction():
        current = await FollowUp.filter(id=follow_up.id).select_for_update().first()
        if current is None:
            raise FollowUpRefused("not_found", "No such follow-up.", "id")
        if to not in TRANSITIONS[FollowUpStatus(current.status)]:
            raise FollowUpRefused(
                "illegal_transition",
                f"A follow-up that is {FollowUpStatus(current.status).value} cannot become {to.value}.",
                "status",
            )
        changes: dict[str, object] = {"status": to, "updated_at": _now()}
        if to is FollowUpStatus.ACKNOWLEDGED:
            changes["acknowledged_at"] = _now()
        elif to is FollowUpStatus.RESOLVED:
            changes["resolved_at"] = _now()
        else:
            changes.update(acknowledged_at=None, resolved_at=None)
        await FollowUp.filter(id=current.id).update(**changes)
        await queue_status_change(current.id, current.tenant_id, FollowUpStatus(current.status).value, to.value)
    return await FollowUp.get(id=follow_up.id)


async def acknowledge(follow_up: FollowUp) -> FollowUp:
    """open → acknowledged."""
    return await move(follow_up, FollowUpStatus.ACKNOWLEDGED)


async def resolve(follow_up: FollowUp) -> FollowUp:
    """acknowledged → resolved."""
    return await move(follow_up, FollowUpStatus.RESOLVED)


async def reopen(follow_up: FollowUp) -> FollowUp:
    """resolved → open."""
    return await move(follow_up, FollowUpStatus.OPEN)


async def can_be_assigned(user_id: UUID, store_id: UUID) -> bool:
    """True for an owner or admin of the tenant, or a store manager of that store."""
    membership = await Membership.get_or_none(user_id=user_id)
    if membership is None or Role(membership.role) not in ASSIGNABLE_ROLES:
        return False
    return Role(membership.role) is not Role.STORE_MANAGER or str(store_id) in membership.store_ids


async def assign(follow_up: FollowUp, user_id: UUID | None) -> FollowUp:
    """Give the follow-up to a member (``None`` unassigns). Only owners, admins and that store's managers."""
    if user_id is not None and not await can_be_assigned(user_id, follow_up.store_id):
        raise FollowUpRefused(
            "invalid", "Assign the follow-up to an owner, an admin or a store manager of its store.", "assigneeId"
        )
    await FollowUp.filter(id=follow_up.id).update(assignee_id=user_id, updated_at=_now())
    return await FollowUp.get(id=follow_up.id)


async def add_note(follow_up: FollowUp, author_id: UUID | None, text: str) -> FollowUpNote:
    """Write a note on a follow-up."""
    text = text.strip()
    if not 1 <= len(text) <= MAX_NOTE_CHARS:
        raise FollowUpRefused("invalid", f"Write a note of 1–{MAX_NOTE_CHARS} characters.", "text")
    async with in_transaction():
        note = await FollowUpNote.create(follow_up_id=follow_up.id, author_id=author_id, text=text)
        await FollowUp.filter(id=follow_up.id).update(updated_at=_now())
    return note


async def store_managers_of(store_id: UUID) -> list[tuple[Membership, User]]:
    """The store managers of a store with their users, oldest membership first."""
    return (await store_managers_of_stores([store_id]))[store_id]


async def store_managers_of_stores(store_ids: Iterable[UUID]) -> dict[UUID, list[tuple[Membership, User]]]:
    """:func:`store_managers_of` for several stores at once (the same two queries for all of them)."""
    wanted = {store_id: str(store_id) for store_id in store_ids}
    memberships = [m for m in await Membership.filter(role=Role.STORE_MANAGER).order_by("created_at")
                   if any(s in (m.store_ids or []) for s in wanted.values())]
    users = {u.id: u for u in await User.filter(id__in=[m.user_id for m in memberships], is_active=True)}
    return {store_id: [(m, users[m.user_id]) for m in memberships if text in (m.store_ids or []) and m.user_id in users]
            for store_id, text in wanted.items()}

"""Changing and removing members, with the rules that keep a tenant governable.

People join a tenant only by accepting an invitation (:mod:`pejling.tenants.invitations`): no one is added
to a tenant, or told anything about another tenant's people, without the invited person's own click.
"""

from __future__ import annotations

from uuid import UUID

from pejling.core.auth.actor import Actor
from pejling.core.auth.sessions import end_all_sessions
from pejling.tenants.models import Membership, Role, Store, User


class MemberChangeRefused(ValueError):
    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


async def check_stores(role: Role, store_ids: list[UUID | None]) -> list[str]:
    if role is not Role.STORE_MANAGER:
        if store_ids:
            raise MemberChangeRefused("invalid", "Only store managers are limited to stores.", "storeIds")
        return []
    if not store_ids:
        raise MemberChangeRefused("invalid", "Choose at least one store for a store manager.", "storeIds")
    wanted = {s for s in store_ids if s is not None}
    if len(wanted) != len(store_ids) or await Store.filter(id__in=list(wanted)).count() != len(wanted):
        raise MemberChangeRefused("not_found", "One of the stores was not found.", "storeIds")
    return sorted(str(s) for s in wanted)


def check_grant(actor: Actor, role: Role) -> None:
    if role is Role.OWNER and actor.role is not Role.OWNER:
        raise MemberChangeRefused("forbidden", "Only an owner can make someone an owner.", "role")


async def _owner_count() -> int:
    return await Membership.filter(role=Role.OWNER).count()


async def change_member(*, actor: Actor, member_id: UUID | None, role: Role,
                        store_ids: list[UUID | None]) -> tuple[Membership, User]:
    membership = await Membership.get_or_none(id=member_id) if member_id else None
    if membership is None:
        raise MemberChangeRefused("not_found", "Not found.", "id")
    check_grant(actor, role)
    if Role(membership.role) is Role.OWNER and actor.role is not Role.OWNER:
        raise MemberChangeRefused("forbidden", "Only an owner can change an owner.", "role")
    if Role(membership.role) is Role.OWNER and role is not Role.OWNER and await _owner_count() <= 1:
        raise MemberChangeRefused("conflict", "A tenant needs at least one owner.", "role")
    membership.store_ids = await check_stores(role, store_ids)
    membership.role = role
    await membership.save()
    user = await User.get(id=membership.user_id)
    return membership, user


async def remove_member(*, actor: Actor, member_id: UUID | None) -> None:
    membership = await Membership.get_or_none(id=member_id) if member_id else None
    if membership is None:
        raise MemberChangeRefused("not_found", "Not found.", "id")
    if Role(membership.role) is Role.OWNER:
        if actor.role is not Role.OWNER:
            raise MemberChangeRefused("forbidden", "Only an owner can remove an owner.", "id")
        if await _owner_count() <= 1:
            raise MemberChangeRefused("conflict", "A tenant needs at least one owner.", "id")
    await membership.delete()


async def end_member_sessions(*, actor: Actor, member_id: UUID | None) -> int:
    """End every logged-in browser of the member ``member_id`` of the tenant in scope; the number ended.

    Sessions belong to the person, not to a tenant, so this logs them out of Pejling everywhere (their API tokens
    are untouched). Only an owner may end an owner's sessions. Ending one's own keeps the caller's current browser.
    """
    membership = await Membership.get_or_none(id=member_id) if member_id else None
    if membership is None:
        raise MemberChangeRefused("not_found", "Not found.", "memberId")
    if Role(membership.role) is Role.OWNER and actor.role is not Role.OWNER:
        raise MemberChangeRefused("forbidden", "Only an owner can end an owner's sessions.", "memberId")
    keep = actor.session_id if membership.user_id == actor.user_id else None
    return await end_all_sessions(membership.user_id, keep=keep)

"""Adding, changing and removing members, with the rules that keep a tenant governable."""

from __future__ import annotations

import secrets
from uuid import UUID

from pejling.core.auth.actor import Actor
from pejling.core.auth.passwords import hash_password
from pejling.core.settings import Settings
from pejling.tenants.models import Membership, Role, Store, Tenant, User
from pejling.tenants.signup import SignupRefused, normalise_email


class MemberChangeRefused(ValueError):
    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


async def _check_stores(role: Role, store_ids: list[UUID | None]) -> list[str]:
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


def _check_grant(actor: Actor, role: Role) -> None:
    if role is Role.OWNER and actor.role is not Role.OWNER:
        raise MemberChangeRefused("forbidden", "Only an owner can make someone an owner.", "role")


async def _owner_count() -> int:
    return await Membership.filter(role=Role.OWNER).count()


async def add_member(*, tenant: Tenant, actor: Actor, email: str, role: Role, store_ids: list[UUID | None],
                     settings: Settings) -> tuple[Membership, User]:
    """Give ``email`` a role in the current tenant. An unknown person gets an account and a set-password mail."""
    try:
        email = normalise_email(email)
    except SignupRefused as exc:
        raise MemberChangeRefused("invalid", exc.message, "email") from None
    _check_grant(actor, role)
    stores = await _check_stores(role, store_ids)
    user = await User.get_or_none(email=email)
    new_user = user is None
    if user is None:
        user = await User.create(email=email, password_hash=hash_password(secrets.token_urlsafe(32)))
    elif await Membership.exists(user_id=user.id):
        raise MemberChangeRefused("conflict", "This person is already a member.", "email")
    membership = await Membership.create(user=user, role=role, store_ids=stores)
    if new_user:
        from pejling.core.auth.password_reset import send_welcome

        await send_welcome(settings, user, tenant)
    return membership, user


async def change_member(*, actor: Actor, member_id: UUID | None, role: Role,
                        store_ids: list[UUID | None]) -> tuple[Membership, User]:
    membership = await Membership.get_or_none(id=member_id) if member_id else None
    if membership is None:
        raise MemberChangeRefused("not_found", "Not found.", "id")
    _check_grant(actor, role)
    if Role(membership.role) is Role.OWNER and actor.role is not Role.OWNER:
        raise MemberChangeRefused("forbidden", "Only an owner can change an owner.", "role")
    if Role(membership.role) is Role.OWNER and role is not Role.OWNER and await _owner_count() <= 1:
        raise MemberChangeRefused("conflict", "A tenant needs at least one owner.", "role")
    membership.store_ids = await _check_stores(role, store_ids)
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

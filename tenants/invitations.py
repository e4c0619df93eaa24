"""Inviting people into a tenant: a role is offered by mail and becomes a membership only when accepted.

An owner or admin invites an address (:func:`invite_member`); the address gets a single-use link valid for
:data:`INVITATION_MAX_AGE`. Nothing about the person behind the address is looked up for the inviter: the
invitation is the same whether or not the address has a Pejling account, and no account is created or
changed until the link is opened. Accepting (:func:`accept_invitation`) needs the link and, for an address
with an account, that account logged in; a new person chooses a password then.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from urllib.parse import urlencode
from uuid import UUID

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from pejling.core.auth.actor import Actor
from pejling.core.auth.models import secret_digest
from pejling.core.mail import build_mail, send_mail, send_mail_soon
from pejling.core.settings import Settings
from pejling.tenants.members import MemberChangeRefused, check_grant, check_stores
from pejling.tenants.models import Invitation, Membership, Role, Store, Tenant, User
from pejling.tenants.scope import all_tenants, tenant_scope
from pejling.tenants.signup import SignupRefused, claim_address, normalise_email

ACCEPT_PATH = "/accept-invitation"
INVITATION_MAX_AGE = timedelta(days=7)
#: One tenant may invite one address this many times per day (each invitation is a mail).
MAX_INVITATIONS_PER_ADDRESS = 5
INVALID_INVITATION = "This invitation is invalid, has been used, revoked or has expired. Ask for a new one."
ROLE_NAMES = {Role.OWNER: "an owner", Role.ADMIN: "an admin", Role.ANALYST: "an analyst",
              Role.STORE_MANAGER: "a store manager"}


class InvitationStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    EXPIRED = "expired"


def status_of(invitation: Invitation, now: datetime | None = None) -> InvitationStatus:
    if invitation.accepted_at is not None:
        return InvitationStatus.ACCEPTED
    if invitation.revoked_at is not None:
        return InvitationStatus.REVOKED
    if invitation.expires_at <= (now or datetime.now(UTC)):
        return InvitationStatus.EXPIRED
    return InvitationStatus.PENDING


def accept_link(settings: Settings, token: str) -> str:
    """The mailed link: the token in the fragment (``#token=…``), which browsers send neither to the server nor in a
    ``Referer`` (ASVS V14.2.1); the portal page reads it there and posts it in the GraphQL body."""
    return f"{settings.base_url.rstrip('/')}{ACCEPT_PATH}#{urlencode({'token': token})}"


async def _is_member(email: str) -> bool:
    """Whether the address is already a member of the current tenant (which its admins can list anyway)."""
    user = await User.get_or_none(email=email)
    return user is not None and await Membership.exists(user_id=user.id)


async def invite_member(*, tenant: Tenant, actor: Actor, email: str, role: Role, store_ids: list[UUID | None],
                        settings: Settings, background: bool = True) -> Invitation:
    """Offer ``role`` in the current tenant to ``email`` and mail the link. Refused with :class:`MemberChangeRefused`.

    A new invitation to the same address replaces a pending one (its link stops working).
    """
    try:
        email = normalise_email(email)
    except SignupRefused as exc:
        raise MemberChangeRefused("invalid", exc.message, "email") from None
    check_grant(actor, role)
    stores = await check_stores(role, store_ids)
    if await _is_member(email):
        raise MemberChangeRefused("conflict", "This person is already a member.", "email")
    now = datetime.now(UTC)
    today = await Invitation.filter(email=email, created_at__gt=now - timedelta(days=1)).count()
    if today >= MAX_INVITATIONS_PER_ADDRESS:
        raise MemberChangeRefused("throttled", f"This address got {MAX_INVITATIONS_PER_ADDRESS} invitations today; "
                                  "try again tomorrow.", "email")
    token = secrets.token_urlsafe(32)
    async with in_transaction():
        await Invitation.filter(email=email, accepted_at=None, revoked_at=None).update(revoked_at=now)
        invitation = await Invitation.create(email=email, role=role, store_ids=stores, token_hash=secret_digest(token),
                                             invited_by_id=actor.user_id, expires_at=now + INVITATION_MAX_AGE)
    inviter = await User.get_or_none(id=actor.user_id) if actor.user_id else None
    message = _invitation_mail(settings, tenant, invitation, accept_link(settings, token), inviter)
    if background:
        send_mail_soon(settings, message)
    else:
        await send_mail(settings, message)
    return invitation


def _invitation_mail(settings: Settings, tenant: Tenant, invitation: Invitation, link: str,
                     inviter: User | None) -> EmailMessage:
    who = (inviter.name or inviter.email) if inviter is not None else "An admin"
    text = (
        f"Hello,\n\n{who} invited you to {tenant.name} on Pejling as {ROLE_NAMES[Role(invitation.role)]}.\n"
        f"Open this link within {INVITATION_MAX_AGE.days} days to accept (it works once):\n\n{link}\n\n"
        f"If you already have a Pejling account with this address ({invitation.email}), log in first; otherwise "
        "you choose your password on that page.\n"
        "If you did not expect this invitation, ignore this mail: nothing changes until the link is opened.\n"
    )
    return build_mail(settings, to=invitation.email, subject=f"Join {tenant.name} on Pejling", text=text)


async def list_invitations(limit: int = 200) -> list[Invitation]:
    """The current tenant's invitations that are not accepted or revoked (pending and expired), newest first."""
    return list(await Invitation.filter(accepted_at=None, revoked_at=None).order_by("-created_at", "-id").limit(limit))


async def revoke_invitation(invitation_id: UUID | None) -> Invitation:
    """Make a pending invitation of the current tenant stop working."""
    invitation = await Invitation.get_or_none(id=invitation_id) if invitation_id else None
    if invitation is None:
        raise MemberChangeRefused("not_found", "Not found.", "id")
    now = datetime.now(UTC)
    if status_of(invitation, now) is not InvitationStatus.PENDING:
        raise MemberChangeRefused("conflict", "This invitation is no longer pending.", "id")
    await Invitation.filter(id=invitation.id, accepted_at=None, revoked_at=None).update(revoked_at=now)
    return await Invitation.get(id=invitation.id)


async def usable_invitation(token: str, now: datetime | None = None) -> Invitation:
    """The pending invitation of a link token, in any tenant; ``invalid_token`` for a wrong, used, revoked or
    expired one (one answer for all)."""
    token = token.strip()
    with all_tenants():
        found = await Invitation.get_or_none(token_hash=secret_digest(token)) if 0 < len(token) <= 100 else None
    if found is None or status_of(found, now) is not InvitationStatus.PENDING:
        raise SignupRefused("token", INVALID_INVITATION, code="invalid_token")
    return found


async def _existing_stores(store_ids: Sequence[str]) -> list[str]:
    """The invited stores that still exist (a store deleted since is dropped)."""
    if not store_ids:
        return []
    found = {str(s.id) for s in await Store.filter(id__in=list(store_ids))}
    return [s for s in store_ids if s in found]


async def accept_invitation(*, token: str, session_user: User | None, password: str | None = None,
                            name: str = "") -> tuple[Tenant, Membership, User]:
    """Turn an invitation into a membership; the link is spent in the same transaction.

    Refused with :class:`SignupRefused`: ``invalid_token`` for a bad link, ``login_required`` /
    ``wrong_account`` when the address has an account that is not the one logged in, ``invalid`` for a
    weak password of a new account. Someone who is a member already keeps their role.
    """
    invitation = await usable_invitation(token)
    claimant = await claim_address(invitation.email, session_user=session_user, password=password, name=name)
    now = datetime.now(UTC)
    with all_tenants():
        tenant = await Tenant.get(id=invitation.tenant_id)
    with tenant_scope(tenant.id):
        try:
            async with in_transaction():
                spent = await Invitation.filter(id=invitation.id, accepted_at=None, revoked_at=None,
                                                expires_at__gt=now).update(accepted_at=now)
                if not spent:
                    raise SignupRefused("token", INVALID_INVITATION, code="invalid_token")
                user = claimant.user or await User.create(email=invitation.email, name=claimant.name,
                                                          password_hash=claimant.password_hash)
                membership = await Membership.get_or_none(user_id=user.id)
                if membership is None:
                    role = Role(invitation.role)
                    stores = await _existing_stores(invitation.store_ids) if role is Role.STORE_MANAGER else []
                    membership = await Membership.create(user=user, role=role, store_ids=stores)
        except IntegrityError:
            # The address got an account (or the membership was made) at the same moment; nothing was changed.
            raise SignupRefused("token", "Something changed meanwhile; open the link again.",
                                code="conflict") from None
    return tenant, membership, user

"""Single-use invitations (email, SMS and receipt links). Only a SHA-256 hash of the token is stored.

:func:`send_invitation` makes an invitation on a personal channel of the tenant (the channel registry,
:mod:`pejling.core.surveys.channels`), builds the shopper's link and has the channel deliver it; the recipient's
address is handed to the channel and never stored.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pejling.core.contracts import CHANNEL_ID_MAX, CONTRACT_ID, InvitationMessage
from pejling.core.surveys.channels import TenantChannels, shopper_url
from pejling.core.surveys.models import Invitation
from pejling.core.surveys.suppressions import is_suppressed, normalise
from pejling.tenants.models import Store, Tenant, Zone

DEFAULT_VALIDITY = timedelta(days=14)
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,100}$")


class InvitationRefused(Exception):
    """An invitation that cannot be made or sent; ``code`` is ``channel_not_enabled``, ``not_personal``,
    ``invalid``, ``suppressed`` (the address is on the tenant's suppression list) or ``not_delivered`` (nothing is
    kept then)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def hash_token(token: str) -> str:
    """The stored form of an invitation token (the token itself has 256 bits of entropy, so a plain hash suffices)."""
    return hashlib.sha256(token.encode()).hexdigest()


async def create_invitation(
    store: Store,
    *,
    zone: Zone | None = None,
    channel: str = "email",
    valid_for: timedelta = DEFAULT_VALIDITY,
    channels: TenantChannels | None = None,
) -> tuple[Invitation, str]:
    """Create an invitation in the current tenant scope. Returns it and the token to put in the link (shown once).

    With ``channels`` (the tenant's, from the channel registry) a channel the tenant may not use is refused; without,
    only the key's form is checked and the ingest refuses the response of a channel that is not enabled.
    """
    if not (isinstance(channel, str) and len(channel) <= CHANNEL_ID_MAX and CONTRACT_ID.match(channel)):
        raise ValueError(f"channel {channel!r} is not a channel key")
    if channels is not None and channels.get(channel) is None:
        raise ValueError(f"the {channel} channel is not enabled for this tenant")
    if zone is not None and zone.store_id != store.id:
        raise ValueError("the zone belongs to another store")
    token = secrets.token_urlsafe(32)
    invitation = await Invitation.create(
        token_hash=hash_token(token),
        channel=channel,
        store=store,
        zone=zone,
        expires_at=datetime.now(UTC) + valid_for,
    )
    return invitation, token


async def send_invitation(
    channels: TenantChannels,
    store: Store,
    *,
    channel: str,
    recipient: str,
    language: str,
    base_url: str,
    zone: Zone | None = None,
    valid_for: timedelta = DEFAULT_VALIDITY,
) -> Invitation:
    """Invite one shopper through a personal channel: make the invitation, build its link, have the channel send it.

    Runs in the tenant's scope. When the channel cannot send it, the invitation is deleted and
    :class:`InvitationRefused` (``not_delivered``) raised. Raises :class:`InvitationRefused` for a channel the tenant
    may not use or that is not personal.
    """
    enabled = channels.get(channel)
    if enabled is None:
        raise InvitationRefused("channel_not_enabled", f"The {channel} channel is not enabled for this tenant.")
    if not enabled.channel.personal:
        raise InvitationRefused("not_personal", f"The {channel} channel does not send personal invitations.")
    if not recipient or len(recipient) > 254:
        raise InvitationRefused("invalid", "Give the recipient's address.")
    if await is_suppressed(store.tenant_id, channel, recipient):
        raise InvitationRefused("suppressed", "This address asked not to get invitations from you.")
    try:
        invitation, token = await create_invitation(
            store, zone=zone, channel=channel, valid_for=valid_for, channels=channels
        )
    except ValueError as exc:
        raise InvitationRefused("invalid", str(exc)) from None
    tenant = await Tenant.get(id=store.tenant_id)
    url = shopper_url(enabled.channel, base_url=base_url, tenant_slug=tenant.slug, store_slug=store.slug, token=token)
    message = InvitationMessage(
        recipient=recipient, url=url, language=language, store_name=store.name, expires_at=invitation.expires_at,
        config=enabled.config, tenant_id=store.tenant_id, invitation_id=invitation.id,
    )
    try:
        await enabled.channel.deliver(message)
    except ValueError as exc:
        await invitation.delete()
        raise InvitationRefused("invalid", f"Not an address the {channel} channel can send to: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - whatever the channel's failure, the invitation was not sent
        await invitation.delete()
        raise InvitationRefused("not_delivered", f"The {channel} channel could not send the invitation: {exc}") from exc
    return invitation


MAX_RECIPIENTS = 1000
"""Addresses one call may invite (a CSV import sends its rows in calls of at most this many)."""


@dataclass(frozen=True)
class InvitationBatch:
    """What became of a list of addresses: invitations sent or queued, addresses on the suppression list, and the
    addresses refused with the reason (each at most once: repeated addresses are invited once)."""

    sent: int
    suppressed: int
    refused: tuple[tuple[str, str], ...]


async def invite_recipients(
    channels: TenantChannels,
    store: Store,
    recipients: Iterable[str],
    *,
    channel: str,
    language: str,
    base_url: str,
    zone: Zone | None = None,
    valid_for: timedelta = DEFAULT_VALIDITY,
    progress: Callable[[int], None] | None = None,
) -> InvitationBatch:
    """Invite each address once through a personal channel (:func:`send_invitation` for each).

    A channel the tenant may not use, or one that is not personal, refuses the whole list before any invitation is
    made (:class:`InvitationRefused`); an address that is invalid or on the suppression list is counted and skipped.
    ``progress`` is called with the number of addresses done after each.
    """
    enabled = channels.get(channel)
    if enabled is None:
        raise InvitationRefused("channel_not_enabled", f"The {channel} channel is not enabled for this tenant.")
    if not enabled.channel.personal:
        raise InvitationRefused("not_personal", f"The {channel} channel does not send personal invitations.")
    sent = suppressed = done = 0
    refused: list[tuple[str, str]] = []
    seen: set[str] = set()
    for recipient in recipients:
        address = recipient.strip()
        key = normalise(channel, address)
        done += 1
        if key and key not in seen:
            seen.add(key)
            try:
                await send_invitation(channels, store, channel=channel, recipient=address, language=language,
                                      base_url=base_url, zone=zone, valid_for=valid_for)
                sent += 1
            except InvitationRefused as exc:
                if exc.code == "suppressed":
                    suppressed += 1
                else:
                    refused.append((address, exc.code))
        if progress is not None:
            progress(done)
    return InvitationBatch(sent, suppressed, tuple(refused))


async def find_invitation(token: str) -> Invitation | None:
    """The invitation of a token in the current scope (``all_tenants()`` for a link that names no tenant)."""
    if not TOKEN.match(token or ""):
        return None
    return await Invitation.get_or_none(token_hash=hash_token(token))

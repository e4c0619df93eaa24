"""Single-use invitations (email and receipt links). Only a SHA-256 hash of the token is stored."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta

from pejling.core.surveys.models import CHANNELS, Invitation
from pejling.tenants.models import Store, Zone

DEFAULT_VALIDITY = timedelta(days=14)
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,100}$")


def hash_token(token: str) -> str:
    """The stored form of an invitation token (the token itself has 256 bits of entropy, so a plain hash suffices)."""
    return hashlib.sha256(token.encode()).hexdigest()


async def create_invitation(
    store: Store, *, zone: Zone | None = None, channel: str = "email", valid_for: timedelta = DEFAULT_VALIDITY
) -> tuple[Invitation, str]:
    """Create an invitation in the current tenant scope. Returns it and the token to put in the link (shown once)."""
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}")
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


async def find_invitation(token: str) -> Invitation | None:
    """The invitation of a token in the current scope (``all_tenants()`` for a link that names no tenant)."""
    if not TOKEN.match(token or ""):
        return None
    return await Invitation.get_or_none(token_hash=hash_token(token))

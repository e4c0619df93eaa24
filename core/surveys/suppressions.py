"""The suppression list: addresses that get no more invitations from a tenant on a channel, and unsubscribe links.

Only a hash of the normalised address is stored: SHA-256 over the tenant, the channel and the address. It is not
keyed with the app's secret on purpose: a rotated secret must never put an unsubscribed shopper back on the list.
An unsubscribe link carries that hash with an HMAC (the app's secret) over tenant, channel and hash, so it cannot be
forged for another address and needs no stored token; it does not expire (an old mail's link must keep working).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from uuid import UUID

from pejling.core.settings import Settings
from pejling.core.surveys.models import Suppression

UNSUBSCRIBED = "unsubscribed"
"""The reason stored when the shopper unsubscribed through a link."""

_HASH = re.compile(r"^[0-9a-f]{64}$")
_CHANNEL = re.compile(r"^[a-z0-9-]{1,64}$")


def normalise(channel: str, address: str) -> str:
    """The form of an address that is compared: trimmed, and lower-case for email (the domain and, in practice, the
    local part are case-insensitive)."""
    value = address.strip()
    return value.lower() if channel == "email" else value


def address_hash(tenant_id: UUID, channel: str, address: str) -> str:
    """The stored form of an address on the tenant's suppression list."""
    return hashlib.sha256(f"suppression:{tenant_id}:{channel}:{normalise(channel, address)}".encode()).hexdigest()


async def is_suppressed(tenant_id: UUID, channel: str, address: str) -> bool:
    """Whether the address gets no invitations on ``channel`` (call in the tenant's scope)."""
    return await Suppression.filter(channel=channel, address_hash=address_hash(tenant_id, channel, address)).exists()


async def suppress_hash(channel: str, hashed: str, reason: str = UNSUBSCRIBED) -> bool:
    """Put a hashed address on the current tenant's list; False when it was there already (idempotent)."""
    _, created = await Suppression.get_or_create(channel=channel, address_hash=hashed, defaults={"reason": reason})
    return created


@dataclass(frozen=True)
class Unsubscribe:
    """What an unsubscribe link names: the tenant, the channel and the hashed address."""

    tenant_id: UUID
    channel: str
    address_hash: str


def _mac(settings: Settings, tenant_id: UUID, channel: str, hashed: str) -> str:
    message = f"unsubscribe:{tenant_id.hex}:{channel}:{hashed}".encode()
    return hmac.new(settings.secret_bytes(), message, hashlib.sha256).hexdigest()[:32]


def unsubscribe_token(settings: Settings, tenant_id: UUID, channel: str, address: str) -> str:
    """The token of the one-click unsubscribe link of one address (put in ``/u/<token>``)."""
    hashed = address_hash(tenant_id, channel, address)
    raw = f"{tenant_id.hex}.{channel}.{hashed}.{_mac(settings, tenant_id, channel, hashed)}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def read_unsubscribe_token(settings: Settings, token: str) -> Unsubscribe | None:
    """The link's tenant, channel and address hash, or None for a token that is malformed or not ours."""
    if not token or len(token) > 300:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
        tenant_hex, channel, hashed, mac = raw.split(".")
        tenant_id = UUID(hex=tenant_hex)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not (_CHANNEL.match(channel) and _HASH.match(hashed)):
        return None
    if not hmac.compare_digest(mac, _mac(settings, tenant_id, channel, hashed)):
        return None
    return Unsubscribe(tenant_id, channel, hashed)

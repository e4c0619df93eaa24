"""The registry of channel devices: NFC tags, kiosk tablets … registered to a store (or zone) of a tenant.

Plugins cannot own tables, so a channel plugin keeps its devices here (:class:`~pejling.core.surveys.models.
ChannelDevice`): a label, a secret the channel needs (an NFC tag's SUN keys), sealed with the rotatable keys of
:mod:`pejling.core.secrets_at_rest` (bound to the tenant and the device, so a sealed secret copied to another row does
not open), a device token kept only as a keyed hash, and a tap counter that only grows
(:func:`advance_counter`, one compare-and-set UPDATE). Every function runs inside the tenant's scope. Nothing here
logs a secret, a token or a counter's message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from tortoise.expressions import Q

from pejling.core import followups
from pejling.core.secrets_at_rest import SealedSecretError, seal, unseal
from pejling.core.settings import Settings
from pejling.core.surveys.models import ChannelDevice
from pejling.tenants.models import Store, Zone
from pejling.tenants.scope import current_tenant_id

MAX_LABEL = 100
_NONCE = 12
_LEGACY_INFO = b"pejling channel-device secrets v1"


class DeviceSecretUnreadable(RuntimeError):
    """A sealed secret that does not open (the app's secret key changed, or the row was tampered with)."""


def _settings(settings: Settings | None) -> Settings:
    return settings or followups.current_settings()


def _purpose(tenant_id: UUID, device_id: UUID) -> str:
    return f"channel_device.secret:{tenant_id.hex}:{device_id.hex}"


def seal_secret(settings: Settings, tenant_id: UUID, device_id: UUID, plain: bytes) -> str:
    """``plain`` sealed for one device of one tenant (:func:`pejling.core.secrets_at_rest.seal`: the newest key of
    ``PEJLING_ENCRYPTION_KEYS``, rotated by ``pejling rotate-keys``)."""
    return seal(base64.b64encode(plain).decode(), purpose=_purpose(tenant_id, device_id), settings=settings)


def open_secret(settings: Settings, tenant_id: UUID, device_id: UUID, sealed: str) -> bytes:
    """The secret :func:`seal_secret` sealed; :class:`DeviceSecretUnreadable` when it does not open.

    A secret sealed before the keys became rotatable (AES-GCM under a key derived from ``secret_key``) still opens;
    ``pejling rotate-keys`` reseals it the current way (:func:`legacy_secret`).
    """
    try:
        return base64.b64decode(unseal(sealed, purpose=_purpose(tenant_id, device_id), settings=settings))
    except SealedSecretError:
        legacy = legacy_secret(settings, tenant_id, device_id, sealed)
    if legacy is None:
        raise DeviceSecretUnreadable("the device's secret does not open with the current keys")
    return legacy


def legacy_secret(settings: Settings, tenant_id: UUID, device_id: UUID, sealed: str) -> bytes | None:
    """A secret in the format before rotatable keys (base64 of nonce and AES-GCM ciphertext), or None."""
    try:
        raw = base64.b64decode(sealed.encode(), validate=True)
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_LEGACY_INFO).derive(settings.secret_bytes())
        return AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], f"{tenant_id.hex}:{device_id.hex}".encode())
    except (InvalidTag, ValueError):
        return None


def new_device_token() -> str:
    """A fresh device token (shown once; only :func:`token_digest` of it is stored)."""
    return secrets.token_urlsafe(32)


def token_digest(settings: Settings, token: str) -> str:
    """The keyed hash of a device token that is stored and looked up."""
    return hmac.new(settings.secret_bytes(), f"device-token:{token}".encode(), hashlib.sha256).hexdigest()


async def register_device(
    *,
    channel: str,
    store: Store,
    label: str,
    zone: Zone | None = None,
    secret: bytes | None = None,
    token: str | None = None,
    settings: Settings | None = None,
) -> ChannelDevice:
    """A new device of ``channel`` in ``store`` (and ``zone``), with its secret sealed and its token hashed."""
    label = label.strip()
    if not 1 <= len(label) <= MAX_LABEL:
        raise ValueError(f"a label is 1 to {MAX_LABEL} characters")
    if zone is not None and zone.store_id != store.id:
        raise ValueError("the zone is not a zone of the store")
    conf = _settings(settings)
    device = ChannelDevice(channel=channel, store_id=store.id, zone_id=zone.id if zone else None, label=label)
    tenant_id = current_tenant_id()
    if secret is not None:
        device.secret = seal_secret(conf, tenant_id, device.id, secret)
    if token is not None:
        device.token_hash = token_digest(conf, token)
    await device.save()
    return device


def parse_device_id(value: object) -> UUID | None:
    """A device id from a link or an API argument (hex or hyphenated UUID), or ``None``."""
    if not isinstance(value, str) or len(value) > 36:
        return None
    try:
        return UUID(value)
    except ValueError:
        return None


async def find_device(device_id: UUID | str, channel: str, *, retired: bool = False) -> ChannelDevice | None:
    """The device of ``channel`` with this id in the current tenant (not retired unless ``retired``), or ``None``."""
    key = device_id if isinstance(device_id, UUID) else parse_device_id(device_id)
    if key is None:
        return None
    query = ChannelDevice.filter(id=key, channel=channel)
    if not retired:
        query = query.filter(retired_at=None)
    return await query.first()


async def find_by_token(token: str, channel: str, settings: Settings | None = None) -> ChannelDevice | None:
    """The active device of ``channel`` whose token this is, or ``None``."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    digest = token_digest(_settings(settings), token)
    return await ChannelDevice.filter(token_hash=digest, channel=channel, retired_at=None).first()


def device_secret(device: ChannelDevice, settings: Settings | None = None) -> bytes | None:
    """The device's secret in the clear (for the channel that checks with it), or ``None`` when it has none."""
    if device.secret is None:
        return None
    return open_secret(_settings(settings), device.tenant_id, device.id, device.secret)


async def devices_of(channel: str, store_id: UUID | None = None, *, retired: bool = False) -> list[ChannelDevice]:
    """The current tenant's devices of ``channel`` (of one store when given), oldest first."""
    query = ChannelDevice.filter(channel=channel)
    if store_id is not None:
        query = query.filter(store_id=store_id)
    if not retired:
        query = query.filter(retired_at=None)
    return await query.order_by("created_at", "id")


async def advance_counter(device_id: UUID, counter: int, now: datetime | None = None,
                          response_id: UUID | None = None) -> bool:
    """Record ``counter`` as the device's highest, when it is higher than every one before: True, else False.

    One ``UPDATE … WHERE counter < new`` (compare and set), so of two concurrent taps with the same counter exactly
    one passes, and a replayed or lower counter never does. A retired device never passes. The response the counter
    was taken for is kept (``counter_response_id``): the same counter passes again for that same response only, so a
    shopper whose first send was not stored (a database fault) can send it again; any other response is refused.
    """
    fresh = Q(counter__lt=counter)
    if response_id is not None:
        fresh |= Q(counter=counter, counter_response_id=response_id)
    updated = await ChannelDevice.filter(fresh, id=device_id, retired_at=None).update(
        counter=counter, counter_response_id=response_id, last_seen_at=now or datetime.now(UTC)
    )
    return bool(updated)


async def touch_device(device_id: UUID, now: datetime | None = None) -> None:
    """Note that the device was just used (``last_seen_at``)."""
    await ChannelDevice.filter(id=device_id).update(last_seen_at=now or datetime.now(UTC))


async def retire_device(device_id: UUID, channel: str, now: datetime | None = None) -> ChannelDevice | None:
    """Retire the device (it no longer verifies or counts); ``None`` when the tenant has no such device."""
    device = await find_device(device_id, channel, retired=True)
    if device is None:
        return None
    if device.retired_at is None:
        device.retired_at = now or datetime.now(UTC)
        await device.save(update_fields=["retired_at"])
    return device

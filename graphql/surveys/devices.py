"""NFC tags and kiosk tablets registered to your stores (owners and admins): register one (a tag with its SUN keys,
or static; a kiosk gets its device token once), list them (an NFC tag with the link and the NDEF record to write on
it), retire one. Keys and tokens are never returned later."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from pejling.core.contracts import Channel, InvitationTarget
from pejling.core.settings import shopper_base_url
from pejling.core.surveys.channel_devices import (
    devices_of,
    new_device_token,
    parse_device_id,
    register_device,
    retire_device,
)
from pejling.core.surveys.channels import channel_registry
from pejling.core.surveys.models import ChannelDevice
from pejling.core.surveys.ndef import file_offset, uri_record
from pejling.core.surveys.sun import parse_key
from pejling.graphql.context import Info
from pejling.graphql.errors import ApiError, UserError, invalid, not_found
from pejling.graphql.permissions import mutation_guard, require_tenant
from pejling.graphql.relay_ids import decode_id, encode_id
from pejling.graphql.surveys.places import store_and_zone
from pejling.tenants.models import Store, Tenant

NFC = "nfc"
KIOSK = "kiosk"
#: Placeholders the tag's SDM overwrites on every tap (32 hex digits of PICC data, 16 of MAC).
PICC_PLACEHOLDER = "0" * 32
MAC_PLACEHOLDER = "0" * 16
MAX_TAGS = 500


@strawberry.input(description="The two AES-128 keys of an NTAG 424 DNA configured for SUN, as 32 hex digits each.")
class SunKeysInput:
    meta_read_key: str = strawberry.field(description="K_SDMMetaRead: decrypts the PICC data (UID and counter).")
    file_read_key: str = strawberry.field(description="K_SDMFileRead: the session key of the MAC is derived from it.")


def tag_url(channel: Channel, base_url: str, tenant: Tenant, store: Store, device: ChannelDevice) -> str:
    """The link written on the tag: the store's (zone's) survey page, the nfc channel, the tag's id and, for a SUN
    tag, the placeholders its SDM fills in on every tap (``e``: PICC data, ``c``: MAC)."""
    survey_url = f"{base_url.rstrip('/')}/s/{tenant.slug}/{store.slug}"
    if device.zone_id is not None:
        survey_url += f"?zone={device.zone_id}"
    extra = {"tag": device.id.hex}
    if device.secret is not None:
        extra.update(e=PICC_PLACEHOLDER, c=MAC_PLACEHOLDER)
    return channel.invitation_url(InvitationTarget(survey_url, extra=extra))


@strawberry.type(name="NfcTag", description="An NFC tag in one of your stores. Its SUN keys are never returned.")
class NfcTagType(relay.Node):
    id: relay.NodeID[str]
    store_id: strawberry.ID
    zone_id: strawberry.ID | None
    label: str
    sun: bool = strawberry.field(description="True for an NTAG 424 DNA with SUN keys: its taps are verified.")
    last_counter: int | None = strawberry.field(description="The highest tap counter accepted; null before any.")
    created_at: datetime
    last_seen_at: datetime | None
    retired: bool
    url: str = strawberry.field(description="The link to write on the tag (a URI record).")
    ndef_record: str = strawberry.field(
        description="The NDEF message to write (one URI record, https:// as prefix code 0x04), base64."
    )
    picc_data_offset: int | None = strawberry.field(
        description="SUN tags: where the PICC data mirror starts in the NDEF file (NLEN included), for SDM."
    )
    mac_offset: int | None = strawberry.field(
        description="SUN tags: where the MAC mirror starts in the NDEF file (also the MAC input offset)."
    )

    @classmethod
    def of(cls, device: ChannelDevice, url: str) -> NfcTagType:
        sun = device.secret is not None
        return cls(
            id=str(device.id),
            store_id=strawberry.ID(encode_id("Store", device.store_id)),
            zone_id=strawberry.ID(encode_id("Zone", device.zone_id)) if device.zone_id else None,
            label=device.label,
            sun=sun,
            last_counter=device.counter if device.counter >= 0 else None,
            created_at=device.created_at,
            last_seen_at=device.last_seen_at,
            retired=device.retired_at is not None,
            url=url,
            ndef_record=base64.b64encode(uri_record(url)).decode(),
            picc_data_offset=file_offset(url, f"e={PICC_PLACEHOLDER}") + 2 if sun else None,
            mac_offset=file_offset(url, f"c={MAC_PLACEHOLDER}") + 2 if sun else None,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        ids = list(node_ids)
        channel = channel_registry(info.context.plugins).channel(NFC)
        tenant = info.context.tenant
        if channel is None or tenant is None or not info.context.actor.is_admin:
            return [None for _ in ids]
        devices = {str(d.id): d for d in await _devices(NFC, ids)}
        stores = {s.id: s for s in await Store.filter(id__in={d.store_id for d in devices.values()})}
        base_url = shopper_base_url(info.context.settings)
        return [cls.of(d, tag_url(channel, base_url, tenant, stores[d.store_id], d)) if (d := devices.get(n)) else None
                for n in ids]


async def _devices(channel: str, node_ids: list[str]) -> list[ChannelDevice]:
    uuids = [u for u in (parse_device_id(n) for n in node_ids) if u is not None]
    return await ChannelDevice.filter(channel=channel, id__in=uuids) if uuids else []


@strawberry.type
class NfcTagPayload:
    tag: NfcTagType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _tag(info: Info, tenant: Tenant, device: ChannelDevice, channel: Channel) -> NfcTagType:
    store = await Store.get(id=device.store_id)
    return NfcTagType.of(device, tag_url(channel, shopper_base_url(info.context.settings), tenant, store, device))


def _keys(keys: SunKeysInput) -> tuple[bytes | None, UserError | None]:
    try:
        return parse_key(keys.meta_read_key) + parse_key(keys.file_read_key), None
    except ValueError:
        return None, invalid("sunKeys", "Each key is 32 hex digits (16 bytes).")


@strawberry.type
class DeviceQuery:
    @strawberry.field(description="Your NFC tags (owners and admins), of one store when given; retired ones too "
                      "when asked.")
    async def nfc_tags(
        self, info: Info, store_id: strawberry.ID | None = None, retired: bool = False
    ) -> list[NfcTagType]:
        tenant, actor = require_tenant(info)
        if not actor.is_admin:
            raise ApiError("Only owners and admins can see the NFC tags.", "FORBIDDEN")
        channel = channel_registry(info.context.plugins).channel(NFC)
        if channel is None:
            return []
        store_uuid = None
        if store_id is not None:
            store_uuid = decode_id(str(store_id), "Store")
            if store_uuid is None:
                return []
        devices = (await devices_of(NFC, store_uuid, retired=retired))[:MAX_TAGS]
        stores = {s.id: s for s in await Store.filter(id__in={d.store_id for d in devices})}
        base_url = shopper_base_url(info.context.settings)
        return [NfcTagType.of(d, tag_url(channel, base_url, tenant, stores[d.store_id], d)) for d in devices]


@strawberry.type
class DeviceMutation:
    @strawberry.mutation(
        description="Register an NFC tag in a store (or zone) (owners and admins). With sunKeys (an NTAG 424 DNA "
        "configured for SUN) every tap is verified and answers once; without, the tag is static and its responses "
        "are unverified. The tag's url and ndefRecord are what to write on it."
    )
    async def register_nfc_tag(
        self, info: Info, store_id: strawberry.ID, label: str, zone_id: strawberry.ID | None = None,
        sun_keys: SunKeysInput | None = None,
    ) -> NfcTagPayload:
        tenant, error = mutation_guard(info)
        if error or tenant is None:
            return NfcTagPayload(errors=[error] if error else [])
        secret = None
        if sun_keys is not None:
            secret, error = _keys(sun_keys)
            if error:
                return NfcTagPayload(errors=[error])
        if not 1 <= len(label.strip()) <= 100:
            return NfcTagPayload(errors=[invalid("label", "A label is 1 to 100 characters.")])
        store, zone, missing = await store_and_zone(store_id, zone_id)
        if missing is not None or store is None:
            return NfcTagPayload(errors=[missing] if missing else [])
        enabled = (await channel_registry(info.context.plugins).for_tenant(tenant.id)).get(NFC)
        if enabled is None:
            return NfcTagPayload(errors=[UserError(
                code="channel_disabled", message="Enable the NFC channel's plugin first.", field=None)])
        device = await register_device(channel=NFC, store=store, zone=zone, label=label, secret=secret,
                                       settings=info.context.settings)
        return NfcTagPayload(tag=await _tag(info, tenant, device, enabled.channel))

    @strawberry.mutation(description="Retire an NFC tag (owners and admins): its taps are no longer verified "
                         "(a response through it is stored unverified).")
    async def retire_nfc_tag(self, info: Info, id: strawberry.ID) -> NfcTagPayload:
        tenant, error = mutation_guard(info)
        if error or tenant is None:
            return NfcTagPayload(errors=[error] if error else [])
        device_id = decode_id(str(id), "NfcTag")
        device = await retire_device(device_id, NFC) if device_id else None
        channel = channel_registry(info.context.plugins).channel(NFC)
        if device is None or channel is None:
            return NfcTagPayload(errors=[not_found("id", "No NFC tag of yours has this id.")])
        return NfcTagPayload(tag=await _tag(info, tenant, device, channel))



@strawberry.type(name="Kiosk", description="A kiosk tablet registered to one of your stores. Its token is shown "
                 "once, when it is registered.")
class KioskType(relay.Node):
    id: relay.NodeID[str]
    store_id: strawberry.ID
    zone_id: strawberry.ID | None
    label: str
    created_at: datetime
    last_seen_at: datetime | None
    retired: bool

    @classmethod
    def of(cls, device: ChannelDevice) -> KioskType:
        return cls(
            id=str(device.id),
            store_id=strawberry.ID(encode_id("Store", device.store_id)),
            zone_id=strawberry.ID(encode_id("Zone", device.zone_id)) if device.zone_id else None,
            label=device.label, created_at=device.created_at, last_seen_at=device.last_seen_at,
            retired=device.retired_at is not None,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        ids = list(node_ids)
        if info.context.tenant is None or not info.context.actor.is_admin:
            return [None for _ in ids]
        devices = {str(d.id): d for d in await _devices(KIOSK, ids)}
        return [cls.of(d) if (d := devices.get(n)) else None for n in ids]


@strawberry.type
class KioskPayload:
    kiosk: KioskType | None = None
    token: str | None = strawberry.field(default=None, description="The device token, shown this once (only a "
                                         "hash is kept).")
    url: str | None = strawberry.field(default=None, description="The page the tablet opens (it holds the token).")
    errors: list[UserError] = strawberry.field(default_factory=list)


def kiosk_url(channel: Channel, base_url: str, tenant: Tenant, store: Store, zone_id: object, token: str) -> str:
    """The kiosk's screen, as the kiosk channel makes it from the device token: ``/k/<token>`` (the device knows its
    store and zone; see ``plugins/channels/kiosk.py``)."""
    survey_url = f"{base_url.rstrip('/')}/s/{tenant.slug}/{store.slug}"
    if zone_id is not None:
        survey_url += f"?zone={zone_id}"
    return channel.invitation_url(InvitationTarget(survey_url, extra={"device": token}))


@strawberry.type
class KioskQuery:
    @strawberry.field(description="Your kiosk tablets (owners and admins), of one store when given.")
    async def kiosks(self, info: Info, store_id: strawberry.ID | None = None, retired: bool = False) -> list[KioskType]:
        _, actor = require_tenant(info)
        if not actor.is_admin:
            raise ApiError("Only owners and admins can see the kiosks.", "FORBIDDEN")
        store_uuid = decode_id(str(store_id), "Store") if store_id is not None else None
        if store_id is not None and store_uuid is None:
            return []
        return [KioskType.of(d) for d in (await devices_of(KIOSK, store_uuid, retired=retired))[:MAX_TAGS]]


@strawberry.type
class KioskMutation:
    @strawberry.mutation(description="Register a kiosk tablet in a store (or zone) (owners and admins): gives its "
                         "device token once, and the page to open on the tablet.")
    async def register_kiosk(
        self, info: Info, store_id: strawberry.ID, label: str, zone_id: strawberry.ID | None = None,
    ) -> KioskPayload:
        tenant, error = mutation_guard(info)
        if error or tenant is None:
            return KioskPayload(errors=[error] if error else [])
        if not 1 <= len(label.strip()) <= 100:
            return KioskPayload(errors=[invalid("label", "A label is 1 to 100 characters.")])
        store, zone, missing = await store_and_zone(store_id, zone_id)
        if missing is not None or store is None:
            return KioskPayload(errors=[missing] if missing else [])
        enabled = (await channel_registry(info.context.plugins).for_tenant(tenant.id)).get(KIOSK)
        if enabled is None:
            return KioskPayload(errors=[UserError(
                code="channel_disabled", message="Enable the kiosk channel's plugin first.", field=None)])
        token = new_device_token()
        device = await register_device(channel=KIOSK, store=store, zone=zone, label=label, token=token,
                                       settings=info.context.settings)
        url = kiosk_url(enabled.channel, shopper_base_url(info.context.settings), tenant, store, device.zone_id, token)
        return KioskPayload(kiosk=KioskType.of(device), token=token, url=url)

    @strawberry.mutation(description="Retire a kiosk tablet (owners and admins): its token no longer registers "
                         "its responses.")
    async def retire_kiosk(self, info: Info, id: strawberry.ID) -> KioskPayload:
        _, error = mutation_guard(info)
        if error:
            return KioskPayload(errors=[error])
        device_id = decode_id(str(id), "Kiosk")
        device = await retire_device(device_id, KIOSK) if device_id else None
        if device is None:
            return KioskPayload(errors=[not_found("id", "No kiosk of yours has this id.")])
        return KioskPayload(kiosk=KioskType.of(device))

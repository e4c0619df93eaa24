"""NFC tags registered to your stores (owners and admins): register one (with its SUN keys, or static), list them
with the link and the NDEF record to write on each, retire one. Keys are never returned."""

from __future__ import annotations

import base64
from datetime import datetime

import strawberry

from pejling.core.contracts import Channel, InvitationTarget
from pejling.core.surveys.channel_devices import devices_of, register_device, retire_device
from pejling.core.surveys.channels import channel_registry
from pejling.core.surveys.models import ChannelDevice
from pejling.core.surveys.ndef import file_offset, uri_record
from pejling.core.surveys.sun import parse_key
from pejling.graphql.context import Info
from pejling.graphql.errors import ApiError, UserError, invalid, not_found
from pejling.graphql.permissions import mutation_guard, require_tenant
from pejling.graphql.relay_ids import decode_id, encode_id
from pejling.tenants.models import Store, Tenant, Zone

NFC = "nfc"
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
class NfcTagType:
    id: strawberry.ID
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
            id=strawberry.ID(encode_id("NfcTag", device.id)),
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


@strawberry.type
class NfcTagPayload:
    tag: NfcTagType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _tag(info: Info, tenant: Tenant, device: ChannelDevice, channel: Channel) -> NfcTagType:
    store = await Store.get(id=device.store_id)
    return NfcTagType.of(device, tag_url(channel, info.context.settings.base_url, tenant, store, device))


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
        base_url = info.context.settings.base_url
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
        store_uuid = decode_id(str(store_id), "Store")
        store = await Store.get_or_none(id=store_uuid) if store_uuid else None
        if store is None:
            return NfcTagPayload(errors=[not_found("storeId", "No store of yours has this id.")])
        zone = None
        if zone_id is not None:
            zone_uuid = decode_id(str(zone_id), "Zone")
            zone = await Zone.get_or_none(id=zone_uuid, store_id=store.id) if zone_uuid else None
            if zone is None:
                return NfcTagPayload(errors=[not_found("zoneId", "No zone of this store has this id.")])
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

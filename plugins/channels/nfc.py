"""The NFC tag channel: a tag in the store whose link opens a store's (or zone's) survey page.

A tag's link carries its id (``tag``), stored with the response. A tag registered through the API (the core device
registry, :mod:`pejling.core.surveys.channel_devices`) with SUN keys is an NTAG 424 DNA that writes a fresh "Secure
Unique NFC" message into its link on every tap (``e``/``picc_data``: the encrypted UID and tap counter, ``c``/``cmac``:
the truncated MAC, :mod:`pejling.core.surveys.sun`). Such a response is "in store, verified": its message is checked
with the tag's keys and its counter must be higher than every one accepted before, so a copied link answers once. A
message that does not verify, or a replayed one, is refused. A tag without keys, or a link without a message, is a
static tag: its responses are stored unverified.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pejling.core.contracts import Channel, ChannelRefused, ChannelVisit
from pejling.core.hookspecs import hookimpl
from pejling.core.surveys.channel_devices import advance_counter, device_secret, find_device, touch_device
from pejling.core.surveys.sun import SunInvalid, verify_sun

TAG_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
#: The SUN parameters: the short names are the ones written on the tags registered here.
PICC_PARAMS = ("e", "picc_data")
MAC_PARAMS = ("c", "cmac")


def _first(params: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    return next((params[name] for name in names if params.get(name)), None)


class NfcTag(Channel):
    id = "nfc"
    name = "NFC tag"
    labels = {"da": "NFC-tag", "nb": "NFC-brikke", "sv": "NFC-tagg", "en": "NFC tag"}
    url_params = ("tag", *PICC_PARAMS, *MAC_PARAMS)

    async def response_details(self, visit: ChannelVisit) -> Mapping[str, Any] | None:
        tag = visit.params.get("tag")
        if tag is None or not TAG_ID.match(tag):
            return None
        device = await find_device(tag, self.id)
        if device is None or device.store_id != visit.store_id:
            return {"tag": tag, "verified": False}
        details: dict[str, Any] = {"tag": device.id.hex, "label": device.label, "verified": False}
        picc, mac = _first(visit.params, PICC_PARAMS), _first(visit.params, MAC_PARAMS)
        keys = device_secret(device)
        if keys is None or (picc is None and mac is None):
            await touch_device(device.id)
            return details
        if picc is None or mac is None:
            raise ChannelRefused("This tag's link is incomplete; tap the tag again.")
        try:
            tap = verify_sun(keys[:16], keys[16:], picc, mac)
        except SunInvalid:
            raise ChannelRefused("This tag's link could not be verified; tap the tag again.") from None
        if not await advance_counter(device.id, tap.counter, response_id=visit.response_id):
            raise ChannelRefused("This tap has already been used; tap the tag again.")
        return {**details, "verified": True, "counter": tap.counter}


@hookimpl
def register_channels() -> list[Channel]:
    return [NfcTag()]

"""The kiosk channel: a tablet on a stand in the store showing the survey page.

A kiosk registered through the API (``registerKiosk``, the core device registry
:mod:`pejling.core.surveys.channel_devices`) opens its page with its device token (``device``); the page sends it back
with every response, which then carries ``{"device": <label>, "registered": true}``. A page without a token, or with
one that is unknown or retired, still stores its responses (unregistered).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pejling.core.contracts import Channel, ChannelVisit
from pejling.core.hookspecs import hookimpl
from pejling.core.surveys.channel_devices import find_by_token, touch_device


class Kiosk(Channel):
    id = "kiosk"
    name = "Kiosk"
    labels = {"da": "Kiosk", "nb": "Kiosk", "sv": "Kiosk", "en": "Kiosk"}
    url_params = ("device",)

    async def response_details(self, visit: ChannelVisit) -> Mapping[str, Any] | None:
        token = visit.params.get("device")
        if not token:
            return None
        device = await find_by_token(token, self.id)
        if device is None or device.store_id != visit.store_id:
            return {"registered": False}
        await touch_device(device.id)
        return {"device": device.label, "device_id": device.id.hex, "registered": True}


@hookimpl
def register_channels() -> list[Channel]:
    return [Kiosk()]

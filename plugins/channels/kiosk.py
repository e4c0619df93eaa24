"""The kiosk channel: a tablet on a stand in the store showing the survey screen, shopper after shopper.

A kiosk registered through the API (``registerKiosk``, the core device registry
:mod:`pejling.core.surveys.channel_devices`) opens its screen at ``/k/<device token>``
(:mod:`pejling.core.surveys.kiosk_page`): the survey of its store and zone in kiosk mode. The page sends the token
back with every response, which then carries ``{"device": <label>, "device_id": …, "registered": true}``. A
response with a token that is unknown or retired is still stored (``{"registered": false}``).

The tenant's settings of this plugin (:class:`KioskSettings`) say how long the screen waits for a shopper who walked
away before it starts over (``idle_seconds``) and how long the thank-you stays (``thanks_seconds``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field

from pejling.core.contracts import Channel, ChannelVisit, InvitationTarget
from pejling.core.hookspecs import hookimpl
from pejling.core.surveys.channel_devices import find_by_token, touch_device
from pejling.core.surveys.kiosk_page import DEFAULT_IDLE_SECONDS, DEFAULT_THANKS_SECONDS, KIOSK_PATH


class KioskSettings(BaseModel):
    """A tenant's settings of its kiosks (every kiosk of the tenant)."""

    model_config = ConfigDict(extra="forbid")

    idle_seconds: int = Field(
        default=DEFAULT_IDLE_SECONDS, ge=15, le=900,
        description="Seconds without a touch after which a survey in progress is discarded and the screen starts over.",
    )
    thanks_seconds: int = Field(
        default=DEFAULT_THANKS_SECONDS, ge=3, le=60,
        description="Seconds the thank-you stays on the screen before it starts over.",
    )


def kiosk_screen_url(survey_url: str, token: str) -> str:
    """The kiosk screen of a device token beside a store's survey page (``…/s/<tenant>/<store>``, any query)."""
    parts = urlsplit(survey_url)
    segments = parts.path.split("/")
    prefix = "/".join(segments[:-3]) if len(segments) >= 4 and segments[-3] == "s" else parts.path.rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, prefix + KIOSK_PATH + quote(token, safe=""), "", ""))


class Kiosk(Channel):
    id = "kiosk"
    name = "Kiosk"
    labels = {"da": "Kiosk", "nb": "Kiosk", "sv": "Kiosk", "en": "Kiosk"}
    url_params = ("device",)

    def invitation_url(self, target: InvitationTarget) -> str:
        """A registered kiosk's screen (``/k/<token>``, the device knows its store and zone) when the target names
        its device token (``extra["device"]``); any other target is the store's survey page on this channel."""
        token = target.extra.get("device")
        if token:
            return kiosk_screen_url(target.survey_url, token)
        return super().invitation_url(target)

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


@hookimpl
def register_plugin_settings() -> type[BaseModel]:
    return KioskSettings

"""The kiosk channel: a tablet on a stand in the store showing the survey page."""

from __future__ import annotations

from pejling.core.contracts import Channel
from pejling.core.hookspecs import hookimpl


class Kiosk(Channel):
    id = "kiosk"
    name = "Kiosk"
    labels = {"da": "Kiosk", "nb": "Kiosk", "sv": "Kiosk", "en": "Kiosk"}


@hookimpl
def register_channels() -> list[Channel]:
    return [Kiosk()]

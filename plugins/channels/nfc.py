"""The NFC tag channel: a tag in the store whose link opens a store's (or zone's) survey page.

A tag may carry its id in the link (``tag``); it is stored with the response. It is not proof of presence: verified
taps (NTAG 424 SUN messages) are issue 11's work.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pejling.core.contracts import Channel, ChannelVisit
from pejling.core.hookspecs import hookimpl

TAG_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class NfcTag(Channel):
    id = "nfc"
    name = "NFC tag"
    labels = {"da": "NFC-tag", "nb": "NFC-brikke", "sv": "NFC-tagg", "en": "NFC tag"}
    url_params = ("tag",)

    def response_details(self, visit: ChannelVisit) -> Mapping[str, Any] | None:
        tag = visit.params.get("tag")
        if tag is None or not TAG_ID.match(tag):
            return None
        return {"tag": tag, "verified": False}


@hookimpl
def register_channels() -> list[Channel]:
    return [NfcTag()]

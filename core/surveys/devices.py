"""The device class of a response (phone, tablet, desktop, unknown), coarsely, from the user agent and the hints."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pejling.core.surveys.refusals import IngestRefused


def device_class(user_agent: str, viewport_width: int | None, touch: bool | None) -> str:
    """phone, tablet or desktop, coarsely, from the user agent and else the viewport width."""
    ua = user_agent or ""
    if "iPad" in ua or "Tablet" in ua or ("Android" in ua and "Mobile" not in ua):
        return "tablet"
    if "Mobi" in ua or "iPhone" in ua or "Android" in ua:
        return "phone"
    if viewport_width is not None:
        if viewport_width < 600:
            return "phone"
        if viewport_width < 1024 and touch:
            return "tablet"
        return "desktop"
    if re.search(r"Windows NT|Macintosh|X11|CrOS", ua):
        return "desktop"
    return "unknown"


def client_device_class(client: Any, user_agent: str) -> str:
    """The device class from the user agent and a submission's ``client`` hints (viewport width, touch)."""
    client = client or {}
    if not isinstance(client, Mapping):
        raise IngestRefused(422, "invalid_client", "client must be an object.", "client")
    width = client.get("viewport_width")
    width = width if isinstance(width, int) and not isinstance(width, bool) and 0 < width < 100_000 else None
    touch = client.get("touch") if isinstance(client.get("touch"), bool) else None
    return device_class(user_agent, width, touch)

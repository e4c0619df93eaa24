"""The link channel: a store's survey link shared as it is (on a receipt, a web page, a social post)."""

from __future__ import annotations

from pejling.core.contracts import Channel
from pejling.core.hookspecs import hookimpl


class Link(Channel):
    id = "link"
    name = "Link"
    labels = {"da": "Link", "nb": "Lenke", "sv": "Länk", "en": "Link"}


@hookimpl
def register_channels() -> list[Channel]:
    return [Link()]

"""The QR code channel: a printed code that opens a store's (or zone's) survey page."""

from __future__ import annotations

from pejling.core.contracts import Channel
from pejling.core.hookspecs import hookimpl


class QrCode(Channel):
    id = "qr"
    name = "QR code"
    labels = {"da": "QR-kode", "nb": "QR-kode", "sv": "QR-kod", "en": "QR code"}


@hookimpl
def register_channels() -> list[Channel]:
    return [QrCode()]

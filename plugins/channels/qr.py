"""The QR code channel: a printed code that opens a store's (or zone's) survey page.

A printed code is a short link ``/q/<code>`` (:mod:`pejling.core.surveys.codes`) that redirects to the survey page
with ``ch=qr&code=<code>``; the code is stored with the response (``{"code": ...}``) so a response says which poster
it came through. A hand-built store link without a code is still a QR code's, with no details.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pejling.core.contracts import Channel, ChannelVisit
from pejling.core.hookspecs import hookimpl
from pejling.core.surveys.codes import normalise_code
from pejling.core.surveys.models import SurveyCode
from pejling.tenants.scope import tenant_scope


class QrCode(Channel):
    id = "qr"
    name = "QR code"
    labels = {"da": "QR-kode", "nb": "QR-kode", "sv": "QR-kod", "en": "QR code"}
    url_params = ("code",)

    async def response_details(self, visit: ChannelVisit) -> Mapping[str, Any] | None:
        """``{"code": ...}`` when the link carried a code of this store (and zone); else nothing (a code of another
        store or a made-up one is not stored, the answers are)."""
        code = normalise_code(visit.params.get("code", ""))
        if code is None:
            return None
        with tenant_scope(visit.tenant_id):
            found = await SurveyCode.get_or_none(code=code, store_id=visit.store_id)
        if found is None or (found.zone_id is not None and found.zone_id != visit.zone_id):
            return None
        return {"code": code}


@hookimpl
def register_channels() -> list[Channel]:
    return [QrCode()]

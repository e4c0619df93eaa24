"""The ``vipps`` channel: the survey link of one captured Vipps purchase, shown on the shopper's Vipps receipt.

The link is the store's survey page with ``ch=vipps`` and ``vp=<token>``; the token names the payment, which names
no person. A response through a token of a captured payment at that store is marked ``verified_visit`` (proof that
the shopper paid in the store) and keyed to the payment's ``reference``; each purchase verifies one response (a
resend of that response verifies again). Any other token is stored unverified: a shopper's answers are never lost.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pejling.core.contracts import Channel, ChannelVisit, InvitationTarget
from pejling.plugins.vipps.models import VippsPayment
from pejling.tenants.scope import tenant_scope

LINK_PARAM = "vp"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,43}$")


class VippsReceipt(Channel):
    id = "vipps"
    name = "Vipps MobilePay receipt"
    labels = {"da": "Vipps MobilePay-kvittering", "nb": "Vipps-kvittering", "sv": "Vipps MobilePay-kvitto",
              "en": "Vipps MobilePay receipt"}
    url_params = (LINK_PARAM,)

    def purchase_url(self, base_url: str, tenant_slug: str, store_slug: str, token: str) -> str:
        """The survey link of one purchase."""
        page = f"{base_url.rstrip('/')}/s/{tenant_slug}/{store_slug}"
        return self.invitation_url(InvitationTarget(page, extra={LINK_PARAM: token}))

    async def response_details(self, visit: ChannelVisit) -> Mapping[str, Any] | None:
        token = visit.params.get(LINK_PARAM, "")
        if not TOKEN.match(token):
            return {"verified_visit": False}
        with tenant_scope(visit.tenant_id):
            payment = await VippsPayment.get_or_none(link_token=token)
            if payment is None or payment.store_id != visit.store_id:
                return {"verified_visit": False}
            if payment.response_id is None and visit.response_id is not None:
                await VippsPayment.filter(id=payment.id, response_id__isnull=True).update(
                    response_id=visit.response_id)
                payment = await VippsPayment.get(id=payment.id)
        if payment.response_id is None or payment.response_id != visit.response_id:
            return {"verified_visit": False, "link_used": True}
        return {"verified_visit": True, "payment_reference": payment.reference}

"""``GET /plugins/vipps/payments/<reference>``: the survey link of a purchase, for the retailer's receipt integration.

Behind core's plugin check (an API token or session of the tenant, the plugin enabled). Answers the payment's
state and, once it was captured at a mapped store, the link to put on the shopper's Vipps receipt; ``404`` for a
reference the tenant has no payment of.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pejling.core.settings import shopper_base_url
from pejling.plugins.vipps.channel import VippsReceipt
from pejling.plugins.vipps.models import VippsPayment
from pejling.tenants.models import Store

RECEIPT = VippsReceipt()


async def purchase_link(request: Request) -> JSONResponse:
    """The payment's state and the survey link of its purchase (null until captured)."""
    reference = request.path_params["reference"]
    payment = await VippsPayment.get_or_none(reference=reference) if len(reference) <= 64 else None
    if payment is None:
        return JSONResponse({"error": "not_found"}, status_code=404)
    url = None
    if payment.link_token is not None and payment.store_id is not None:
        store = await Store.get(id=payment.store_id)
        url = RECEIPT.purchase_url(shopper_base_url(request.app.state.settings), request.state.tenant.slug, store.slug,
                                   payment.link_token)
    return JSONResponse({"reference": payment.reference, "state": payment.state or None, "survey_url": url,
                         "answered": payment.response_id is not None})


ROUTES = [Route("/payments/{reference:str}", purchase_link, methods=["GET"])]

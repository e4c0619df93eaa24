"""What the retailer sees of the Shopify integration under ``/plugins/shopify/`` (core admits only members of a
tenant that has the plugin enabled): the connected shops and the exports made for customers' data requests."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from pejling.core.auth.actor import ADMIN_ROLES
from pejling.core.secrets_at_rest import fingerprint
from pejling.plugins.shopify.models import ShopifyDataRequest, ShopifyShop


def _forbidden() -> JSONResponse:
    return JSONResponse({"error": "forbidden", "message": "Only an owner or admin can see this."}, status_code=403)


async def shops(request: Request) -> JSONResponse:
    """The tenant's Shopify shops; the access token is never shown, only whether there is one."""
    if request.state.actor.role not in ADMIN_ROLES:
        return _forbidden()
    rows = await ShopifyShop.all().order_by("shop")
    return JSONResponse({"shops": [
        {"shop": s.shop, "installed_at": s.installed_at.isoformat(), "connected": s.sealed_token is not None,
         "token": fingerprint(s.sealed_token) if s.sealed_token else None,
         "uninstalled_at": s.uninstalled_at.isoformat() if s.uninstalled_at else None} for s in rows
    ]})


async def data_requests(request: Request) -> JSONResponse:
    """The exports made for customers' data requests, newest first, to hand over to each customer."""
    if request.state.actor.role not in ADMIN_ROLES:
        return _forbidden()
    rows = await ShopifyDataRequest.all().order_by("-created_at").limit(200)
    return JSONResponse({"data_requests": [
        {"id": str(r.id), "shop": r.shop, "request_id": r.request_id, "customer_id": r.customer_id,
         "created_at": r.created_at.isoformat(), "export": r.export} for r in rows
    ]})


def retailer_routes() -> list[BaseRoute]:
    """The plugin's routes (served under ``/plugins/shopify/``)."""
    return [Route("/shops", shops, methods=["GET"]), Route("/data-requests", data_requests, methods=["GET"])]

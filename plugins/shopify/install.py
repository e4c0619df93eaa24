"""Installing Pejling as a Shopify app: the install request, authorisation-code OAuth (authlib) and the callback.

``GET /integrations/shopify/install?shop=…&hmac=…&timestamp=…`` is where Shopify sends a retailer who adds the app.
The query's HMAC, the shop domain and the timestamp are checked; the retailer must be logged in to Pejling as an owner
or admin of the tenant the shop is to be linked to (a browser that is not logged in is sent to the portal's login,
which brings it back to the same signed install request). The tenant is the ``X-Pejling-Tenant`` header's, the
``pejling_tenant`` parameter's, the person's only membership, or the only one where they are an owner or admin; a
person who is an owner or admin of several and named none is shown a page to choose one
(:mod:`pejling.plugins.shopify.tenant_choice`). The authorisation URL carries a ``state`` signed with the
app's secret key that names that tenant, user and shop and expires after ten minutes. The callback checks the
query's HMAC and the state again (the same tenant and user must be logged in), exchanges the code for the shop's
offline access token at ``https://{shop}/admin/oauth/access_token`` and keeps the token sealed (purpose bound
to tenant and shop).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from uuid import UUID

from authlib.integrations.base_client import OAuthError
from httpx import HTTPError
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from pejling.core import security_events
from pejling.core.auth.actor import ADMIN_ROLES, ANONYMOUS, Actor
from pejling.core.outbound_addresses import UrlRefused
from pejling.core.outbound_http import outbound_transport
from pejling.core.secrets_at_rest import seal
from pejling.core.settings import Settings
from pejling.plugins.shopify.app_settings import ShopifyAppSettings, app_settings
from pejling.plugins.shopify.models import ShopifyShop
from pejling.plugins.shopify.signatures import query_signed, valid_shop
from pejling.plugins.shopify.tenant_choice import TENANT_PARAM, AdminTenant, admin_tenants, choice_page, shopify_pairs
from pejling.tenants.middleware import TENANT_HEADER, TenantNotFound, resolve_tenant
from pejling.tenants.models import Tenant
from pejling.tenants.scope import all_tenants, tenant_scope

if TYPE_CHECKING:
    from authlib.integrations.httpx_client import AsyncOAuth2Client

log = logging.getLogger(__name__)

INSTALL_PATH = "/integrations/shopify/install"
CALLBACK_PATH = "/integrations/shopify/callback"
STATE_SECONDS = 600
INVALID_STATE = "This sign-in with Shopify was not started here; install the app again."


def token_purpose(tenant_id: UUID, shop: str) -> str:
    """What a shop's sealed access token is bound to: this tenant and this shop."""
    return f"shopify-access-token:{tenant_id}:{shop}"


def _refuse(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status)


def _state_mac(settings: Settings, payload: str) -> str:
    return hmac.new(settings.secret_bytes(), f"shopify-oauth-state:{payload}".encode(), hashlib.sha256).hexdigest()


def make_state(settings: Settings, *, tenant_id: UUID, user_id: UUID | None, shop: str, now: float) -> str:
    """The OAuth ``state``: tenant, user, shop, expiry and a nonce, signed with the app's secret key."""
    claims = {"t": tenant_id.hex, "u": user_id.hex if user_id else None, "s": shop,
              "e": int(now) + STATE_SECONDS, "n": secrets.token_urlsafe(12)}
    payload = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{payload}.{_state_mac(settings, payload)}"


def read_state(settings: Settings, state: str, *, now: float) -> dict[str, Any] | None:
    """The claims of a state this app made and that has not expired, else ``None``."""
    if not state or len(state) > 500 or state.count(".") != 1:
        return None
    payload, mac = state.split(".")
    if not hmac.compare_digest(mac.encode(), _state_mac(settings, payload).encode()):
        return None
    try:
        claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(claims, dict) or not isinstance(claims.get("e"), int) or claims["e"] < now:
        return None
    return claims


def _oauth_client(app: ShopifyAppSettings, settings: Settings) -> AsyncOAuth2Client:
    # Imported here, not at start-up: every process loads the built-in plugins, few ever install a shop.
    from authlib.integrations.httpx_client import AsyncOAuth2Client

    return AsyncOAuth2Client(
        client_id=app.client_id, client_secret=app.client_secret.get_secret_value(), scope=app.scopes,
        redirect_uri=settings.base_url.rstrip("/") + CALLBACK_PATH, token_endpoint_auth_method="client_secret_post",  # noqa: S106 - a method name
        timeout=15, transport=outbound_transport(),
    )


async def _signed_request(request: Request, app: ShopifyAppSettings,
                          signed: list[tuple[str, str]] | None = None) -> tuple[str, JSONResponse | None]:
    """The shop of a request Shopify signed (``hmac`` over ``signed``, by default the whole query), or the refusal
    to send."""
    shop = request.query_params.get("shop", "")
    if not valid_shop(shop):
        return shop, _refuse(400, "invalid_shop", "The shop must be a ….myshopify.com domain.")
    pairs = list(request.query_params.multi_items()) if signed is None else signed
    if not query_signed(app.client_secret.get_secret_value(), pairs):
        security_events.refused("webhook_signature", request.scope, "shopify_install")
        return shop, _refuse(401, "invalid_signature", "The request is not signed by Shopify.")
    timestamp = request.query_params.get("timestamp", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > app.install_max_age_seconds:
        return shop, _refuse(401, "stale_request", "The request from Shopify is too old; install the app again.")
    return shop, None


async def _retailer(request: Request, named: str | None = None,
                    ) -> tuple[Tenant | None, Actor, JSONResponse | None, list[AdminTenant]]:
    """The logged-in owner or admin and their tenant, or the refusal to send, or the tenants to choose from.

    The tenant is the one the ``X-Pejling-Tenant`` header or ``named`` (the install's ``pejling_tenant``) names, as
    for the API (a tenant the person is not a member of is not found); else the person's only membership; else,
    for a person logged in with several memberships, the only one where they are an owner or admin. With several
    such, none is picked: they are returned (by name) for the person to choose from.
    """
    forbidden = _refuse(403, "forbidden", "Only an owner or admin can connect a Shopify shop.")
    actor: Actor = getattr(request.state, "actor", ANONYMOUS)
    if not actor.authenticated:
        return None, actor, _refuse(401, "unauthenticated", "Log in to Pejling, then install the app again."), []
    header = request.headers.get(TENANT_HEADER.decode()) or None
    if header is not None and named is not None and header != named:
        return None, actor, _refuse(400, "tenant_conflict", "The request names two different tenants."), []
    slug = header if header is not None else named
    try:
        tenant, actor = await resolve_tenant(actor, slug)
    except TenantNotFound:
        tenant = None
    if tenant is None and slug is None and actor.user_id is not None and actor.token_id is None:
        admin, member = await admin_tenants(actor.user_id)
        if len(admin) > 1:
            return None, actor, None, admin
        if len(admin) == 1:
            tenant, actor = admin[0].tenant, actor.in_tenant(admin[0].tenant.id, admin[0].role, None)
        elif member:
            return None, actor, forbidden, []
    if tenant is None:
        return None, actor, _refuse(404, "tenant_not_found", "No such tenant."), []
    if actor.role not in ADMIN_ROLES:
        return None, actor, forbidden, []
    return tenant, actor, None, []


def _to_login(request: Request) -> Response:
    """A browser that is not logged in: to the portal's login, which returns to this signed install request."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?{urlencode({'next': here})}", status_code=303,
                            headers={"Cache-Control": "no-store"})


async def install(request: Request) -> Response:
    """Shopify's install request → the shop's authorisation page (or first the choice of tenant).

    Shopify's ``hmac`` is checked over every parameter but our own ``pejling_tenant``, which the choice page adds
    (:mod:`pejling.plugins.shopify.tenant_choice`): the shop and timestamp stay Shopify's, and the tenant named
    there is checked against the logged-in person's memberships and role like the header, then carried in the
    signed state.
    """
    app = app_settings()
    if not app.configured:
        return _refuse(404, "not_found", "Not found.")
    named = request.query_params.getlist(TENANT_PARAM)
    if len(named) > 1:
        return _refuse(400, "tenant_conflict", "The request names more than one tenant.")
    shop, refusal = await _signed_request(request, app, shopify_pairs(request))
    if refusal is not None:
        return refusal
    tenant, actor, refusal, choices = await _retailer(request, named[0] if named else None)
    if not actor.authenticated and "text/html" in request.headers.get("accept", ""):
        return _to_login(request)
    if choices:
        return choice_page(request, shop, choices)
    if refusal is not None or tenant is None:
        return refusal or _refuse(404, "tenant_not_found", "No such tenant.")
    settings: Settings = request.app.state.settings
    state = make_state(settings, tenant_id=tenant.id, user_id=actor.user_id, shop=shop, now=time.time())
    async with _oauth_client(app, settings) as client:
        url, _ = client.create_authorization_url(app.shop_url(shop, "/admin/oauth/authorize"), state=state)
    return RedirectResponse(url, status_code=302)


async def callback(request: Request) -> Response:
    """Shopify's redirect after the retailer approved: check it, exchange the code, keep the token sealed."""
    app = app_settings()
    if not app.configured:
        return _refuse(404, "not_found", "Not found.")
    shop, refusal = await _signed_request(request, app)
    if refusal is not None:
        return refusal
    settings: Settings = request.app.state.settings
    claims = read_state(settings, request.query_params.get("state", ""), now=time.time())
    tenant, actor, refusal, choices = await _retailer(request)
    if choices:
        # Several tenants to choose from: the one chosen at the install is the state's, if the person still
        # administers it (else the state is not theirs to use).
        chosen = next((c for c in choices if claims is not None and c.tenant.id.hex == claims.get("t")), None)
        if chosen is None:
            return _refuse(400, "invalid_state", INVALID_STATE)
        tenant, actor = chosen.tenant, actor.in_tenant(chosen.tenant.id, chosen.role, None)
    if refusal is not None or tenant is None:
        return refusal or _refuse(404, "tenant_not_found", "No such tenant.")
    user = actor.user_id.hex if actor.user_id else None
    if claims is None or claims.get("s") != shop or claims.get("t") != tenant.id.hex or claims.get("u") != user:
        return _refuse(400, "invalid_state", INVALID_STATE)
    code = request.query_params.get("code", "")
    if not code or len(code) > 200:
        return _refuse(400, "invalid_code", "Shopify sent no authorisation code.")
    with all_tenants():
        existing = await ShopifyShop.get_or_none(shop=shop)
    if existing is not None and existing.tenant_id != tenant.id:
        return _refuse(409, "shop_taken", "This shop is connected to another Pejling account.")
    try:
        async with _oauth_client(app, settings) as client:
            token = await client.fetch_token(app.shop_url(shop, "/admin/oauth/access_token"), code=code)
    except UrlRefused as refused:
        log.warning("the Shopify token exchange for %s was not sent: %s", shop, refused)
        return _refuse(502, "destination_refused", str(refused))
    except (OAuthError, HTTPError, ValueError) as exc:
        log.warning("the Shopify token exchange for %s failed: %s", shop, type(exc).__name__)
        return _refuse(502, "token_exchange_failed", "Shopify did not give an access token; install the app again.")
    access_token = token.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        return _refuse(502, "token_exchange_failed", "Shopify did not give an access token; install the app again.")
    sealed = seal(access_token, purpose=token_purpose(tenant.id, shop), settings=settings)
    scopes = str(token.get("scope") or "")[:500]
    with tenant_scope(tenant.id):
        if existing is None:
            await ShopifyShop.create(shop=shop, sealed_token=sealed, scopes=scopes, installed_at=datetime.now(UTC))
        else:
            await ShopifyShop.filter(id=existing.id).update(
                sealed_token=sealed, scopes=scopes, installed_at=datetime.now(UTC), uninstalled_at=None)
    log.info("tenant %s installed the Shopify app on %s", tenant.id, shop)
    return RedirectResponse(app.shop_url(shop, f"/admin/apps/{app.client_id}"), status_code=302)


def install_routes() -> list[BaseRoute]:
    """The install and OAuth callback routes (served at the app's root)."""
    return [Route(INSTALL_PATH, install, methods=["GET"]), Route(CALLBACK_PATH, callback, methods=["GET"])]

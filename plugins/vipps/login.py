"""Vipps Login for a shopper who wants a reply: after responding, they may identify themselves (never required).

``GET /vipps/login?response=<id>&receipt=<receipt code>`` starts OpenID Connect's authorisation-code flow with the
tenant's Vipps Login client (authlib): the issuer's discovery document, PKCE (S256), a fresh ``state`` and ``nonce``,
kept in a sealed, short-lived, HttpOnly cookie. ``GET /vipps/login/callback`` checks the state, exchanges the code with
the PKCE verifier and validates the ID token (RS256 signature from the issuer's JWKS, issuer, audience, nonce, expiry).
Only then is the verified email address stored on that response with the shopper's consent to be contacted, which is
what logging in for a reply means; nothing else from Vipps is kept. The receipt code (shown only to the shopper on the
thank-you screen) proves the response is theirs.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
import time
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from pejling.core.outbound_addresses import UrlRefused, check_url
from pejling.core.outbound_http import outbound_client, outbound_transport
from pejling.core.secrets_at_rest import SealedSecretError, seal, unseal
from pejling.core.surveys.models import Response as ShopperResponse
from pejling.plugins.vipps.settings import VippsSettings
from pejling.tenants.scope import all_tenants, tenant_scope

if TYPE_CHECKING:
    from authlib.integrations.httpx_client import AsyncOAuth2Client

log = logging.getLogger(__name__)

COOKIE = "pejling_vipps_login"
COOKIE_PURPOSE = "vipps.login_flow"
FLOW_SECONDS = 600
CALLBACK_PATH = "/vipps/login/callback"
PLUGIN = "vipps"

DONE = {
    "da": "Tak. Butikken kan nu svare dig på {email}.",
    "nb": "Takk. Butikken kan nå svare deg på {email}.",
    "sv": "Tack. Butiken kan nu svara dig på {email}.",
    "en": "Thank you. The store can now reply to you at {email}.",
}
FAILED = {
    "da": "Vi kunne ikke bekræfte dit Vipps-login. Dit svar er gemt som før.",
    "nb": "Vi kunne ikke bekrefte Vipps-innloggingen. Svaret ditt er lagret som før.",
    "sv": "Vi kunde inte bekräfta din Vipps-inloggning. Ditt svar är sparat som förut.",
    "en": "We could not confirm your Vipps login. Your answers are kept as they were.",
}


class LoginFailed(ValueError):
    """The login flow did not hold (state, code exchange or ID token); the reason is for the log only."""


def _page(texts: dict[str, str], language: str, status: int, **values: str) -> HTMLResponse:
    from html import escape

    text = texts.get(language, texts["en"]).format(**{k: escape(v) for k, v in values.items()})
    return HTMLResponse(f'<!doctype html><html lang="{escape(language)}"><meta charset="utf-8">'
                        f'<meta name="viewport" content="width=device-width"><p>{text}</p></html>', status_code=status)


async def _settings(request: Request, tenant_id: UUID) -> VippsSettings | None:
    enabled = (await request.app.state.plugins.enabled_plugins(tenant_id)).get(PLUGIN)
    settings = enabled.settings if enabled is not None else None
    return settings if isinstance(settings, VippsSettings) and settings.login_configured else None


#: Lifts the internal-address check on the issuer and its endpoints: for tests against a provider on the loopback.
ALLOW_PRIVATE = "PEJLING_VIPPS_ALLOW_PRIVATE_ISSUER"


def private_allowed() -> bool:
    """Whether the tests' opt-in (:data:`ALLOW_PRIVATE`) lifts the internal-address check."""
    return os.environ.get(ALLOW_PRIVATE, "").lower() in ("1", "true", "yes")


async def _public(url: str) -> None:
    """Refuse a URL that is not https, whose host the operator does not allow or resolves to an internal address:
    the issuer is a tenant setting (SSRF). The check of outbound webhooks and SSO
    (:mod:`pejling.core.outbound_addresses`); each call is checked again (:func:`_http`)."""
    try:
        await check_url(url, allow_private=private_allowed())
    except UrlRefused as refused:
        raise LoginFailed(f"the issuer or one of its endpoints is refused: {refused}") from None


async def check_issuer(issuer: str) -> None:
    """Raise :class:`LoginFailed` (its message for the retailer) unless ``issuer`` may be called: https, public."""
    await _public(issuer)


def _http() -> httpx.AsyncClient:
    """The client for the issuer's endpoints: every request checked and pinned to the checked address."""
    return outbound_client(tenant_chosen=True, private_allowed=private_allowed(), timeout=10)


async def _discovery(http: httpx.AsyncClient, issuer: str) -> dict[str, Any]:
    await _public(issuer)
    answer = await http.get(issuer.rstrip("/") + "/.well-known/openid-configuration")
    answer.raise_for_status()
    document: dict[str, Any] = answer.json()
    if document.get("issuer", "").rstrip("/") != issuer.rstrip("/"):
        raise LoginFailed("the discovery document names another issuer")
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        await _public(str(document[name]))
    return document


def _client(settings: VippsSettings, redirect_uri: str) -> AsyncOAuth2Client:
    # Imported at the first login, not at start-up (as the SSO and Shopify clients are).
    from authlib.integrations.httpx_client import AsyncOAuth2Client

    return AsyncOAuth2Client(client_id=settings.login_client_id, client_secret=settings.login_secret(),
                             scope="openid email", redirect_uri=redirect_uri, code_challenge_method="S256",
                             timeout=10, transport=outbound_transport(tenant_chosen=True,
                                                                      private_allowed=private_allowed()))


async def start_login(request: Request) -> Response:
    """Redirect the shopper to Vipps Login for their response (the receipt code proves it is theirs)."""
    try:
        response_id = UUID(request.query_params.get("response", ""))
    except ValueError:
        return _page(FAILED, "en", 404)
    receipt = request.query_params.get("receipt", "")
    with all_tenants():
        response = await ShopperResponse.get_or_none(id=response_id)
    if response is None or not hmac.compare_digest(response.receipt_code.encode(), receipt.upper().encode()):
        return _page(FAILED, "en", 404)
    settings = await _settings(request, response.tenant_id)
    if settings is None:
        return _page(FAILED, response.language, 404)
    redirect_uri = request.app.state.settings.base_url.rstrip("/") + CALLBACK_PATH
    issuer = str(settings.login_issuer)
    try:
        async with _http() as http:
            document = await _discovery(http, issuer)
    except (LoginFailed, httpx.HTTPError, KeyError, ValueError) as failed:
        log.warning("vipps login for tenant %s not started: %s", response.tenant_id, type(failed).__name__)
        return _page(FAILED, response.language, 502)
    verifier, state, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    async with _client(settings, redirect_uri) as client:
        url, _ = client.create_authorization_url(document["authorization_endpoint"], state=state,
                                                 code_verifier=verifier, nonce=nonce)
    flow = {"state": state, "nonce": nonce, "verifier": verifier, "response": str(response.id),
            "tenant": str(response.tenant_id), "at": int(time.time())}
    redirect = RedirectResponse(url, status_code=302)
    redirect.set_cookie(COOKIE, seal(json.dumps(flow), purpose=COOKIE_PURPOSE), max_age=FLOW_SECONDS, httponly=True,
                        secure=redirect_uri.startswith("https://"), samesite="lax", path="/vipps/login")
    return redirect


def _flow(request: Request) -> dict[str, Any]:
    try:
        flow: dict[str, Any] = json.loads(unseal(request.cookies.get(COOKIE, ""), purpose=COOKIE_PURPOSE))
    except (SealedSecretError, ValueError):
        raise LoginFailed("no login in progress") from None
    if time.time() - int(flow["at"]) > FLOW_SECONDS:
        raise LoginFailed("the login took too long")
    if not hmac.compare_digest(str(flow["state"]).encode(), request.query_params.get("state", "").encode()):
        raise LoginFailed("the state does not match")
    return flow


def validate_id_token(id_token: str, jwks: dict[str, Any], *, issuer: str, client_id: str, nonce: str) -> Any:
    """The claims of ``id_token`` once its RS256 signature, issuer, audience, nonce and expiry hold."""
    try:
        token = jwt.decode(id_token, KeySet.import_key_set(cast(Any, jwks)), algorithms=["RS256"])
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": issuer}, aud={"essential": True, "value": client_id},
            nonce={"essential": True, "value": nonce}, exp={"essential": True}, sub={"essential": True},
        ).validate(token.claims)
    except (JoseError, ValueError) as error:
        raise LoginFailed(f"the ID token does not hold: {type(error).__name__}") from None
    return token.claims


async def finish_login(request: Request) -> Response:
    """Check the login and keep the shopper's verified address on their response, with their consent."""
    try:
        flow = _flow(request)
    except LoginFailed as failed:
        log.warning("vipps login refused: %s", failed)
        return _page(FAILED, "en", 400)
    tenant_id = UUID(flow["tenant"])
    with tenant_scope(tenant_id):
        response = await ShopperResponse.get_or_none(id=UUID(flow["response"]))
    settings = await _settings(request, tenant_id)
    if response is None or settings is None:
        return _page(FAILED, "en", 400)
    redirect_uri = request.app.state.settings.base_url.rstrip("/") + CALLBACK_PATH
    issuer = str(settings.login_issuer)
    try:
        async with _http() as http:
            document = await _discovery(http, issuer)
            jwks = (await http.get(document["jwks_uri"])).raise_for_status().json()
        async with _client(settings, redirect_uri) as client:
            token = await client.fetch_token(document["token_endpoint"], code=request.query_params.get("code", ""),
                                             code_verifier=flow["verifier"], grant_type="authorization_code")
        claims = validate_id_token(str(token.get("id_token", "")), jwks, issuer=document["issuer"],
                                   client_id=str(settings.login_client_id), nonce=flow["nonce"])
        email = claims.get("email")
        if not isinstance(email, str) or "@" not in email or len(email) > 254 or claims.get("email_verified") is False:
            raise LoginFailed("the ID token has no verified email address")
    except (LoginFailed, httpx.HTTPError, KeyError, ValueError) as failed:
        log.warning("vipps login for tenant %s refused: %s", tenant_id, type(failed).__name__)
        return _page(FAILED, response.language, 400)
    with tenant_scope(tenant_id):
        await ShopperResponse.filter(id=response.id).update(consent_contact=True, contact_email=email)
    done = _page(DONE, response.language, 200, email=email)
    done.delete_cookie(COOKIE, path="/vipps/login")
    return done


ROUTES = [Route("/vipps/login", start_login, methods=["GET"]), Route(CALLBACK_PATH, finish_login, methods=["GET"])]

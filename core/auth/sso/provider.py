"""Talking to a tenant's OpenID Connect provider: discovery, the code exchange and ID-token validation.

authlib and joserfc are imported at the first login, not when the app starts (together they take most of a second).
The code is exchanged with authlib's OAuth 2 client (PKCE S256, ``client_secret_basic``); the ID token is checked
with joserfc: its signature against the provider's JWKS with an allow-list of asymmetric algorithms, then its
issuer, audience, nonce, expiry and issue time. Anything wrong raises :class:`ProviderRefused` with a reason a
person can read; no token, code or secret ever goes into a message or a log line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from pejling.core.auth.sso.sso_settings import SsoSettings
from pejling.core.outbound_addresses import UrlRefused, check_host, public_address
from pejling.core.outbound_http import outbound_client, outbound_transport

if TYPE_CHECKING:
    from authlib.integrations.httpx_client import AsyncOAuth2Client
    from joserfc.jwk import KeySet

#: ID-token signature algorithms accepted: asymmetric only (no ``none``, no HMAC with the client secret).
ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384")
DISCOVERY_PATH = "/.well-known/openid-configuration"
MAX_DOCUMENT_BYTES = 256 * 1024


class ProviderRefused(Exception):
    """The identity provider's answer cannot be trusted or used; ``message`` says why, for a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ProviderEndpoints:
    """What discovery found: the issuer and the endpoints a login uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


def check_url(url: str, settings: SsoSettings, what: str) -> str:
    """``url`` when it is an absolute https URL (http only when the settings allow), else :class:`ProviderRefused`."""
    refused = ProviderRefused(f"The {what} must be an https URL without credentials or fragment.")
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise refused
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port
    except ValueError:  # a malformed IPv6 host or port
        raise refused from None
    schemes = ("https", "http") if settings.allow_http_issuers else ("https",)
    if parts.scheme not in schemes or not host or parts.username or parts.password or parts.fragment:
        raise refused
    return url


async def check_public(url: str, settings: SsoSettings, what: str) -> None:
    """Refuse ``url`` when its host is not one the operator allows, or resolves to an internal address (SSRF; unless
    the settings allow private ones). Each call checks again (:mod:`pejling.core.outbound_http`)."""
    try:
        check_host(httpx.URL(url).host)
        if not settings.allow_private_issuers:
            await public_address(httpx.URL(url))
    except (UrlRefused, httpx.InvalidURL) as exc:
        raise ProviderRefused(f"The {what}: {exc}") from None


async def _get_json(url: str, settings: SsoSettings, what: str) -> dict[str, Any]:
    await check_public(url, settings, what)
    try:
        async with outbound_client(tenant_chosen=True, private_allowed=settings.allow_private_issuers,
                                   timeout=settings.timeout_seconds, follow_redirects=False) as http:
            response = await http.get(url, headers={"Accept": "application/json"})
    except UrlRefused as exc:
        raise ProviderRefused(f"The {what}: {exc}") from None
    except (httpx.HTTPError, httpx.InvalidURL, ValueError):
        raise ProviderRefused(f"The identity provider's {what} could not be fetched.") from None
    if response.status_code != 200 or len(response.content) > MAX_DOCUMENT_BYTES:
        raise ProviderRefused(f"The identity provider's {what} answered {response.status_code}.")
    try:
        document = response.json()
    except ValueError:
        raise ProviderRefused(f"The identity provider's {what} is not JSON.") from None
    if not isinstance(document, dict):
        raise ProviderRefused(f"The identity provider's {what} is not a JSON object.")
    return document


async def discover(issuer: str, settings: SsoSettings) -> ProviderEndpoints:
    """Read ``<issuer>/.well-known/openid-configuration``; its ``issuer`` must be exactly the one configured."""
    issuer = check_url(issuer.strip(), settings, "issuer URL")
    document = await _get_json(issuer.rstrip("/") + DISCOVERY_PATH, settings, "discovery document")
    if document.get("issuer") != issuer:
        raise ProviderRefused("The discovery document names another issuer than the one configured.")
    found: dict[str, str] = {}
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = document.get(name)
        if not isinstance(value, str) or len(value) > 1000:
            raise ProviderRefused(f"The discovery document has no usable {name}.")
        found[name] = check_url(value, settings, name.replace("_", " "))
        await check_public(value, settings, name.replace("_", " "))
    methods = document.get("code_challenge_methods_supported")
    if isinstance(methods, list) and "S256" not in methods:
        raise ProviderRefused("The identity provider does not support PKCE with S256.")
    return ProviderEndpoints(issuer=issuer, **found)


def oauth_client(client_id: str, client_secret: str, redirect_uri: str, settings: SsoSettings) -> AsyncOAuth2Client:
    """authlib's client for one login: PKCE S256, the client secret sent with HTTP Basic to the token endpoint."""
    from authlib.integrations.httpx_client import AsyncOAuth2Client

    return AsyncOAuth2Client(
        client_id=client_id, client_secret=client_secret, token_endpoint_auth_method="client_secret_basic",  # noqa: S106
        scope="openid email profile", redirect_uri=redirect_uri, code_challenge_method="S256",
        timeout=settings.timeout_seconds, follow_redirects=False,
        transport=outbound_transport(tenant_chosen=True, private_allowed=settings.allow_private_issuers),
    )


async def exchange_code(client: AsyncOAuth2Client, token_endpoint: str, code: str, code_verifier: str) -> str:
    """The ID token the token endpoint gives for ``code`` (authlib sends the PKCE verifier and the client's auth)."""
    from authlib.common.errors import AuthlibBaseError

    try:
        token = await client.fetch_token(token_endpoint, code=code, code_verifier=code_verifier,
                                         grant_type="authorization_code")
    except UrlRefused as exc:  # the checked client's refusal: a host not allowed, an internal address
        raise ProviderRefused(f"The token endpoint: {exc}") from None
    except (AuthlibBaseError, httpx.HTTPError, ValueError):
        raise ProviderRefused("The identity provider did not accept the login code.") from None
    id_token = token.get("id_token") if isinstance(token, dict) else None
    if not isinstance(id_token, str) or not id_token:
        raise ProviderRefused("The identity provider sent no ID token.")
    return id_token


async def provider_keys(jwks_uri: str, settings: SsoSettings) -> KeySet:
    """The provider's public keys (its JWKS), fetched fresh for each login: a rotated key is used at once."""
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    document = await _get_json(jwks_uri, settings, "key set")
    try:
        return KeySet.import_key_set(document)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError):
        raise ProviderRefused("The identity provider's key set cannot be read.") from None


def validate_id_token(id_token: str, keys: KeySet, *, issuer: str, client_id: str, nonce: str,
                      settings: SsoSettings) -> dict[str, Any]:
    """The claims of a valid ID token for this login, else :class:`ProviderRefused`."""
    from joserfc import jwt
    from joserfc.errors import ExpiredTokenError, JoseError

    try:
        token = jwt.decode(id_token, keys, algorithms=list(ALLOWED_ALGORITHMS))
    except (JoseError, ValueError, TypeError):
        raise ProviderRefused("The ID token's signature does not verify with the identity provider's keys.") from None
    claims = token.claims
    audience = claims.get("aud")
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != client_id:
        raise ProviderRefused("The ID token was issued to another client.")
    registry = jwt.JWTClaimsRegistry(
        leeway=settings.clock_leeway_seconds,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise ProviderRefused("The ID token has expired.") from None
    except JoseError as exc:
        claim = getattr(exc, "claim", None) or "a claim"
        raise ProviderRefused(f"The ID token is not valid for this login ({claim}).") from None
    return claims

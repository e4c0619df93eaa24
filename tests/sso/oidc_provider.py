"""A small OpenID Connect provider for the SSO tests, served on the loopback by uvicorn in a thread.

It speaks the parts of OpenID Connect Core and RFC 7636 a Pejling login uses: discovery, an authorisation endpoint
that consents at once and redirects with a code, a token endpoint (HTTP Basic client authentication, PKCE S256
checked, codes single-use) that issues an RS256 ID token signed with a key generated for the run, and the JWKS. A
test says who signs in (:attr:`OidcProvider.person`) and may make the next ID token wrong on purpose
(:attr:`OidcProvider.tamper`): other claims, or a signature by a key the JWKS does not hold.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.support.server import free_port

CLIENT_ID = "pejling-test-client"


@dataclass
class OidcProvider:
    """The provider's state: its registered client, its key, the codes handed out and what the next token holds."""

    client_secret: str = field(default_factory=lambda: "secret-" + secrets.token_urlsafe(24))
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "signing-1"}))
    issuer: str = ""
    person: dict[str, Any] = field(default_factory=dict)
    tamper: dict[str, Any] = field(default_factory=dict)
    """Claims to override in the next ID token (a value of ``None`` removes the claim); ``"signing_key"`` signs it
    with another key, ``"unsigned"`` makes it an ``alg: none`` token, ``"no_id_token"`` sends only an access token."""
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    access_tokens: list[str] = field(default_factory=list)
    """The access tokens the token endpoint handed out, newest last."""
    token_requests: int = 0

    # -- endpoints -----------------------------------------------------------------------------------------------
    async def discovery(self, request: Request) -> Response:
        return JSONResponse({
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        })

    async def jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    async def authorize(self, request: Request) -> Response:
        query = request.query_params
        if (query.get("response_type") != "code" or query.get("client_id") != CLIENT_ID
                or query.get("code_challenge_method") != "S256" or not query.get("code_challenge")
                or "openid" not in query.get("scope", "").split()):
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        code = secrets.token_urlsafe(24)
        self.codes[code] = {"redirect_uri": query["redirect_uri"], "nonce": query.get("nonce"),
                            "challenge": query["code_challenge"], "person": dict(self.person)}
        return RedirectResponse(f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}",
                                status_code=302)

    async def token(self, request: Request) -> Response:
        self.token_requests += 1
        form = await request.form()
        if not self._client_authenticated(request.headers.get("authorization", "")):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = self.codes.pop(str(form.get("code", "")), None)
        if form.get("grant_type") != "authorization_code" or grant is None:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        verifier = str(form.get("code_verifier", ""))
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if not hmac.compare_digest(challenge, grant["challenge"]) or form.get("redirect_uri") != grant["redirect_uri"]:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        self.access_tokens.append(secrets.token_urlsafe(16))
        body = {"access_token": self.access_tokens[-1], "token_type": "Bearer", "expires_in": 300}
        if not self.tamper.get("no_id_token"):
            body["id_token"] = self._id_token(grant)
        return JSONResponse(body)

    # -- helpers -------------------------------------------------------------------------------------------------
    def _client_authenticated(self, authorization: str) -> bool:
        if not authorization.startswith("Basic "):
            return False
        given = base64.b64decode(authorization[6:]).decode()
        return hmac.compare_digest(given, f"{CLIENT_ID}:{self.client_secret}")

    def _id_token(self, grant: dict[str, Any]) -> str:
        now = int(time.time())
        person = grant["person"]
        # Each person has their own stable subject (derived from their address unless the test names one).
        subject = person.get("sub", "person:" + str(person.get("email", "")).lower())
        claims: dict[str, Any] = {"iss": self.issuer, "sub": subject, "aud": CLIENT_ID,
                                  "iat": now, "exp": now + 300, "nonce": grant["nonce"], **person}
        tamper = dict(self.tamper)
        self.tamper = {}
        signing_key = tamper.pop("signing_key", self.key)
        unsigned = tamper.pop("unsigned", False)
        for name, value in tamper.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        if unsigned:  # an "alg": "none" token, as an attacker would send one
            parts = ({"alg": "none", "typ": "JWT"}, claims)
            return ".".join(base64.urlsafe_b64encode(json.dumps(p).encode()).rstrip(b"=").decode() for p in parts) + "."
        return jwt.encode({"alg": "RS256", "kid": signing_key.kid}, claims, signing_key)

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/authorize", self.authorize),
            Route("/token", self.token, methods=["POST"]),
            Route("/jwks", self.jwks),
        ])


@contextmanager
def serving_provider() -> Iterator[OidcProvider]:
    """Run an :class:`OidcProvider` on a free loopback port for the block."""
    provider = OidcProvider()
    port = free_port()
    provider.issuer = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(uvicorn.Config(provider.app(), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off", log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            time.sleep(0.01)
        assert server.started, "the test identity provider did not start"
        yield provider
    finally:
        server.should_exit = True
        thread.join(timeout=10)

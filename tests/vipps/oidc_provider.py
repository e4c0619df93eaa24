"""A small OpenID Connect provider for the Vipps Login tests, served on 127.0.0.1 in the test process.

It speaks what the plugin uses: discovery, ``/authorize`` (authorisation code, PKCE S256 required), ``/token``
(client_secret_basic, the PKCE verifier checked, an RS256 ID token with the nonce) and ``/jwks``. ``forge`` signs the
next ID tokens with a key that is not in the JWKS; ``lifetime`` sets their expiry (negative: already expired).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route

from tests.support.server import free_port

CLIENT_ID = "pejling-test-client"
CLIENT_SECRET = "login-client-secret-" + "k" * 16
EMAIL = "shopper@example.no"


@dataclass
class Provider:
    issuer: str
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    other_key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    forge: bool = False
    lifetime: int = 300
    authorized: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> Starlette:
        async def discovery(request: Request) -> JSONResponse:
            return JSONResponse({"issuer": self.issuer, "authorization_endpoint": self.issuer + "authorize",
                                 "token_endpoint": self.issuer + "token", "jwks_uri": self.issuer + "jwks",
                                 "response_types_supported": ["code"],
                                 "id_token_signing_alg_values_supported": ["RS256"],
                                 "code_challenge_methods_supported": ["S256"]})

        async def authorize(request: Request) -> Any:
            q = dict(request.query_params)
            self.authorized.append(q)
            if (q.get("response_type") != "code" or q.get("client_id") != CLIENT_ID
                    or "openid" not in q.get("scope", "") or q.get("code_challenge_method") != "S256"
                    or not q.get("code_challenge") or not q.get("nonce")):
                return JSONResponse({"error": "invalid_request"}, status_code=400)
            code = secrets.token_urlsafe(16)
            self.codes[code] = q  # the shopper consents here
            return RedirectResponse(q["redirect_uri"] + "?" + urlencode({"code": code, "state": q["state"]}), 302)

        async def token(request: Request) -> JSONResponse:
            expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            form = await request.form()
            grant = self.codes.pop(str(form.get("code", "")), None)
            if request.headers.get("authorization") != expected:
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            verifier = str(form.get("code_verifier", ""))
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if (grant is None or form.get("redirect_uri") != grant["redirect_uri"]
                    or challenge != grant["code_challenge"]):
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            now = int(time.time())
            claims = {"iss": self.issuer, "aud": CLIENT_ID, "sub": "vipps-sub-1", "nonce": grant["nonce"],
                      "iat": now, "exp": now + self.lifetime, "email": EMAIL, "email_verified": True}
            signer = self.other_key if self.forge else self.key
            id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, signer)
            return JSONResponse({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                                 "expires_in": 300, "id_token": id_token})

        async def jwks(request: Request) -> JSONResponse:
            return JSONResponse(KeySet([self.key]).as_dict(private=False))

        return Starlette(routes=[Route("/.well-known/openid-configuration", discovery), Route("/authorize", authorize),
                                 Route("/token", token, methods=["POST"]), Route("/jwks", jwks)])


def serve_provider() -> Iterator[Provider]:
    """Serve a :class:`Provider` on a free loopback port for the duration of the generator."""
    port = free_port()
    provider = Provider(issuer=f"http://127.0.0.1:{port}/")
    server = uvicorn.Server(uvicorn.Config(provider.app(), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off", log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.02)
    assert server.started, "the OIDC provider did not start"
    try:
        yield provider
    finally:
        server.should_exit = True
        thread.join(timeout=5)

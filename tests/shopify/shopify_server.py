"""A small Shopify for the tests, served over HTTP on the loopback: the endpoints Pejling uses, as Shopify documents
them, with the app's real client secret.

* ``GET /shops/{shop}/admin/oauth/authorize`` — the shop's approval page: it approves at once and redirects to the
  app's ``redirect_uri`` with ``code``, ``hmac``, ``host``, ``shop``, ``state`` and ``timestamp``, the ``hmac`` made
  as Shopify makes it (hex HMAC-SHA256 of the sorted query, keyed with the client secret).
* ``POST /shops/{shop}/admin/oauth/access_token`` — the code exchange (``client_id``, ``client_secret``, ``code`` as
  a form or JSON); a code works once; answers ``{"access_token": …, "scope": …}``.
* ``POST /shops/{shop}/admin/api/{version}/graphql.json`` — the Admin GraphQL API with ``X-Shopify-Access-Token``:
  ``discountCodeBasicCreate`` answers ``{"data": {"discountCodeBasicCreate": {"codeDiscountNode": {"id": …},
  "userErrors": []}}}`` and records the discount, or ``userErrors`` for a code already taken.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import socket
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from pejling.plugins.shopify.signatures import query_signature


@dataclass
class FakeShopify:
    client_id: str
    client_secret: str
    codes: dict[str, str] = field(default_factory=dict)
    """code → shop, until exchanged."""
    tokens: dict[str, str] = field(default_factory=dict)
    """access token → shop."""
    discounts: list[dict[str, Any]] = field(default_factory=list)
    exchanges: list[dict[str, str]] = field(default_factory=list)
    base: str = ""

    def sign_query(self, params: dict[str, str]) -> dict[str, str]:
        """``params`` with the ``hmac`` Shopify adds."""
        return {**params, "hmac": query_signature(self.client_secret, params.items())}

    def sign_body(self, body: bytes) -> str:
        return base64.b64encode(hmac.new(self.client_secret.encode(), body, hashlib.sha256).digest()).decode()

    def api_base(self) -> str:
        return f"{self.base}/shops/{{shop}}"

    # -- endpoints --

    async def authorize(self, request: Request) -> Response:
        shop = request.path_params["shop"]
        query = request.query_params
        if query.get("client_id") != self.client_id or not query.get("redirect_uri") or not query.get("state"):
            return JSONResponse({"errors": "Oauth error invalid_request"}, status_code=400)
        code = secrets.token_hex(16)
        self.codes[code] = shop
        params = self.sign_query({"code": code, "host": base64.b64encode(f"{shop}/admin".encode()).decode(),
                                  "shop": shop, "state": query["state"], "timestamp": str(int(time.time()))})
        return RedirectResponse(f"{query['redirect_uri']}?{urlencode(params)}", status_code=302)

    async def access_token(self, request: Request) -> Response:
        shop = request.path_params["shop"]
        if request.headers.get("content-type", "").startswith("application/json"):
            form: dict[str, Any] = json.loads(await request.body())
        else:
            form = dict(await request.form())
        self.exchanges.append({k: str(v) for k, v in form.items() if k != "client_secret"})
        code = str(form.get("code", ""))
        if (form.get("client_id") != self.client_id or not hmac.compare_digest(
                str(form.get("client_secret", "")), self.client_secret) or self.codes.pop(code, None) != shop):
            return JSONResponse({"error": "invalid_request",
                                 "error_description": "The authorization code was not found or was already used"},
                                status_code=400)
        token = f"shpat_{secrets.token_hex(16)}"
        self.tokens[token] = shop
        return JSONResponse({"access_token": token, "scope": "read_orders,read_customers,write_discounts"})

    async def graphql(self, request: Request) -> Response:
        shop = request.path_params["shop"]
        if self.tokens.get(request.headers.get("x-shopify-access-token", "")) != shop:
            return JSONResponse({"errors": "[API] Invalid API key or access token (unrecognized login or wrong "
                                           "password)"}, status_code=401)
        body = await request.json()
        if "discountCodeBasicCreate(" not in body.get("query", ""):
            return JSONResponse({"errors": [{"message": "unsupported by the test server"}]}, status_code=400)
        discount = body["variables"]["basicCodeDiscount"]
        user_errors = []
        if any(d["code"] == discount.get("code") for d in self.discounts):
            user_errors.append({"field": ["basicCodeDiscount", "code"], "code": "TAKEN",
                                "message": "Code must be unique. Please try a different code."})
        gets = discount.get("customerGets") or {}
        if not isinstance((gets.get("value") or {}).get("percentage"), float | int):
            user_errors.append({"field": ["basicCodeDiscount", "customerGets"], "code": "INVALID",
                                "message": "Value is invalid"})
        if user_errors:
            return JSONResponse({"data": {"discountCodeBasicCreate": {"codeDiscountNode": None,
                                                                      "userErrors": user_errors}}})
        self.discounts.append({"shop": shop, **discount})
        node = f"gid://shopify/DiscountCodeNode/{len(self.discounts)}"
        return JSONResponse({"data": {"discountCodeBasicCreate": {"codeDiscountNode": {"id": node},
                                                                  "userErrors": []}}})

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/shops/{shop}/admin/oauth/authorize", self.authorize, methods=["GET"]),
            Route("/shops/{shop}/admin/oauth/access_token", self.access_token, methods=["POST"]),
            Route("/shops/{shop}/admin/api/{version}/graphql.json", self.graphql, methods=["POST"]),
        ])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def serve(fake: FakeShopify) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    """Serve ``fake`` on a free loopback port in the running event loop; returns the server and its task."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(fake.app(), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off", access_log=False, log_config=None))
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.02)
    assert server.started, "the test Shopify did not start"
    fake.base = f"http://127.0.0.1:{port}"
    return server, task

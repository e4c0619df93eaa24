"""A local Vipps MobilePay for the registration tests: the Access Token API and the Webhooks API (v1), on 127.0.0.1.

It answers what Vipps documents and checks what Vipps checks. ``POST /accesstoken/get`` wants the sales unit's
``client_id``, ``client_secret`` and ``Ocp-Apim-Subscription-Key`` headers (and its ``Merchant-Serial-Number``) and
answers ``{"token_type": "Bearer", "expires_in": "3600", ..., "access_token"}`` (the numbers as strings, as Vipps
sends them). The Webhooks API wants ``Authorization: Bearer <that token>``, the same subscription key and the
token's MSN: ``POST /webhooks/v1/webhooks {"url", "events"}`` → ``201 {"id", "secret"}``; ``GET`` →
``{"webhooks": [{"id", "url", "events"}]}`` (that sales unit's only, never a secret); ``DELETE .../<id>`` → ``204``
(``404`` for an id the sales unit does not have). Refusals are ``application/problem+json`` with ``title`` and
``detail``. ``refuse_registration`` makes the next registrations answer that status; ``calls`` records every request
(method, path, MSN).
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.server import free_port

CLIENT_ID = "vipps-test-client-id"
CLIENT_SECRET = "vipps-test-client-secret-" + "s" * 12
SUBSCRIPTION_KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
KNOWN_EVENTS = {f"epayments.payment.{name}.v1" for name in
                ("created", "aborted", "expired", "cancelled", "captured", "refunded", "authorized", "terminated")}


def _problem(status: int, title: str, detail: str) -> JSONResponse:
    return JSONResponse({"type": "https://developer.vippsmobilepay.com/docs/APIs/webhooks-api/", "title": title,
                         "status": status, "detail": detail, "instance": f"urn:test:{uuid.uuid4()}"},
                        status_code=status, media_type="application/problem+json")


@dataclass
class Webhook:
    id: str
    msn: str
    url: str
    events: list[str]
    secret: str


@dataclass
class LocalVipps:
    base_url: str
    msns: set[str] = field(default_factory=set)
    """The sales units these keys may act for."""
    tokens: dict[str, str] = field(default_factory=dict)
    """access token → the MSN it was issued for."""
    webhooks: dict[str, Webhook] = field(default_factory=dict)
    calls: list[tuple[str, str, str]] = field(default_factory=list)
    refuse_registration: int | None = None

    def of(self, msn: str) -> list[Webhook]:
        return [w for w in self.webhooks.values() if w.msn == msn]

    def app(self) -> Starlette:
        async def access_token(request: Request) -> Response:
            h = request.headers
            msn = h.get("merchant-serial-number", "")
            self.calls.append(("POST", "/accesstoken/get", msn))
            if (h.get("client_id") != CLIENT_ID or h.get("client_secret") != CLIENT_SECRET
                    or h.get("ocp-apim-subscription-key") != SUBSCRIPTION_KEY):
                return JSONResponse({"error": "invalid_client", "error_description": "Unknown client or secret."},
                                    status_code=401)
            if msn not in self.msns:
                return _problem(403, "Forbidden", f"The keys are not valid for sales unit {msn}.")
            token = secrets.token_urlsafe(32)
            self.tokens[token] = msn
            now = int(time.time())
            return JSONResponse({"token_type": "Bearer", "expires_in": "3600", "ext_expires_in": "3600",
                                 "expires_on": str(now + 3600), "not_before": str(now),
                                 "resource": "00000002-0000-0000-c000-000000000000", "access_token": token})

        def caller(request: Request) -> str | Response:
            """The MSN the request acts for, or the refusal."""
            h = request.headers
            msn = h.get("merchant-serial-number", "")
            self.calls.append((request.method, request.url.path, msn))
            authorization = h.get("authorization", "")
            token_msn = self.tokens.get(authorization.removeprefix("Bearer ")) if authorization.startswith(
                "Bearer ") else None
            if token_msn is None or h.get("ocp-apim-subscription-key") != SUBSCRIPTION_KEY:
                return _problem(401, "Unauthorized", "Access token or subscription key missing or invalid.")
            if token_msn != msn:
                return _problem(403, "Forbidden", "The access token is for another sales unit.")
            return msn

        async def collection(request: Request) -> Response:
            msn = caller(request)
            if isinstance(msn, Response):
                return msn
            if request.method == "GET":
                return JSONResponse({"webhooks": [{"id": w.id, "url": w.url, "events": w.events}
                                                  for w in self.of(msn)]})
            if self.refuse_registration is not None:
                return _problem(self.refuse_registration, "Bad Request", "Registration refused by the test.")
            try:
                body: Any = await request.json()
            except ValueError:
                return _problem(400, "Bad Request", "The body is not JSON.")
            url, events = (body.get("url"), body.get("events")) if isinstance(body, dict) else (None, None)
            if not isinstance(url, str) or not url.startswith(("https://", "http://")):
                return _problem(400, "Bad Request", "url must be an absolute URL.")
            if not isinstance(events, list) or not events or not set(events) <= KNOWN_EVENTS:
                return _problem(400, "Bad Request", "events must name known event types.")
            if any(sum(e in w.events for w in self.of(msn)) >= 25 for e in events):
                return _problem(400, "Bad Request", "At most 25 webhooks per event.")
            webhook = Webhook(str(uuid.uuid4()), msn, url, list(events), secrets.token_urlsafe(30))
            self.webhooks[webhook.id] = webhook
            return JSONResponse({"id": webhook.id, "secret": webhook.secret}, status_code=201)

        async def one(request: Request) -> Response:
            msn = caller(request)
            if isinstance(msn, Response):
                return msn
            webhook = self.webhooks.get(request.path_params["id"])
            if webhook is None or webhook.msn != msn:
                return _problem(404, "Not Found", "No such webhook.")
            del self.webhooks[webhook.id]
            return Response(status_code=204)

        return Starlette(routes=[Route("/accesstoken/get", access_token, methods=["POST"]),
                                 Route("/webhooks/v1/webhooks", collection, methods=["GET", "POST"]),
                                 Route("/webhooks/v1/webhooks/{id}", one, methods=["DELETE"])])


def serve_vipps(msns: set[str]) -> Iterator[LocalVipps]:
    """Serve a :class:`LocalVipps` for ``msns`` on a free loopback port for the duration of the generator."""
    port = free_port()
    vipps = LocalVipps(base_url=f"http://127.0.0.1:{port}", msns=set(msns))
    server = uvicorn.Server(uvicorn.Config(vipps.app(), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off", log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.02)
    assert server.started, "the local Vipps did not start"
    try:
        yield vipps
    finally:
        server.should_exit = True
        thread.join(timeout=5)

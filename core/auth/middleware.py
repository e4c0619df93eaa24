"""Finds the actor of each request: an API token (``Authorization: Bearer``) or a session cookie.

Pure ASGI, so what it sets in ``scope["state"]`` (``actor``, and ``session`` for a logged-in
browser) reaches every handler. Rules:

* A request with a Bearer header is judged by the token alone: a malformed, unknown, expired or
  revoked token gets ``401 {"error": "invalid_token"}`` with ``WWW-Authenticate: Bearer``, never a
  fall-back to the cookie. On API paths any other ``Authorization`` scheme gets the same 401.
* A session cookie makes an :class:`~pejling.core.auth.actor.Actor` with ``session_id`` (marked
  ``password_change_required`` while the person's password is a generated one and the session is not SSO's). Under
  ``/graphql`` and ``/api/`` the session's statement also reads the person's membership in the requested tenant, for
  the tenant middleware (``state["session"]``, a :class:`~pejling.core.auth.sessions.LiveSession`). Unsafe
  requests (POST, PUT, PATCH, DELETE) carried by the cookie are refused with 403 when their
  ``Origin`` (or ``Sec-Fetch-Site``) is cross-site, and, under ``/api/`` and ``/plugins/`` or for a
  GraphQL mutation, when the ``X-CSRF-Token`` header does not match the session
  (:mod:`pejling.core.auth.csrf`).
  GraphQL queries need no CSRF header, so GraphiQL can read without it.
* The cookie names depend on the scheme (``__Host-`` prefixed over HTTPS, :mod:`pejling.core.auth.sessions`).
* A missing or stale CSRF cookie is set again on the response of a logged-in request.
* Every unsafe request to ``/graphql``, whoever sends it, is refused with ``413`` when its body is over
  :data:`~pejling.core.request_limits.MAX_BODY_BYTES`, before more than that is read. A document of at most
  ``MAX_TOKENS`` tokens and its variables fit well below; bigger bodies would only make the CSRF check
  (and strawberry) parse megabytes on the event loop.
* Each of these refusals, and a session cookie that names no live session, is counted as a security event
  (:mod:`pejling.core.security_events`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from pejling.core.auth.actor import ANONYMOUS, Actor
from pejling.core.auth.api_tokens import actor_for_token, bearer_secret
from pejling.core.auth.csrf import CSRF_HEADER, csrf_cookie_name, csrf_token_for, csrf_token_valid
from pejling.core.auth.forwarded import is_https, normalise_origin, request_origin
from pejling.core.auth.sessions import session_cookie_name, session_from_cookie
from pejling.core.request_limits import MAX_BODY_BYTES, MAX_TOKENS
from pejling.core.security_events import refused
from pejling.core.settings import Settings, get_settings
from pejling.tenants.middleware import requested_slug, well_formed

API_PATHS = ("/graphql", "/api/")
GRAPHQL_PATH = "/graphql"
#: Unsafe cookie-authenticated requests under these prefixes always need the CSRF header.
CSRF_PATHS = ("/api/", "/plugins/")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def settings_of(scope: Scope) -> Settings:
    """The settings of the application serving this request."""
    app = scope.get("app")
    settings = getattr(getattr(app, "state", None), "settings", None)
    return settings if isinstance(settings, Settings) else get_settings()


def cookies_secure(scope: Scope, settings: Settings) -> bool:
    """Cookies get the Secure flag when the browser talks HTTPS to us."""
    return is_https(scope, settings.trusted_proxies)


class ActorMiddleware:
    """Puts ``request.state.actor`` (and ``request.state.session``) on every HTTP request."""

    def __init__(self, app: ASGIApp, settings: Settings | None = None) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["actor"] = ANONYMOUS
        if scope["type"] == "websocket":
            # No cookie or token authentication over WebSockets (no CSRF or Origin checks there yet).
            await self.app(scope, receive, send)
            return
        settings = self.settings or settings_of(scope)
        headers = Headers(scope=scope)
        body: bytes | None = None
        if scope["method"] in UNSAFE_METHODS and scope["path"].rstrip("/") == GRAPHQL_PATH:
            body = await _read_body(receive, headers, MAX_BODY_BYTES)
            if body is None:
                refused("body_too_large", scope)
                await _too_large(MAX_BODY_BYTES)(scope, receive, send)
                return
            receive = _replaying(body, receive)
        api = scope["path"].startswith(API_PATHS)
        authorization = headers.get("authorization")
        if authorization is not None and (api or authorization.lstrip()[:7].lower() == "bearer "):
            secret = bearer_secret(authorization)
            actor = await actor_for_token(secret) if secret else None
            if actor is None:
                refused("invalid_token", scope)
                await _invalid_token()(scope, receive, send)
                return
            state["actor"] = actor
            await self.app(scope, receive, send)
            return

        cookies = HTTPConnection(scope).cookies
        secure = cookies_secure(scope, settings)
        idle = timedelta(seconds=settings.session_idle_seconds)
        secret = cookies.get(session_cookie_name(secure))
        session = None
        if secret:
            # Under the tenant middleware's paths the person's membership is read with the session, in one statement.
            slug = requested_slug(scope) if api else None
            session = await session_from_cookie(secret, idle=idle, memberships=api and well_formed(slug),
                                                tenant_slug=slug)
        if session is None:
            if secret:
                refused("invalid_session", scope)  # answered as anonymous, but counted
            await self.app(scope, receive, send)
            return
        state["actor"] = Actor(user_id=session.user_id, session_id=session.id, via_sso=session.via_sso,
                               password_change_required=session.generated_password and not session.via_sso)
        state["session"] = session
        if scope["method"] in UNSAFE_METHODS:
            refusal = _csrf_refusal(scope, body, headers, settings, session.id)
            if refusal is not None:
                refused(refusal.kind, scope)
                await refusal.response(scope, receive, send)
                return
        expected = csrf_token_for(settings, session.id)
        if cookies.get(csrf_cookie_name(secure)) != expected:
            send = _adding_csrf_cookie(send, expected, settings, secure=secure)
        await self.app(scope, receive, send)


def _invalid_token() -> Response:
    return JSONResponse(
        {"error": "invalid_token"}, status_code=401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
    )


def _forbidden(error: str, message: str) -> Response:
    return JSONResponse({"error": error, "message": message}, status_code=403)


def _too_large(limit: int) -> Response:
    # The application reads no more of the body. The server (uvicorn) discards the rest as it arrives, so the
    # client gets this answer; closing instead would reset the connection under a client still sending.
    return JSONResponse({"error": "request_too_large", "message": f"A GraphQL request body may be at most {limit} "
                         "bytes."}, status_code=413)


@dataclass(frozen=True)
class _Refusal:
    kind: str
    """Its :mod:`security event <pejling.core.security_events>` kind."""
    response: Response


def _csrf_refusal(scope: Scope, body: bytes | None, headers: Headers, settings: Settings, session_id: Any
                  ) -> _Refusal | None:
    """The 403 to answer to an unsafe cookie request, or None. ``body`` is the (size-checked) GraphQL body."""
    if _cross_site(scope, headers, settings):
        return _Refusal("cross_site", _forbidden("cross_site_request",
                                                 "Cross-site requests with the session cookie are refused."))
    path = scope["path"]
    if csrf_token_valid(settings, session_id, headers.get(CSRF_HEADER)):
        return None
    missing = _Refusal("csrf_failed", _forbidden(
        "csrf_failed", "Send the X-CSRF-Token header (the csrf_token cookie) with this request."))
    if path.startswith(CSRF_PATHS):
        return missing
    if path.rstrip("/") == GRAPHQL_PATH and (body is None or _may_change_data(body, headers.get("content-type", ""))):
        return missing
    return None


def _cross_site(scope: Scope, headers: Headers, settings: Settings) -> bool:
    if headers.get("sec-fetch-site", "").lower() == "cross-site":
        return True
    origin = headers.get("origin")
    if origin is None:
        return False
    allowed = {request_origin(scope, settings.trusted_proxies), normalise_origin(settings.base_url)} - {None}
    return normalise_origin(origin) not in allowed


async def _read_body(receive: Receive, headers: Headers, limit: int) -> bytes | None:
    """The whole request body, or None as soon as it is known to be over ``limit`` bytes (the rest is not read)."""
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A receive channel that hands ``body`` downstream once, then passes on (e.g. the disconnect)."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _may_change_data(body: bytes, content_type: str) -> bool:
    """False only for a JSON GraphQL request whose operations are all queries (or that cannot run at all).

    The body is at most MAX_BODY_BYTES, and the document is parsed with the schema's token limit, so this
    costs at most one bounded parse. Batches need the token: batching is off, so they never run anyway.
    """
    if "application/json" not in content_type.lower():
        return True
    try:
        request = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: JSON nested too deeply
        return True
    if not isinstance(request, dict) or not isinstance(request.get("query"), str):
        return True
    try:
        document = parse(request["query"], no_location=True, max_tokens=MAX_TOKENS)
    except GraphQLError:
        return False  # a document that does not parse (or is over the token limit) does not run either
    name = request.get("operationName")
    operations = [node for node in document.definitions if isinstance(node, OperationDefinitionNode)]
    if isinstance(name, str) and name:
        operations = [node for node in operations if node.name is not None and node.name.value == name]
    return any(node.operation is not OperationType.QUERY for node in operations)


def _adding_csrf_cookie(send: Send, token: str, settings: Settings, *, secure: bool) -> Send:
    """Wrap ``send`` to set the CSRF cookie, unless the response sets or clears it itself."""
    carrier = Response()
    carrier.set_cookie(
        csrf_cookie_name(secure), token, max_age=settings.session_max_age_seconds, path="/", secure=secure,
        httponly=False, samesite="lax",
    )
    cookie_header = next(value for name, value in carrier.raw_headers if name == b"set-cookie")

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            raw = list(message.get("headers", []))
            names = (csrf_cookie_name(secure).encode() + b"=", session_cookie_name(secure).encode() + b"=")
            if not any(name.lower() == b"set-cookie" and value.startswith(names) for name, value in raw):
                raw.append((b"set-cookie", cookie_header))
                message = {**message, "headers": raw}
        await send(message)

    return wrapped

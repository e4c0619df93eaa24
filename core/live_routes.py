"""``GET /api/live/responses``: today's responses as they arrive, as server-sent events, for members of the tenant.

Who may listen: a logged-in member (session cookie) or an API token with the ``read`` scope, in the tenant the
request works in (:mod:`pejling.tenants.middleware`: the token's tenant, the ``X-Pejling-Tenant`` header or the only
membership; a browser's ``EventSource`` cannot send headers, so ``?tenant=<slug>`` names it too). Anonymous: ``401``.
``?store=<Store global id>`` narrows the feed to one store; an unknown store, another tenant's or one a store
manager may not see answers ``404``, like an unknown tenant (no existence leak). A store manager without ``store``
hears only their own stores.

The stream (``text/event-stream``)::

    retry: 3000                                   how long the browser waits before reconnecting

    event: today                                  first: the count so far today (each store's time zone)
    data: {"count": 12, "stores": ["U3RvcmU6…"], "since": "2026-12-01T23:00:00Z"}

    event: response                               each response stored after the connection opened
    id: UmVzcG9uc2U6…
    data: {"type": "response", "id": "UmVzcG9uc2U6…", "store": "U3RvcmU6…", "zone": null, "channel": "qr", …}

    event: heartbeat                              after every ``live_heartbeat_seconds`` without an event
    data: {"at": "2026-12-02T08:15:00Z"}

The listener subscribes before counting, so no response stored meanwhile is missed (one committed in that instant
may be both counted and sent). After ``live_stream_seconds`` the server ends the stream and the browser reconnects
(and is counted again), so a rolling restart never waits on open feeds. When the client goes away its subscription
is closed at once.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from strawberry import relay

from pejling.core.auth.actor import ANONYMOUS, READ, Actor
from pejling.core.live_feed import EVENT, global_id, start_of_day, today_so_far, topic_for
from pejling.core.pubsub import PubSubUnavailable, Subscription, broker_for
from pejling.core.settings import Settings
from pejling.tenants.middleware import TenantNotFound, resolve_tenant
from pejling.tenants.models import Store, Tenant, stores_visible_to
from pejling.tenants.scope import tenant_scope

PATH = "/api/live/responses"
RETRY_MS = 3000


def _error(status: int, code: str, message: str, **headers: str) -> Response:
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers or None)


def _not_found() -> Response:
    return _error(404, "not_found", "No such store or tenant.")


def _store_uuid(value: str) -> UUID | None:
    try:
        found = relay.GlobalID.from_id(value)
        return UUID(found.node_id) if found.type_name == "Store" else None
    except (ValueError, TypeError):
        return None


def sse(event: str, data: dict[str, Any], event_id: str | None = None) -> bytes:
    """One server-sent event (``data`` as one line of JSON)."""
    head = f"event: {event}\n" + (f"id: {event_id}\n" if event_id else "")
    return (head + f"data: {json.dumps(data, separators=(',', ':'))}\n\n").encode()


class EventStream(StreamingResponse):
    """A never-ending response (no ``Content-Length``) that stops as soon as the client disconnects, whatever ASGI
    version the server speaks, and then closes its subscription at once."""

    def __init__(self, events: AsyncIterator[bytes], subscription: Subscription) -> None:
        super().__init__(events, media_type="text/event-stream",
                         headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
        self.events = events
        self.subscription = subscription

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._send_all, send, group.cancel_scope)
                while (await receive())["type"] != "http.disconnect":
                    pass
                group.cancel_scope.cancel()
        finally:
            self.subscription.close()

    async def _send_all(self, send: Send, scope: anyio.CancelScope) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        try:
            async for chunk in self.events:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:  # the client went away while we wrote
            pass
        scope.cancel()


async def _events(subscription: Subscription, hello: dict[str, Any], stores: set[str],
                  settings: Settings) -> AsyncIterator[bytes]:
    yield f"retry: {RETRY_MS}\n\n".encode()
    yield sse("today", hello)
    deadline = anyio.current_time() + settings.live_stream_seconds
    while not subscription.closed:
        left = deadline - anyio.current_time()
        if left <= 0:
            return
        event = await subscription.get(min(settings.live_heartbeat_seconds, left))
        if event is None:
            if not subscription.closed and deadline > anyio.current_time():
                yield sse("heartbeat", {"at": datetime.now(UTC).isoformat().replace("+00:00", "Z")})
        elif event.get("type") == EVENT and event.get("store") in stores:
            yield sse(EVENT, event, str(event.get("id") or ""))


async def _tenant_of(request: Request, actor: Actor) -> tuple[Tenant | None, Actor]:
    state = request.scope.get("state", {})
    tenant = state.get("tenant")
    if tenant is None and request.query_params.get("tenant"):
        return await resolve_tenant(actor, request.query_params["tenant"])
    return tenant, actor


async def live_responses(request: Request) -> Response:
    """Stream the request tenant's newly stored responses (one store's with ``?store=``) as server-sent events."""
    actor: Actor = request.scope.get("state", {}).get("actor", ANONYMOUS)
    if not actor.authenticated:
        return _error(401, "unauthenticated", "Log in or send an API token.", **{"WWW-Authenticate": "Bearer"})
    try:
        tenant, actor = await _tenant_of(request, actor)
    except TenantNotFound:
        return _not_found()
    if tenant is None or actor.role is None or not actor.can(READ):
        return _not_found()
    settings: Settings = request.app.state.settings
    with tenant_scope(tenant.id):
        visible = stores_visible_to(actor.store_ids)
        wanted = request.query_params.get("store")
        if wanted is not None:
            store_id = _store_uuid(wanted)
            if store_id is None:
                return _not_found()
            visible = visible.filter(id=store_id)
        stores: list[Store] = await visible
        if wanted is not None and not stores:
            return _not_found()
        try:
            subscription = await broker_for(settings).subscribe(topic_for(tenant.id))
        except PubSubUnavailable:
            return _error(503, "live_unavailable", "The live feed is unavailable; try again shortly.",
                          **{"Retry-After": "5"})
        try:
            count = await today_so_far(stores)
        except BaseException:
            subscription.close()
            raise
    ids = {global_id("Store", store.id) for store in stores}
    since = min((start_of_day(store.timezone) for store in stores), default=start_of_day("UTC"))
    hello = {"count": count, "stores": sorted(ids), "since": since.isoformat().replace("+00:00", "Z")}
    return EventStream(_events(subscription, hello, ids, settings), subscription)


def live_routes() -> list[Route]:
    """The live-feed route, for ``core/app.py``."""
    return [Route(PATH, live_responses, methods=["GET"], name="live_responses")]

"""Finds the actor of each request (session cookie or API token). Placeholder: anonymous only."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from pejling.core.auth.actor import ANONYMOUS


class ActorMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope.setdefault("state", {})["actor"] = ANONYMOUS
        await self.app(scope, receive, send)

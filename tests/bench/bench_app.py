"""The app the HTTP bench serves: Pejling's own, plus one bench-only plain JSON route (never in production).

``POST /bench/typename`` answers ``{"data": {"__typename": "Query"}}`` after the same middleware as ``/graphql``
(the session lookup, its actor and tenant), so ``{ __typename }`` over GraphQL divided by this route is the cost of
the GraphQL layer itself, the database work being equal.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pejling.core.app import create_app

PLAIN_PATH = "/bench/typename"


async def plain_typename(request: Request) -> JSONResponse:
    """What ``{ __typename }`` answers, for a logged-in actor, without GraphQL."""
    if not request.state.actor.authenticated:
        return JSONResponse({"error": "unauthenticated"}, status_code=401)
    return JSONResponse({"data": {"__typename": "Query"}})


def create_bench_app() -> Starlette:
    """``create_app()`` with the plain route first in its routing table."""
    app = create_app()
    app.router.routes.insert(0, Route(PLAIN_PATH, plain_typename, methods=["POST"]))
    return app

"""The public JSON endpoint that takes in survey responses: ``POST /s/{tenant_slug}/{store_slug}/responses``.

No login: the tenant comes from the address. The body is checked here (content type, at most 16 KB, valid
JSON) and then handed to :func:`pejling.core.surveys.ingest.ingest_response`, the one code path shared with the
plain form and GraphQL.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from pejling.core.surveys.ingest import MAX_BODY_BYTES, IngestRefused, ingest_response

NO_STORE = {"Cache-Control": "no-store"}


def client_address(request: Request) -> str:
    """The client address as the server sees it (uvicorn applies X-Forwarded-For from trusted proxies only)."""
    return request.client.host if request.client else ""


def refusal_response(refused: IngestRefused) -> JSONResponse:
    """The JSON error for a refused submission (with ``Retry-After`` on 429)."""
    headers = dict(NO_STORE)
    if refused.retry_after is not None:
        headers["Retry-After"] = str(refused.retry_after)
    return JSONResponse(refused.as_json(), status_code=refused.status, headers=headers)


async def read_limited_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, refusing (413) as soon as it exceeds ``limit`` bytes, whatever Content-Length claims."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise IngestRefused(413, "too_large", f"The body must be at most {limit // 1024} KB.", None)
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise IngestRefused(413, "too_large", f"The body must be at most {limit // 1024} KB.", None)
    return bytes(body)


async def parse_json_body(request: Request) -> Any:
    """The JSON body of a submission: 415 for another content type, 413 when too large, 400 when malformed."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise IngestRefused(415, "unsupported_media_type", "Send the response as application/json.", None)
    body = await read_limited_body(request)
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise IngestRefused(400, "malformed", "The body is not valid JSON.", None) from None


async def submit_response(request: Request) -> JSONResponse:
    """Store one response: 201 with the receipt, 200 for a resend of the same id, else a 4xx JSON error."""
    try:
        payload = await parse_json_body(request)
        result = await ingest_response(
            payload,
            tenant_slug=request.path_params["tenant_slug"],
            store_slug=request.path_params["store_slug"],
            client_address=client_address(request),
            user_agent=request.headers.get("user-agent", "")[:512],
            via="json",
            settings=request.app.state.settings,
            plugins=getattr(request.app.state, "plugins", None),
        )
    except IngestRefused as refused:
        return refusal_response(refused)
    return JSONResponse(result.as_json(), status_code=200 if result.duplicate else 201, headers=NO_STORE)


def survey_api_routes() -> list[BaseRoute]:
    """The routes of this module, for ``create_app``."""
    return [Route("/s/{tenant_slug}/{store_slug}/responses", submit_response, methods=["POST"])]

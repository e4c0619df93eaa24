"""The public JSON endpoint that takes in survey responses: ``POST /s/{tenant_slug}/{store_slug}/responses``.

No login: the tenant comes from the address. The body is checked here (content type, at most 16 KB read before
anything is parsed, UTF-8 JSON nested at most :data:`MAX_JSON_DEPTH` deep, no NaN or Infinity) and then handed to
:func:`pejling.core.surveys.ingest.ingest_response`, the one code path shared with the plain form and GraphQL.
"""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from pejling.core.surveys.ingest import MAX_BODY_BYTES, IngestRefused, ingest_response

NO_STORE = {"Cache-Control": "no-store"}
#: A submission nests three levels deep ({"answers": [{...}]}); anything much deeper is refused before parsing, so
#: that the parser's recursion is never what stops a hostile body.
MAX_JSON_DEPTH = 8
#: A string (to its end, or to the end of the text when unterminated, so a match never fails) or a bracket: one
#: linear pass.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)


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


def _invalid_json(detail: str = "The body is not valid JSON.") -> IngestRefused:
    return IngestRefused(400, "invalid_json", detail, None)


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def json_depth(text: str) -> int:
    """How deep arrays and objects nest in ``text`` (brackets inside strings do not count)."""
    depth = deepest = 0
    for token in _JSON_TOKEN.findall(text):
        if token in ("[", "{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in ("]", "}"):
            depth -= 1
    return deepest


def parse_json(body: bytes) -> Any:
    """Parse a submission body safely: UTF-8, at most :data:`MAX_JSON_DEPTH` deep, standard JSON only (no NaN).

    Raises :class:`IngestRefused` 400 ``invalid_json`` for anything else, never a parser crash.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _invalid_json("The body must be UTF-8 JSON.") from None
    if json_depth(text) > MAX_JSON_DEPTH:
        raise _invalid_json(f"The body nests deeper than {MAX_JSON_DEPTH} levels.")
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError, as are over-long integers
        raise _invalid_json() from None


async def parse_json_body(request: Request) -> Any:
    """The JSON body of a submission: 415 for another content type, 413 when too large, 400 when not valid JSON."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise IngestRefused(415, "unsupported_media_type", "Send the response as application/json.", None)
    return parse_json(await read_limited_body(request))


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

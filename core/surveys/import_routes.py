"""``POST /api/imports/responses``: the bulk import as NDJSON, for batches larger than a GraphQL body takes.

The GraphQL ``importResponses`` mutation is bound by the API's 64 KB body (about a hundred responses of ten answers);
this endpoint takes the full :data:`~pejling.core.surveys.response_import.MAX_BATCH` per call. One response per line,
in the shape of the JSON ingest (``id``, ``submitted_at``, ``started_at``, ``answers`` of ``statement_id`` and
``value``, ``outcome``, ``comment``, ``language``, ``channel``); the store (``store``), zone (``zone``) and survey
version (``survey_version``) are query parameters (global ids as the API gives them, or raw UUIDs). Authenticated
like the API: an owner's or admin's token with the write scope (or a session with its CSRF header), the tenant
chosen by the ``X-Pejling-Tenant`` header; counted against the caller's import limit. The answer is JSON: the counts
and one result per line, or a whole refusal (nothing stored) with ``error``, ``message`` and ``field``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry import relay

from pejling.core import security_events
from pejling.core.auth.actor import ANONYMOUS, WRITE, Actor
from pejling.core.surveys import rate_limit
from pejling.core.surveys.channels import channel_registry
from pejling.core.surveys.models import SurveyVersion
from pejling.core.surveys.response_import import MAX_BATCH, ImportRefused, import_responses
from pejling.core.surveys.survey import active_survey
from pejling.tenants.models import Store, Zone

PATH = "/api/imports/responses"
MAX_BODY_BYTES = 4 * 1024 * 1024
"""The largest NDJSON body read: 1 000 responses of 20 answers fit with room to spare."""


def decode_id(value: str, type_name: str) -> UUID | None:
    """The UUID of a global id of ``type_name`` (as the API gives them) or of a raw UUID; None when neither."""
    try:
        return UUID(value)
    except ValueError:
        pass
    try:
        global_id = relay.GlobalID.from_id(value)
        return UUID(global_id.node_id) if global_id.type_name == type_name else None
    except (ValueError, TypeError):
        return None


def _refused(status: int, error: str, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "message": message, "field": field}, status_code=status)


async def _body(request: Request) -> bytes | None:
    """The body, or None once it grows past :data:`MAX_BODY_BYTES` (no more is read)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _lines(body: bytes) -> list[Any] | JSONResponse:
    items: list[Any] = []
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _refused(400, "malformed", "The body must be UTF-8 NDJSON: one JSON object per line.")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if len(items) == MAX_BATCH:
            return _refused(413, "too_many", f"At most {MAX_BATCH} responses per import. Nothing was imported: "
                            "split it.", "responses")
        try:
            items.append(json.loads(line))
        except (ValueError, RecursionError):
            return _refused(400, "malformed", f"Line {number} is not JSON. Nothing was imported.", f"line {number}")
    return items


async def _place(request: Request) -> tuple[Store, Zone | None, SurveyVersion] | JSONResponse:
    params = request.query_params
    store_id = decode_id(params.get("store", ""), "Store")
    store = await Store.get_or_none(id=store_id) if store_id else None
    if store is None:
        return _refused(404, "not_found", "No store of yours has this id.", "store")
    zone = None
    if params.get("zone"):
        zone_id = decode_id(params["zone"], "Zone")
        zone = await Zone.get_or_none(id=zone_id, store_id=store.id) if zone_id else None
        if zone is None:
            return _refused(404, "not_found", "No zone of this store has this id.", "zone")
    version: SurveyVersion | None
    if params.get("survey_version"):
        version_id = decode_id(params["survey_version"], "SurveyVersion")
        version = await SurveyVersion.get_or_none(id=version_id) if version_id else None
    else:
        active = await active_survey()
        version = active.version if active is not None else None
    if version is None:
        return _refused(404, "not_found", "No survey version of yours has this id.", "survey_version")
    return store, zone, version


def caller_key(actor: Actor) -> str:
    """Whose import limit a call counts against: the API token's, else the session's (or user's)."""
    who: UUID | None = actor.token_id or actor.session_id or actor.user_id
    return f"import:{who}"


async def import_endpoint(request: Request) -> JSONResponse:
    """Import the NDJSON body into the store of the query string (see the module docstring)."""
    state = request.scope.get("state", {})
    actor: Actor = state.get("actor", ANONYMOUS)
    if not actor.authenticated:
        return _refused(401, "unauthenticated", "Log in or send an API token.")
    if state.get("tenant") is None:
        return _refused(400, "tenant_required", "Choose a tenant with the X-Pejling-Tenant header.")
    if not actor.can(WRITE) or not actor.is_admin:
        return _refused(403, "forbidden", "Only owners and admins, with the write scope, may import responses.")
    body = await _body(request)
    if body is None:
        return _refused(413, "request_too_large", f"An import body may be at most {MAX_BODY_BYTES} bytes.")
    items = _lines(body)
    if isinstance(items, JSONResponse):
        return items
    place = await _place(request)
    if isinstance(place, JSONResponse):
        return place
    store, zone, version = place
    settings = request.app.state.settings
    retry_after = await rate_limit.limiter_for(settings).hit(caller_key(actor), rate_limit.IMPORT_LIMIT)
    if retry_after is not None:
        security_events.refused("rate_limited", request.scope, "import")
        refusal = _refused(429, "throttled", "Too many imports; try again later.")
        refusal.headers["Retry-After"] = str(retry_after)
        return refusal
    plugins = getattr(request.app.state, "plugins", None)
    try:
        results = await import_responses(items, store=store, zone=zone, version=version,
                                         channels=channel_registry(plugins).keys, now=datetime.now(UTC),
                                         plugins=plugins)
    except ImportRefused as refused:
        return _refused(413 if refused.code == "too_many" else 422, refused.code, refused.message, refused.field)
    return JSONResponse({
        "stored": sum(r.status == "stored" for r in results),
        "duplicates": sum(r.status == "duplicate" for r in results),
        "invalid": sum(r.status == "invalid" for r in results),
        "results": [{"index": r.index, "id": r.id, "status": r.status,
                     **({"error": {"code": r.code, "message": r.message, "field": r.field}}
                        if r.status == "invalid" else {})} for r in results],
    })


def import_routes() -> list[Route]:
    """The import endpoint, for ``core/app.py``."""
    return [Route(PATH, import_endpoint, methods=["POST"], name="response_import")]

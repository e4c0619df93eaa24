"""``GET /api/audit-log.csv``: the tenant's audit log as CSV, newest first, for owners and admins.

Query parameters filter like the ``auditLog`` query: ``actor`` (a Member or ApiToken global id, or the UUID the log
shows), ``operation``, ``since`` and ``until`` (ISO 8601; ``since`` inclusive, ``until`` not). Anonymous: ``401``;
no tenant: ``404``; another role: ``403``. The rows stream a page at a time, so no copy of the log is kept on disk
(unlike a response export, which a job writes to a file). The download itself is logged first, so it is the
file's first row.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from pejling.core.audit.reading import AuditFilter, actor_id_of, csv_chunks, may_read_audit_log
from pejling.core.audit.recording import record_download
from pejling.core.auth.actor import ANONYMOUS, Actor
from pejling.core.auth.forwarded import client_address

PATH = "/api/audit-log.csv"


def _error(status: int, code: str, message: str, **headers: str) -> Response:
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace(" ", "+"))  # an offset's unencoded "+" arrives as a space
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


async def download_audit_log(request: Request) -> Response:
    """Stream the request's tenant's audit log as CSV."""
    state = request.scope.get("state", {})
    actor: Actor = state.get("actor", ANONYMOUS)
    if not actor.authenticated:
        return _error(401, "unauthenticated", "Log in or send an API token.", **{"WWW-Authenticate": "Bearer"})
    tenant = state.get("tenant")
    if tenant is None:
        return _error(404, "tenant_required", "Choose a tenant with the X-Pejling-Tenant header.")
    if not may_read_audit_log(actor):
        return _error(403, "forbidden", "Only owners and admins can read the audit log.")
    params = request.query_params
    try:
        filters = AuditFilter(
            actor_id=await actor_id_of(params["actor"]) if params.get("actor") else None,
            operation=params.get("operation") or None, since=_moment(params.get("since")),
            until=_moment(params.get("until")),
        )
    except ValueError:
        return _error(400, "invalid", "since and until are ISO 8601 date-times.")
    settings = request.app.state.settings
    await record_download(settings, tenant.id, actor, name="auditLogCsv",
                          address=client_address(request.scope, settings.trusted_proxies))
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return StreamingResponse(
        csv_chunks(filters), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-log-{tenant.slug}-{stamp}.csv"',
                 "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


def audit_routes() -> list[Route]:
    """The CSV download route, for ``core/app.py``."""
    return [Route(PATH, download_audit_log, methods=["GET"], name="audit_log_csv")]

"""``GET /api/exports/{id}/download``: the file of a finished export, for members of its tenant only.

Anonymous: ``401``. Another tenant, an unknown id, an export not finished, or one the member may not
read: ``404`` (no existence leak). Exports with contact emails are for owners and admins; a store
manager downloads only the exports they started. Each download is logged in the audit log (one INSERT).
"""

from __future__ import annotations

from uuid import UUID

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from pejling.core.audit.recording import record_download
from pejling.core.auth.actor import ANONYMOUS, READ, Actor
from pejling.core.auth.forwarded import client_address
from pejling.core.followups.exports import download_name, export_path
from pejling.core.followups.models import Export, ExportFormat, ExportStatus
from pejling.tenants.models import Role

MEDIA_TYPES = {ExportFormat.CSV: "text/csv; charset=utf-8", ExportFormat.JSON: "application/json",
               ExportFormat.ZIP: "application/zip"}


def _not_found() -> Response:
    return JSONResponse({"error": "not_found", "message": "No such export."}, status_code=404)


def may_download(actor: Actor, export: Export) -> bool:
    """Members may download exports; contact-bearing ones need an owner or admin, store managers only their own."""
    if export.include_contact and not actor.is_admin:
        return False
    if actor.role is Role.STORE_MANAGER:
        return export.requested_by_id is not None and export.requested_by_id == actor.user_id
    return actor.role is not None


async def download_export(request: Request) -> Response:
    """Serve the file of a finished export of the request's tenant."""
    actor: Actor = request.scope.get("state", {}).get("actor", ANONYMOUS)
    if not actor.authenticated:
        return JSONResponse({"error": "unauthenticated", "message": "Log in or send an API token."}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})
    tenant = request.scope.get("state", {}).get("tenant")
    if tenant is None or not actor.can(READ):
        return _not_found()
    try:
        export_id = UUID(request.path_params["export_id"])
    except ValueError:
        return _not_found()
    export = await Export.get_or_none(id=export_id)
    if export is None or ExportStatus(export.status) is not ExportStatus.SUCCEEDED or not may_download(actor, export):
        return _not_found()
    path = export_path(export)
    if not path.is_file():
        return _not_found()
    settings = request.app.state.settings
    read = ["Export.file", "Response.contactEmail"] if export.include_contact else ["Export.file"]
    await record_download(settings, tenant.id, actor, name="responseExport", object_ids=[f"Export:{export.id}"],
                          shopper_fields=read, address=client_address(request.scope, settings.trusted_proxies))
    return FileResponse(path, media_type=MEDIA_TYPES[ExportFormat(export.format)], filename=download_name(export),
                        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


def export_routes() -> list[Route]:
    """The download route, for ``core/app.py``."""
    return [Route("/api/exports/{export_id}/download", download_export, methods=["GET"], name="export_download")]

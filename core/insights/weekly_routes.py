"""``GET /api/stores/{id}/weekly-report.pdf?week=2026-W48``: the weekly one-page report of a store as a PDF.

For members of the store's tenant who may read (a store manager: only their stores). Anonymous: 401; another
tenant's store, an unknown id or a store the member may not see: 404 (no existence leak); a bad ``week``: 400.
Without ``week`` the last complete ISO week (UTC). Like the poster downloads, a person in several tenants names
the tenant with ``?tenant=<slug>``.
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pejling.core.auth.actor import ANONYMOUS, READ, Actor
from pejling.core.insights.weekly_report import parse_week, report_filename, report_pdf, week_of, weekly_report
from pejling.tenants.models import Store, Tenant


def last_week(today: dt.date | None = None) -> str:
    """The last complete ISO week before ``today`` (UTC today by default)."""
    day = today or dt.datetime.now(dt.UTC).date()
    return week_of(day - dt.timedelta(days=day.isoweekday()))


def _not_found() -> Response:
    return JSONResponse({"error": "not_found", "message": "No such store."}, status_code=404)


async def download(request: Request) -> Response:
    """The PDF of one store's week."""
    actor: Actor = request.scope.get("state", {}).get("actor", ANONYMOUS)
    if not actor.authenticated:
        return JSONResponse({"error": "unauthenticated", "message": "Log in or send an API token."}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})
    tenant: Tenant | None = request.scope.get("state", {}).get("tenant")
    if tenant is None or actor.role is None or not actor.can(READ):
        return _not_found()
    try:
        store_id = UUID(request.path_params["store_id"])
    except ValueError:
        return _not_found()
    if actor.store_ids is not None and store_id not in actor.store_ids:
        return _not_found()
    store = await Store.get_or_none(id=store_id)
    if store is None:
        return _not_found()
    week = request.query_params.get("week") or last_week()
    try:
        parse_week(week)
    except ValueError as exc:
        return JSONResponse({"error": "invalid", "message": str(exc)}, status_code=400)
    body = report_pdf(await weekly_report(tenant.id, store, week))
    return Response(body, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{report_filename(store, week)}"',
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    })


def report_path(store_id: UUID, week: str) -> str:
    """The path of a store's weekly report PDF."""
    return f"/api/stores/{store_id}/weekly-report.pdf?week={week}"


def weekly_report_routes() -> list[Route]:
    """The download, for ``core/app.py``."""
    return [Route("/api/stores/{store_id}/weekly-report.pdf", download, methods=["GET"], name="weekly_report")]

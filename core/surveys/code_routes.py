"""The routes of survey codes: the public short link ``/q/<code>`` and the authenticated downloads of its images.

``GET /q/{code}``: counts the scan and answers 303 to the survey page of the code's store and zone (``ch=qr`` and
the code in the query); a retired code gets a friendly page in the shopper's language (410, still counted); an
unknown code the "not found" page (404). A query parameter given twice (``?lang=en&lang=da``) is a 400 page and
counts nothing (:mod:`pejling.core.surveys.repeated_parameter_page`).

``GET /api/survey-codes/{id}/{file}``, ``file`` one of ``qr.svg``, ``qr.png``, ``poster-a4.pdf``, ``poster-a5.pdf``:
for members of the code's tenant (a store manager: codes of their stores). Anonymous: 401; another tenant, an unknown
id or a store the member may not see: 404 (no existence leak).
"""

from __future__ import annotations

from uuid import UUID

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from pejling.core.auth.actor import ANONYMOUS, READ, Actor
from pejling.core.settings import shopper_base_url
from pejling.core.surveys.codes import code_url, scan_code, survey_path
from pejling.core.surveys.models import SurveyCode
from pejling.core.surveys.page_data import logo_path
from pejling.core.surveys.pages import render_page, render_problem
from pejling.core.surveys.poster import PosterText, poster_pdf, qr_png, qr_svg
from pejling.core.surveys.repeated_parameter_page import each_parameter_once
from pejling.frontend.language import messages, pick_language
from pejling.tenants.models import Store, Tenant

DOWNLOADS: dict[str, tuple[str, str]] = {
    "qr.svg": ("image/svg+xml; charset=utf-8", "svg"),  # XML is text: its charset is named (ASVS V4.1.1)
    "qr.png": ("image/png", "png"),
    "poster-a4.pdf": ("application/pdf", "A4"),
    "poster-a5.pdf": ("application/pdf", "A5"),
}
"""The files of a code: name in the URL → (media type, what to make)."""


async def scan(request: Request) -> Response:
    """``GET /q/{code}``: count the scan, then the survey (303), the retired page (410) or not found (404)."""
    requested = request.query_params.get("lang")
    accept = request.headers.get("accept-language")
    scanned = await scan_code(request.path_params["code"])
    if scanned is None:
        return render_problem(pick_language(requested, accept), "not_found", 404)
    if scanned.retired:
        language = pick_language(requested, accept, scanned.store.default_language)
        t = messages(language)
        return render_page(
            "problem.html", language, brand_colour=scanned.tenant.brand_colour, brand_name=scanned.store.name,
            logo_url=logo_path(scanned.tenant), status=410, title=t["code_retired_title"], body=t["code_retired_body"],
        )
    target = survey_path(scanned, getattr(request.app.state, "plugins", None))
    return RedirectResponse(target, status_code=303,
                            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


def _not_found() -> Response:
    return JSONResponse({"error": "not_found", "message": "No such survey code."}, status_code=404)


def may_download(actor: Actor, code: SurveyCode) -> bool:
    """Members may download a code's files; a store manager only those of their stores."""
    if actor.role is None:
        return False
    return actor.store_ids is None or code.store_id in actor.store_ids


async def download(request: Request) -> Response:
    """``GET /api/survey-codes/{id}/{file}``: the SVG, PNG or poster PDF of a code of the request's tenant."""
    actor: Actor = request.scope.get("state", {}).get("actor", ANONYMOUS)
    if not actor.authenticated:
        return JSONResponse({"error": "unauthenticated", "message": "Log in or send an API token."}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})
    tenant: Tenant | None = request.scope.get("state", {}).get("tenant")
    kind = DOWNLOADS.get(request.path_params["file"])
    if tenant is None or kind is None or not actor.can(READ):
        return _not_found()
    try:
        code_id = UUID(request.path_params["code_id"])
    except ValueError:
        return _not_found()
    code = await SurveyCode.get_or_none(id=code_id)
    if code is None or not may_download(actor, code):
        return _not_found()
    media_type, what = kind
    url = code_url(shopper_base_url(request.app.state.settings), code.code)
    if what == "svg":
        body = qr_svg(url)
    elif what == "png":
        body = qr_png(url)
    else:
        store = await Store.get(id=code.store_id)
        text = PosterText(store_name=store.name, language=store.default_language, brand_colour=tenant.brand_colour,
                          logo=bytes(tenant.logo) if tenant.logo else None, tenant_name=tenant.name)
        body = poster_pdf(url, text, what)
    filename = f"pejling-{code.code}-{request.path_params['file']}"
    return Response(body, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    })


def download_path(code_id: UUID, file: str) -> str:
    """The path of one of a code's files (:data:`DOWNLOADS`)."""
    return f"/api/survey-codes/{code_id}/{file}"


def survey_code_routes() -> list[Route]:
    """The short link and the downloads, for ``core/app.py``."""
    return [
        Route("/q/{code}", each_parameter_once(scan), methods=["GET"], name="survey_code_scan"),
        Route("/api/survey-codes/{code_id}/{file}", download, methods=["GET"], name="survey_code_download"),
    ]

"""The receipt page ``/r/…``: a shopper sees, downloads or erases their answer with the receipt code.

Receipt codes are unique per tenant, not globally, so the page's own address names the tenant:
``/r/<tenant slug>/<code>`` is what the thank-you screen links to. ``/r/<code>`` (a code typed by hand) is looked up
in every tenant and redirected to that address when exactly one tenant has it; a code two tenants share (about one
in 594 million per pair of responses) finds nothing there and needs the thank-you screen's link. ``/r`` is a form
for typing a code.

* ``GET /r/<tenant>/<code>``: the answers (statements in the shopper's language, values, comment, store, time);
* ``GET /r/<tenant>/<code>/json``: the same as a JSON download;
* ``GET /r/<tenant>/<code>/erase`` asks; ``POST`` erases (:func:`pejling.core.surveys.erasure.erase_response`). The
  form carries a token (HMAC of the secret key, tenant, response and the time it was shown, valid for an hour), so
  an erasure needs the question to have been shown, and a cross-site POST (``Origin`` or ``Sec-Fetch-Site``) is
  refused. Nothing else changes anything.

A code that is malformed, unknown, erased, of another tenant, or under an unknown tenant gets one and the same 404
page, so the page is no oracle. Every look-up counts against a per-address limit (:data:`LOOKUP_LIMIT`, the
survey's rate limiter: Redis when configured) and a miss counts :data:`MISS_WEIGHT` times, so guessing is slow (see
``docs/survey-page.md``). Every answer is ``Cache-Control: no-store``; the access log shows ``{code}`` as
``[redacted]`` (``core/logs.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import parse_qsl
from uuid import UUID

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from pejling.core import security_events
from pejling.core.auth.forwarded import normalise_origin, request_origin
from pejling.core.repeated_parameters import repeated_name
from pejling.core.settings import Settings, get_settings
from pejling.core.surveys import rate_limit
from pejling.core.surveys.erasure import erase_response, find_by_receipt
from pejling.core.surveys.ingest import IngestRefused
from pejling.core.surveys.models import Response as SurveyResponse
from pejling.core.surveys.page_data import logo_path
from pejling.core.surveys.pages import render_page, render_problem
from pejling.core.surveys.receipt_view import receipt_download, receipt_view
from pejling.core.surveys.receipts import normalise_receipt_code
from pejling.core.surveys.repeated_parameter_page import each_parameter_once
from pejling.core.surveys.routes import read_limited_body
from pejling.core.surveys.submission_fields import is_slug
from pejling.frontend.language import LANGUAGES, messages, pick_language
from pejling.tenants.models import Tenant
from pejling.tenants.scope import all_tenants, tenant_scope

#: Look-ups of receipt codes per client address per hour (a found code costs 1, a miss :data:`MISS_WEIGHT`).
LOOKUP_LIMIT = rate_limit.Limit(count=30, window_seconds=3600)
#: What a look-up that finds nothing costs: five misses an hour use up an address's allowance.
MISS_WEIGHT = 6
#: How long an erase question stays answerable (seconds).
ERASE_TOKEN_SECONDS = 3600
FORM_LIMIT = 2048
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}


class _Refused(Exception):
    """A look-up the page answers with a problem page (the response is ready)."""

    def __init__(self, response: Response) -> None:
        self.response = response


def _settings(request: Request) -> Settings:
    settings = getattr(request.app.state, "settings", None)
    return settings if isinstance(settings, Settings) else get_settings()


def _language(request: Request, preferred: str | None = None) -> str:
    """``?lang=``, then the language the shopper answered in, then the browser's."""
    requested = request.query_params.get("lang")
    return pick_language(requested if requested else preferred, request.headers.get("accept-language"))


def _limit_key(request: Request) -> str:
    address = request.client.host if request.client else ""
    return "receipt:" + rate_limit.client_key(_settings(request), address)


def _not_found(request: Request) -> Response:
    language = _language(request)
    t = messages(language)
    return render_page("receipt_problem.html", language, status=404, title=t["receipt_not_found_title"],
                       body=t["receipt_not_found_body"], find_url="/r")


async def _count_lookup(request: Request) -> None:
    """Count one look-up of this address; refuse (429) when its allowance is used up."""
    retry_after = await rate_limit.limiter_for(_settings(request)).hit(_limit_key(request), LOOKUP_LIMIT)
    if retry_after is not None:
        security_events.refused("rate_limited", request.scope, "receipt_lookup")
        language = _language(request)
        t = messages(language)
        page = render_page("receipt_problem.html", language, status=429, title=t["receipt_rate_title"],
                           body=t["receipt_rate_body"])
        page.headers["Retry-After"] = str(retry_after)
        raise _Refused(page)


async def _count_miss(request: Request) -> None:
    limiter = rate_limit.limiter_for(_settings(request))
    for _ in range(MISS_WEIGHT - 1):
        await limiter.hit(_limit_key(request), LOOKUP_LIMIT)


async def _found(request: Request) -> tuple[Tenant, SurveyResponse]:
    """The tenant and response the address names (counted against the limit), else :class:`_Refused`."""
    await _count_lookup(request)
    code = normalise_receipt_code(str(request.path_params["code"]))
    slug = str(request.path_params["tenant"])
    with all_tenants():
        tenant = await Tenant.get_or_none(slug=slug) if code and is_slug(slug) else None
    response = None
    if tenant is not None and code is not None:
        with tenant_scope(tenant.id):
            response = await find_by_receipt(code)
    if tenant is None or response is None:
        await _count_miss(request)
        raise _Refused(_not_found(request))
    return tenant, response


def _branding(tenant: Tenant) -> dict[str, Any]:
    return {"brand_colour": tenant.brand_colour, "brand_name": tenant.name, "logo_url": logo_path(tenant)}


def _base(tenant: Tenant, response: SurveyResponse) -> str:
    return f"/r/{tenant.slug}/{response.receipt_code}"


def erase_token(settings: Settings, tenant_id: UUID, response_id: UUID, issued: int) -> str:
    """The token of an erase question shown at ``issued`` (Unix seconds) for one response."""
    message = f"receipt-erase|{tenant_id}|{response_id}|{issued}".encode()
    return hmac.new(settings.secret_bytes(), message, hashlib.sha256).hexdigest()


def _token_valid(settings: Settings, tenant: Tenant, response: SurveyResponse, issued: str, token: str) -> bool:
    if not issued.isdigit() or len(issued) > 12:
        return False
    age = time.time() - int(issued)
    if not 0 <= age <= ERASE_TOKEN_SECONDS:
        return False
    return hmac.compare_digest(erase_token(settings, tenant.id, response.id, int(issued)), token)


def _cross_site(request: Request) -> bool:
    """True for a POST another site made: ``Sec-Fetch-Site: cross-site``, or an ``Origin`` that is not ours. A page
    with ``Referrer-Policy: no-referrer`` (ours) makes browsers send ``Origin: null``: that decides nothing."""
    if request.headers.get("sec-fetch-site", "").lower() == "cross-site":
        return True
    origin = request.headers.get("origin")
    if origin is None or origin.strip() == "null":
        return False
    settings = _settings(request)
    allowed = {request_origin(request.scope, settings.trusted_proxies), normalise_origin(settings.base_url)} - {None}
    return normalise_origin(origin) not in allowed


async def find_page(request: Request) -> Response:
    """GET ``/r``: a form to type a receipt code; with ``?code=`` it goes to that code's page."""
    language = _language(request)
    t = messages(language)
    typed = request.query_params.get("code")
    if typed is not None:
        code = normalise_receipt_code(typed[:32])
        if code is not None:
            tenant = request.query_params.get("tenant", "")
            target = f"/r/{tenant}/{code}" if is_slug(tenant) else f"/r/{code}"
            return RedirectResponse(f"{target}?lang={language}", status_code=303, headers=NO_STORE)
    return render_page(
        "receipt_find.html", language, status=422 if typed is not None else 200, title=t["receipt_find_title"],
        error=t["receipt_code_invalid"] if typed is not None else None, tenant=request.query_params.get("tenant", ""),
    )


async def code_only(request: Request) -> Response:
    """GET ``/r/<code>``: the code looked up in every tenant; found in exactly one, its page (303)."""
    try:
        await _count_lookup(request)
    except _Refused as refused:
        return refused.response
    code = normalise_receipt_code(str(request.path_params["code"]))
    found: list[tuple[str, str]] = []
    if code is not None:
        with all_tenants():
            tenant_ids = list(await Tenant.all().values_list("id", flat=True))
            # One probe of the (tenant, receipt_code) unique index per tenant.
            rows = await SurveyResponse.filter(tenant_id__in=tenant_ids, receipt_code=code).limit(2).values_list(
                "tenant_id", "receipt_code")
            if len(rows) == 1:
                tenant = await Tenant.get(id=rows[0][0])
                found.append((tenant.slug, str(rows[0][1])))
    if len(found) != 1:
        await _count_miss(request)
        return _not_found(request)
    slug, stored = found[0]
    requested = request.query_params.get("lang")  # only a language of ours goes into the address (ASVS V1.2.2)
    query = f"?lang={requested}" if requested in LANGUAGES else ""
    return RedirectResponse(f"/r/{slug}/{stored}{query}", status_code=303, headers=NO_STORE)


async def receipt_page(request: Request) -> Response:
    """GET ``/r/<tenant>/<code>``: the shopper's answers."""
    try:
        tenant, response = await _found(request)
    except _Refused as refused:
        return refused.response
    language = _language(request, response.language)
    with tenant_scope(tenant.id):
        view = await receipt_view(response, language)
    base = _base(tenant, response)
    return render_page(
        "receipt.html", language, **_branding(tenant), title=messages(language)["receipt_title"], view=view,
        download_url=f"{base}/json?lang={language}", erase_url=f"{base}/erase?lang={language}",
    )


async def receipt_json(request: Request) -> Response:
    """GET ``/r/<tenant>/<code>/json``: the answer as a JSON file."""
    try:
        tenant, response = await _found(request)
    except _Refused as refused:
        return refused.response
    language = _language(request, response.language)
    with tenant_scope(tenant.id):
        data = await receipt_download(response, language)
    body = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    filename = f"answer-{response.receipt_code}.json"
    headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type="application/json", headers=headers)


async def _form(request: Request) -> dict[str, str] | None:
    """The erase form's fields (a small urlencoded body; anything else reads as empty, so it asks again); None when
    a field comes twice (refused, ``core/repeated_parameters.py``)."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        return {}
    try:
        body = await read_limited_body(request, FORM_LIMIT)
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=8)
    except (IngestRefused, ValueError):
        return {}
    return None if repeated_name(pairs) is not None else dict(pairs)


def _ask(request: Request, tenant: Tenant, response: SurveyResponse, language: str, *, again: bool = False
         ) -> Response:
    t = messages(language)
    issued = int(time.time())
    base = _base(tenant, response)
    return render_page(
        "receipt_erase.html", language, **_branding(tenant), status=403 if again else 200,
        title=t["receipt_erase_title"], body=t["receipt_erase_body"], ask=True, again=again,
        action=f"{base}/erase?lang={language}", back_url=f"{base}?lang={language}", issued=issued,
        token=erase_token(_settings(request), tenant.id, response.id, issued),
    )


async def erase_page(request: Request) -> Response:
    """GET ``/r/<tenant>/<code>/erase`` asks; POST (the question's form) erases the answer."""
    if request.method == "POST" and _cross_site(request):
        return _not_found(request)  # changes nothing, tells nothing
    try:
        tenant, response = await _found(request)
    except _Refused as refused:
        return refused.response
    language = _language(request, response.language)
    if request.method == "GET":
        return _ask(request, tenant, response, language)
    form = await _form(request)
    if form is None:
        return render_problem(language, "invalid", 400)
    if not _token_valid(_settings(request), tenant, response, form.get("issued", ""), form.get("token", "")):
        return _ask(request, tenant, response, language, again=True)
    with tenant_scope(tenant.id):
        await erase_response(response)
    t = messages(language)
    return render_page("receipt_erase.html", language, **_branding(tenant), title=t["receipt_erased_title"],
                       body=t["receipt_erased_body"], ask=False)


def receipt_routes() -> list[BaseRoute]:
    """The receipt page's routes, for ``create_app``."""
    return [
        Route("/r", each_parameter_once(find_page), methods=["GET"]),
        Route("/r/{code}", each_parameter_once(code_only), methods=["GET"]),
        Route("/r/{tenant}/{code}", each_parameter_once(receipt_page), methods=["GET"]),
        Route("/r/{tenant}/{code}/json", each_parameter_once(receipt_json), methods=["GET"]),
        Route("/r/{tenant}/{code}/erase", each_parameter_once(erase_page), methods=["GET", "POST"]),
    ]


#: The receipt routes, added to the application in :func:`pejling.core.app.create_app`.
routes = receipt_routes()

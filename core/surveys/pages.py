"""The shopper's survey pages: how they are rendered, and the routes of the survey, its preview and invitations.

Server-rendered with Jinja2 (templates in ``frontend/templates``); the page's CSS and script are inlined so the
first load is one small compressed document. The data comes from :mod:`pejling.core.surveys.page_data`.

This file holds the pages' template environment, headers and nonce, the renderers the shopper pages share (the
survey, the small pages, the problem pages and the thank-you), the preview's framing by the portal's own origin
(:func:`portal_framer`), and the handlers of the GET pages (store survey, preview, invitation, kiosk screen). Apart,
each in a module of its own: their routes (:mod:`pejling.core.surveys.page_routes`), the survey sent as a plain
form, without JavaScript (:mod:`pejling.core.surveys.form_submission`, which goes through the one ingest path), the
400 page for a parameter given twice (:mod:`pejling.core.surveys.repeated_parameter_page`), the cache of the store
page (:mod:`pejling.core.surveys.page_cache`), and the kiosk, receipt and code pages.
"""

from __future__ import annotations

import secrets
import tomllib
import uuid
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from pejling.core.auth.forwarded import normalise_origin
from pejling.frontend import FRONTEND_DIR
from pejling.frontend.brand import DEFAULT_BRAND, brand_colours
from pejling.frontend.language import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    language_names,
    messages,
    negotiate_language,
    pick_language,
)

_env = Environment(
    loader=FileSystemLoader(str(FRONTEND_DIR / "templates")),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@cache
def _static(name: str) -> Markup:
    """A static file's text, for inlining (CSS and the page script)."""
    return Markup((FRONTEND_DIR / "static" / name).read_text(encoding="utf-8"))  # noqa: S704 - our own file


@cache
def _bank_outcome() -> dict[str, Any]:
    from pejling.core.goals import STATEMENTS_FILE

    with STATEMENTS_FILE.open("rb") as file:
        return dict(tomllib.load(file).get("outcome", {}))


def _outcome_ends(page: Any, language: str) -> tuple[str, str]:
    outcome = _bank_outcome()
    low = getattr(page.outcome, "low_label", None) or outcome.get("low_label", {}).get(language, "")
    high = getattr(page.outcome, "high_label", None) or outcome.get("high_label", {}).get(language, "")
    return str(low), str(high)


def _language_links(request: Request, current: str) -> list[dict[str, str]]:
    names = language_names()
    links = []
    for code in LANGUAGES:
        query = {k: v for k, v in request.query_params.items() if k != "lang"}
        query["lang"] = code
        links.append({"code": code, "name": names[code], "href": f"{request.url.path}?{urlencode(query)}"})
    return links


def _base_context(language: str, brand_colour: str | None, brand_name: str, logo_url: str | None) -> dict[str, Any]:
    return {
        "language": language,
        "t": messages(language),
        "brand": brand_colours(brand_colour or DEFAULT_BRAND),
        "brand_name": brand_name,
        "logo_url": logo_url,
        "css": _static("survey.css"),
        "language_links": [],
    }


def render_text(template: str, context: dict[str, Any]) -> str:
    """The HTML of ``frontend/templates/<template>`` for ``context`` (the page cache renders through this too)."""
    return _env.get_template(template).render(context)


def page_headers(nonce: str, language: str, *, preview: bool = False, framer: str | None = None) -> dict[str, str]:
    """The headers of a shopper page: its own Content-Security-Policy with the page's nonce, never stored.

    A ``preview`` (the portal's phone frame, :data:`PREVIEW_PARAM`) may be framed by pages of this origin only, and
    of ``framer`` (the portal's origin, when the shoppers' pages have a host of their own: :func:`portal_framer`).
    """
    ancestors = ("'self'" + (f" {framer}" if framer else "")) if preview else "'none'"
    headers = {
        # Only our own inline script and style run; the page talks only to its own origin.
        "Content-Security-Policy": (
            f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; img-src 'self' https: data:; "
            f"connect-src 'self'; form-action 'self'; object-src 'none'; base-uri 'none'; frame-ancestors {ancestors}"
        ),
        "Cache-Control": "no-store",
        "Vary": "Accept-Language",
        "Content-Language": language,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    if preview:
        headers["X-Frame-Options"] = "SAMEORIGIN"  # else core/security_headers.py adds DENY
    return headers


#: ``?preview=1`` on a store's survey page: the page as a shopper sees it, for the portal's phone frame. It records
#: nothing: the script sends no response (and keeps no outbox or progress), the plain form is refused by the server
#: (:func:`form_submission`), and only pages of this origin may frame it.
PREVIEW_PARAM = "preview"


def portal_framer(request: Request) -> str | None:
    """The portal's origin, which frames the preview, when the shoppers' pages have an origin of their own
    (``shopper_base_url``); None when both share one (``'self'`` covers it)."""
    settings = request.app.state.settings
    return normalise_origin(settings.base_url) if settings.shopper_base_url else None


def is_preview(request: Request) -> bool:
    """True for the survey page's preview (``?preview=1``)."""
    return request.query_params.get(PREVIEW_PARAM) == "1"


def new_nonce() -> str:
    """A fresh Content-Security-Policy nonce: every response gets its own."""
    return secrets.token_urlsafe(18)


def _html(template: str, context: dict[str, Any], status: int = 200, nonce: str | None = None) -> HTMLResponse:
    nonce = nonce or new_nonce()
    context["nonce"] = nonce
    response = HTMLResponse(render_text(template, context), status_code=status)
    response.headers.update(page_headers(nonce, context["language"], preview=bool(context.get("preview")),
                                         framer=context.get("preview_framer")))
    return response


def render_survey(
    request: Request,
    page: Any,
    *,
    response_id: str | None = None,
    started_at: str | None = None,
    previous: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
    template: str = "survey.html",
    extra: dict[str, Any] | None = None,
    nonce: str | None = None,
    preview: bool = False,
) -> HTMLResponse:
    """The survey page for a :class:`~pejling.core.surveys.page_data.SurveyPage` (any object with its attributes).

    A variant of the page (the kiosk screen, :mod:`pejling.core.surveys.kiosk_page`) names its own ``template`` and
    ``extra`` context, which replaces the page's own. ``nonce`` is the page's CSP nonce (a fresh one when None).
    A ``preview`` page records nothing (:data:`PREVIEW_PARAM`).
    """
    context = survey_context(request, page, response_id=response_id, started_at=started_at, previous=previous,
                             error=error)
    context.update(extra or {})
    if preview:
        context["preview"] = True
        context["preview_framer"] = portal_framer(request)
        context["client_data"]["preview"] = True
    return _html(template, context, status, nonce)


def page_language(page: Any) -> str:
    """The language the survey page is rendered in: the page's own when we have it, else the default."""
    return str(page.language) if page.language in LANGUAGES else DEFAULT_LANGUAGE


def survey_context(
    request: Request,
    page: Any,
    *,
    response_id: str | None = None,
    started_at: str | None = None,
    previous: dict[str, str] | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    """The template context of the survey page (:func:`render_survey`; the page cache fills in its own slots)."""
    language = page_language(page)
    t = messages(language)
    low, high = _outcome_ends(page, language)
    context = _base_context(language, page.brand_colour, page.store_name or page.tenant_name, page.logo_url)
    context.update(
        page=page,
        heading=t["page_title"].replace("{store}", page.store_name or page.tenant_name),
        outcome_low=low,
        outcome_high=high,
        response_id=response_id or str(uuid.uuid4()),
        started_at=started_at or _now(),
        previous=previous or {},
        error=error,
        language_links=_language_links(request, language) if request.method == "GET" else [],
        js=_static("survey.js"),
        client_data={
            "submit_url": page.submit_url,
            "survey_version_id": page.survey_version_id,
            "invitation": page.invitation_token,
            "zone_id": page.zone_id,
            "channel": page.channel,
            "channel_params": dict(page.channel_params),
            "language": language,
            "t": {
                key: t[key]
                for key in (
                    "progress", "sending", "submit", "thanks_headline", "thanks_body", "queued_headline",
                    "queued_body", "sent_later", "error_generic", "error_email", "error_answers", "statement_legend",
                    "preview_done",
                )
            },
        },
    )
    return context


_PROBLEMS = {
    "not_found": ("not_found_title", "not_found_body"),
    "gone": ("gone_title", "gone_body"),
    "server_error": ("server_error_title", "server_error_body"),
    "invalid": ("error_title", "error_generic"),
}


def render_page(
    template: str, language: str, *, brand_colour: str | None = None, brand_name: str = "Pejling",
    logo_url: str | None = None, status: int = 200, **context: Any,
) -> HTMLResponse:
    """One of the small shopper pages (``frontend/templates/<template>``) in ``language`` with a tenant's branding."""
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    page = _base_context(language, brand_colour, brand_name, logo_url)
    page.update(context)
    return _html(template, page, status)


def render_problem(language: str, kind: str, status: int) -> HTMLResponse:
    """A small page in the shopper's language: ``not_found``, ``gone``, ``server_error`` or ``invalid``."""
    t = messages(language)
    title, body = _PROBLEMS[kind]
    context = _base_context(language, None, "Pejling", None)
    context.update(title=t[title], body=t[body])
    return _html("problem.html", context, status)


def reward_view(reward: Any, language: str) -> dict[str, str] | None:
    """A plugin's reward (``code``, ``description`` per language, ``expires_at``) as the texts the page shows."""
    if not isinstance(reward, dict):
        return None
    description = reward.get("description") or reward.get("title") or reward.get("text") or ""
    if isinstance(description, dict):
        description = description.get(language) or description.get("en") or next(iter(description.values()), "")
    code = str(reward.get("code") or "")
    if not (code or description):
        return None
    return {"text": str(description), "code": code}


def render_thanks(language: str, page: Any | None, result: Any) -> HTMLResponse:
    """The thank-you page of the no-JavaScript path: what happens next, the receipt code and any reward."""
    t = messages(language)
    thank_you = dict(getattr(result, "thank_you", None) or {})
    context = _base_context(
        language,
        getattr(page, "brand_colour", None),
        (getattr(page, "store_name", "") or getattr(page, "tenant_name", "")) if page else "Pejling",
        getattr(page, "logo_url", None),
    )
    context.update(
        headline=thank_you.get("headline") or t["thanks_headline"],
        body=thank_you.get("body") or t["thanks_body"],
        receipt_code=result.receipt_code,
        receipt_url=thank_you.get("receipt_url"),
        reward=reward_view(result.reward, language),
    )
    return _html("thanks.html", context)


async def _load(request: Request, **kwargs: Any) -> Any:
    from pejling.core.surveys.page_data import load_survey_page

    requested = request.query_params.get("lang")
    accept = request.headers.get("accept-language")
    language = requested if requested in LANGUAGES else negotiate_language(accept)
    plugins = getattr(request.app.state, "plugins", None)
    return await load_survey_page(language=language, accept_language=accept, plugins=plugins, **kwargs)


async def _page_or_problem(request: Request, *, preview: bool = False, **kwargs: Any) -> Response:
    from pejling.core.surveys.page_data import InvitationUnusable, SurveyNotFound

    language = pick_language(request.query_params.get("lang"), request.headers.get("accept-language"))
    try:
        page = await _load(request, **kwargs)
    except SurveyNotFound:
        return render_problem(language, "not_found", 404)
    except InvitationUnusable:
        return render_problem(language, "gone", 410)
    return render_survey(request, page, preview=preview)


async def _store_page(request: Request, **kwargs: Any) -> Response:
    """A store's page, the same for every shopper but for the per-request parts: from this process's copy while the
    tenant's content stamp is the one it was loaded at (``core/surveys/page_cache.py``)."""
    from pejling.core.surveys.ingest import is_slug
    from pejling.core.surveys.page_cache import cached_survey, store_pages
    from pejling.core.surveys.page_data import InvitationUnusable, SurveyNotFound, requested_language

    requested = request.query_params.get("lang")
    accept = request.headers.get("accept-language")
    language = pick_language(requested, accept)
    if not (is_slug(kwargs["tenant_slug"]) and is_slug(kwargs["store_slug"])):
        return render_problem(language, "not_found", 404)  # no query for an address that cannot exist
    asked = requested if requested in LANGUAGES else negotiate_language(accept)  # as _load asks the page for
    try:
        found = await store_pages.page_for(
            request, kwargs["tenant_slug"], requested_language(asked, accept), lambda: _load(request, **kwargs),
            plugins=getattr(request.app.state, "plugins", None),
        )
    except SurveyNotFound:
        return render_problem(language, "not_found", 404)
    except InvitationUnusable:
        return render_problem(language, "gone", 410)
    if found is None:
        return render_problem(language, "not_found", 404)
    page, copy, order = found
    return cached_survey(request, page, response_id=str(uuid.uuid4()), started_at=_now(), nonce=new_nonce(),
                         copy=copy, order=order)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


async def survey_page(request: Request) -> Response:
    """GET ``/s/{tenant}/{store}``: the survey a QR code, NFC tag or link points at."""
    if request.query_params.get("ch") == "kiosk" and request.query_params.get("device"):
        from pejling.core.surveys.kiosk_page import to_kiosk_screen

        return to_kiosk_screen(request)  # a kiosk's page with its token: its screen is /k/<token>
    zone = request.query_params.get("zone") or None
    args = _store_page_args(request, zone)
    if is_preview(request):  # rendered afresh: the page cache keeps the shoppers' page only
        return await _page_or_problem(request, preview=True, **args)
    return await _store_page(request, **args)


def _store_page_args(request: Request, zone: str | None) -> dict[str, Any]:
    return dict(
        tenant_slug=request.path_params["tenant"],
        store_slug=request.path_params["store"],
        zone_id=zone,
        channel=request.query_params.get("ch") or "",  # kept when the tenant may use it (page_data)
        invitation_token=None,
        channel_params=dict(request.query_params),  # only the channel's url_params are kept (page_data)
    )


async def invitation_page(request: Request) -> Response:
    """GET ``/i/{token}``: the survey of a single-use invitation (email or receipt link)."""
    return await _page_or_problem(
        request,
        tenant_slug=None,
        store_slug=None,
        zone_id=None,
        channel="email",
        invitation_token=request.path_params["token"],
    )


async def kiosk_screen(request: Request) -> Response:
    """GET ``/k/{token}``: a registered kiosk's screen (:mod:`pejling.core.surveys.kiosk_page`)."""
    from pejling.core.surveys.kiosk_page import kiosk_page

    return await kiosk_page(request)

"""The survey sent as a plain HTML form: the no-JavaScript path, ``POST /s/{tenant}/{store}/form``.

With JavaScript the survey page sends its answers as JSON to the submission API; without it, the page's own form posts
here. :func:`form_submission` reads the form (URL-encoded, at most 16 KiB and 100 fields, each field once: ASVS
V15.3.7), builds the JSON submission the script would have sent (:func:`form_payload`, without reaction times) and
hands it to the one ingest path, :func:`pejling.core.surveys.page_data.ingest_response`. It answers with the
thank-you page, or with the survey again, the shopper's answers kept and what was wrong said in their language. The
portal's preview posts its form here too and is answered with the end of the preview, storing nothing.

The pages are rendered by :mod:`pejling.core.surveys.pages`; the route is mounted beside theirs in
:mod:`pejling.core.surveys.page_routes`.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from pejling.core.repeated_parameters import repeated_name
from pejling.core.surveys.channels import DEFAULT_CHANNEL
from pejling.core.surveys.pages import (
    PREVIEW_PARAM,
    portal_framer,
    render_page,
    render_problem,
    render_survey,
    render_thanks,
)
from pejling.core.surveys.submission_outcome import MAX_COMMENT_CHARS
from pejling.frontend.language import DEFAULT_LANGUAGE, LANGUAGES, messages, pick_language

_FORM_LIMIT = 16 * 1024
_FORM_FIELDS = 100


def _int_or_none(value: str | None) -> int | None | str:
    if value is None or value.strip() == "":
        return None
    try:
        return int(value)
    except ValueError:
        return value  # the ingest refuses it with a clear error


def form_payload(form: dict[str, str]) -> dict[str, Any]:
    """The contract's JSON submission built from the plain form (no reaction times without JavaScript)."""
    order = [sid for sid in form.get("order", "").split(",") if sid]
    warmups = {sid for sid in form.get("warmups", "").split(",") if sid}
    answers = []
    for position, statement_id in enumerate(order):
        value = form.get(f"s:{statement_id}")
        if value == "na":  # "doesn't apply" (the ingest accepts it only where the page offers it)
            answers.append({"statement_id": statement_id, "value": None, "not_applicable": True,
                            "position": position, "reaction_ms": None, "warmup": statement_id in warmups})
        elif value:
            answers.append(
                {
                    "statement_id": statement_id,
                    "value": _int_or_none(value),
                    "position": position,
                    "reaction_ms": None,
                    "warmup": statement_id in warmups,
                }
            )
    contact = form.get("contact") == "1"
    return {
        "id": form.get("id", ""),
        "survey_version_id": form.get("survey_version_id", ""),
        "invitation": form.get("invitation") or None,
        "zone_id": form.get("zone_id") or None,
        "channel": form.get("channel") or DEFAULT_CHANNEL,
        "channel_params": {k[3:]: v for k, v in form.items() if k.startswith("cp:")},
        "language": form.get("language") or DEFAULT_LANGUAGE,
        "started_at": form.get("started_at") or datetime.now(UTC).isoformat(),
        "submitted_at": datetime.now(UTC).isoformat(),
        "answers": answers,
        "outcome": _int_or_none(form.get("outcome")),
        "comment": (form.get("comment") or "").strip()[:MAX_COMMENT_CHARS],
        "consent": {"contact": contact, "email": (form.get("email") or "").strip() or None if contact else None},
        "client": {"viewport_width": None, "touch": None, "js": False},
    }


def _error_text(language: str, status: int, field: str | None) -> str:
    t = messages(language)
    if status == 429:
        return t["error_rate"]
    if field and field.startswith("consent"):
        return t["error_email"]
    if field and field.startswith("answers"):
        return t["error_answers"]
    return t["error_generic"]


async def form_submission(request: Request) -> Response:
    """POST ``/s/{tenant}/{store}/form``: the survey sent as a plain form; answers with the thank-you page."""
    from pejling.core.surveys.page_data import IngestRefused, ingest_response
    from pejling.core.surveys.routes import read_limited_body

    tenant_slug, store_slug = request.path_params["tenant"], request.path_params["store"]
    fallback = pick_language(None, request.headers.get("accept-language"))
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        return render_problem(fallback, "invalid", 415)
    try:
        body = await read_limited_body(request, _FORM_LIMIT)
    except IngestRefused:
        return render_problem(fallback, "invalid", 413)
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=_FORM_FIELDS)
    except ValueError:  # not UTF-8, or too many fields
        return render_problem(fallback, "invalid", 400)
    if repeated_name(pairs) is not None:  # each field once (core/repeated_parameters.py)
        return render_problem(fallback, "invalid", 400)
    form = dict(pairs)
    requested = form.get("language", "")
    language = requested if requested in LANGUAGES else fallback
    if form.get(PREVIEW_PARAM) == "1":  # the portal's preview: answered to the end, stored nowhere
        t = messages(language)
        return render_page("problem.html", language, title=t["preview_title"], body=t["preview_done"], preview=True,
                           preview_framer=portal_framer(request))
    payload = form_payload(form)
    error: tuple[int, str] | None = None
    started_at = form.get("started_at")
    if payload["consent"]["contact"] and "@" not in (payload["consent"]["email"] or ""):
        error = (422, _error_text(language, 422, "consent.email"))
    elif not payload["answers"]:
        error = (422, _error_text(language, 422, "answers"))
    else:
        client = request.client.host if request.client else ""
        try:
            result = await ingest_response(
                payload,
                tenant_slug=tenant_slug,
                store_slug=store_slug,
                client_address=client,
                user_agent=request.headers.get("user-agent", ""),
                via="form",
                settings=request.app.state.settings,
                plugins=getattr(request.app.state, "plugins", None),
            )
        except IngestRefused as refused:
            if refused.status == 404:
                return render_problem(language, "not_found", 404)
            if refused.status == 410:
                return render_problem(language, "gone", 410)
            error = (refused.status, _error_text(language, refused.status, refused.field))
            if refused.field == "started_at":  # a start time we cannot use would refuse every retry: start afresh
                started_at = None
        else:
            page = await _reload(request, tenant_slug, store_slug, payload, language, invitation=None)
            return render_thanks(language, page, result)
    page = await _reload(request, tenant_slug, store_slug, payload, language, invitation=payload["invitation"])
    if page is None:
        return render_problem(language, "not_found", 404)
    status, text = error
    order = {sid: index for index, sid in enumerate(form.get("order", "").split(","))}
    statements = sorted(page.statements, key=lambda s: order.get(s.id, len(order)))
    if dataclasses.is_dataclass(page) and not isinstance(page, type):
        page = dataclasses.replace(page, statements=statements)
    return render_survey(
        request, page, response_id=payload["id"], started_at=started_at, previous=form, error=text,
        status=status,
    )


async def _reload(
    request: Request,
    tenant_slug: str, store_slug: str, payload: dict[str, Any], language: str, *, invitation: str | None
) -> Any | None:
    """The page again (for an error re-render or the thank-you branding); None when it is gone."""
    from pejling.core.surveys.page_data import InvitationUnusable, SurveyNotFound, load_survey_page

    try:
        return await load_survey_page(
            tenant_slug=tenant_slug,
            store_slug=store_slug,
            zone_id=payload["zone_id"],
            channel=str(payload["channel"]),
            invitation_token=invitation,
            language=language,
            accept_language=None,
            channel_params=payload.get("channel_params") or None,
            plugins=getattr(request.app.state, "plugins", None),
        )
    except (SurveyNotFound, InvitationUnusable):
        return None

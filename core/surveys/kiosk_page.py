"""The kiosk screen: ``GET /k/{token}``, the survey a registered kiosk tablet shows, shopper after shopper.

The device token (given once by ``registerKiosk``) names the tablet, hence its tenant, store and zone. The screen is
the survey page (``frontend/templates/kiosk.html`` extends ``survey.html``) with ``frontend/static/kiosk.js`` and
``kiosk.css`` besides: full screen on the first tap, no language links that leave the page, no receipt code; it
starts over after the thank-you (``thanks_seconds``) or when nobody touched it for ``idle_seconds`` (the tenant's
settings of the ``kiosk`` plugin, read by :func:`kiosk_seconds`), each time with a fresh response id
and a new statement order; finished responses wait in the page's outbox while the network is away.

A retired kiosk's token (or a kiosk whose channel the tenant switched off) gets a friendly page (410), an unknown
token the "not found" page (404). The token is the path parameter ``token``, which the access log shows as
``[redacted]`` (:func:`pejling.core.logs.loggable_path`); the old page address with the token in its query
(``/s/<tenant>/<store>?ch=kiosk&device=<token>``) is sent on here (:func:`to_kiosk_screen`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pejling.core.settings import Settings
from pejling.core.surveys.channel_devices import token_digest
from pejling.core.surveys.channels import channel_registry
from pejling.core.surveys.models import ChannelDevice
from pejling.core.surveys.page_data import SurveyNotFound, SurveyPage, load_survey_page, logo_path
from pejling.core.surveys.pages import _static, render_page, render_problem, render_survey
from pejling.frontend.language import LANGUAGES, messages, pick_language
from pejling.tenants.models import Store, Tenant
from pejling.tenants.scope import all_tenants, tenant_scope

KIOSK = "kiosk"
#: Where a kiosk's screen lives: ``/k/<device token>``.
KIOSK_PATH = "/k/"
#: How long the screen waits for a shopper who walked away, and how long the thank-you stays, unless the tenant's
#: settings of the kiosk plugin say otherwise (``idle_seconds``, ``thanks_seconds``).
DEFAULT_IDLE_SECONDS = 60
DEFAULT_THANKS_SECONDS = 8
#: The texts kiosk.js shows (the queued thank-you of a shared device, the note that the screen starts over).
KIOSK_TEXTS = ("thanks_headline", "kiosk_queued_body", "kiosk_next")


async def find_kiosk(token: str, settings: Settings) -> ChannelDevice | None:
    """The kiosk whose device token this is, in whichever tenant, retired or not; ``None`` for an unknown token.

    Only the keyed hash of a token is stored and looked up (one indexed query; a token of an impossible length
    costs none)."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    with all_tenants():
        return await ChannelDevice.filter(token_hash=token_digest(settings, token), channel=KIOSK).first()


def kiosk_seconds(config: Any) -> tuple[int, int]:
    """``(idle_seconds, thanks_seconds)`` of the tenant's settings of the kiosk plugin (defaults for what it lacks)."""
    idle, thanks = getattr(config, "idle_seconds", None), getattr(config, "thanks_seconds", None)
    return (
        idle if isinstance(idle, int) and idle > 0 else DEFAULT_IDLE_SECONDS,
        thanks if isinstance(thanks, int) and thanks > 0 else DEFAULT_THANKS_SECONDS,
    )


def shuffled_ids(page: SurveyPage) -> list[str]:
    """The statements the screen shuffles anew for each shopper: the scored ones (warm-ups stay first and the
    scoring models' questions last, as on every page)."""
    return [s.id for s in page.statements if not s.warmup and s.scale == "agree"]


def to_kiosk_screen(request: Request) -> Response:
    """303 from a survey page address that carries a kiosk's token (``?ch=kiosk&device=…``) to its screen."""
    token = request.query_params.get("device", "")
    language = request.query_params.get("lang")
    query = f"?{urlencode({'lang': language})}" if language in LANGUAGES else ""
    return RedirectResponse(KIOSK_PATH + quote(token, safe="") + query, status_code=303,
                            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


def _not_in_use(language: str, tenant: Tenant, store: Store) -> Response:
    t = messages(language)
    return render_page(
        "problem.html", language, brand_colour=tenant.brand_colour, brand_name=store.name,
        logo_url=logo_path(tenant), status=410, title=t["kiosk_retired_title"], body=t["kiosk_retired_body"],
    )


async def kiosk_page(request: Request) -> Response:
    """``GET /k/{token}``: the kiosk's survey screen (200), its "no longer in use" page (410) or not found (404)."""
    requested = request.query_params.get("lang")
    accept = request.headers.get("accept-language")
    token = request.path_params["token"]
    device = await find_kiosk(token, request.app.state.settings)
    if device is None:
        return render_problem(pick_language(requested, accept), "not_found", 404)
    with all_tenants():
        tenant = await Tenant.get(id=device.tenant_id)
    with tenant_scope(tenant.id):
        store = await Store.get(id=device.store_id)  # a store's devices go with it (on delete cascade)
    if device.retired_at is not None:
        return _not_in_use(pick_language(requested, accept, store.default_language), tenant, store)
    plugins = getattr(request.app.state, "plugins", None)
    try:
        page = await load_survey_page(
            tenant_slug=tenant.slug, store_slug=store.slug,
            zone_id=str(device.zone_id) if device.zone_id is not None else None,
            channel=KIOSK, invitation_token=None, language=requested if requested in LANGUAGES else None,
            accept_language=accept, plugins=plugins, channel_params={"device": token},
        )
    except SurveyNotFound:
        return render_problem(pick_language(requested, accept, store.default_language), "not_found", 404)
    enabled = (await channel_registry(plugins).for_tenant(tenant.id)).get(KIOSK)
    if page.channel != KIOSK or enabled is None:  # the tenant switched the kiosk channel off
        return _not_in_use(page.language, tenant, store)
    idle_seconds, thanks_seconds = kiosk_seconds(enabled.config)
    t = messages(page.language)
    kiosk = {
        "idle_seconds": idle_seconds,
        "thanks_seconds": thanks_seconds,
        "shuffle": shuffled_ids(page),
        "t": {key: t[key] for key in KIOSK_TEXTS},
    }
    return render_survey(request, page, template="kiosk.html", extra={
        "language_links": [],  # a link would leave the screen (and a shopper's choice would stay for the next)
        "css": _static("survey.css") + _static("kiosk.css"),
        "kiosk_js": _static("kiosk.js"),
        "kiosk_data": kiosk,
    })

"""``GET /sso/<tenant slug>/start`` and ``GET /sso/<tenant slug>/callback``: a retailer's staff sign in with SSO.

Served at the app's root by the built-in plugin ``sso`` (:mod:`pejling.plugins.sso`). A refused login gets a short
page that says why, no session, and the state cookie cleared. A successful one ends the browser's old session,
if any, and opens a new one (a new secret, so a session planted before the login is worth nothing afterwards).
Every callback, login or refusal, is recorded in the audit log (:mod:`pejling.core.audit.recording`).
"""

from __future__ import annotations

import html
import logging

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from pejling.core import security_events
from pejling.core.audit.models import AuditKind
from pejling.core.audit.recording import Record, Subject, record, record_login_failure
from pejling.core.auth.forwarded import client_address
from pejling.core.auth.middleware import cookies_secure
from pejling.core.auth.sessions import end_session, set_session_cookies, start_session
from pejling.core.auth.sso.login import STATE_COOKIE, LoginFailed, begin_login, finish_login
from pejling.core.auth.sso.sso_settings import get_sso_settings
from pejling.core.settings import Settings
from pejling.core.surveys import rate_limit

#: Logins started, and callbacks answered, per client address and tenant (each is counted on its own).
SSO_LIMIT = rate_limit.Limit(count=30, window_seconds=600)

log = logging.getLogger(__name__)

#: Where a member lands after signing in.
PORTAL_PATH = "/portal/"
NO_STORE = {"Cache-Control": "no-store"}


def _cookie_path(slug: str) -> str:
    return f"/sso/{slug}/"


def refusal_page(request: Request, slug: str, failure: LoginFailed) -> Response:
    """The page shown when single sign-on cannot log the person in; clears the state cookie."""
    message = html.escape(failure.message)
    again = "" if failure.status == 404 else (
        f'<p><a href="/sso/{html.escape(slug)}/start">Try signing in again</a></p>'
    )
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in failed</title></head>'
        f"<body><main><h1>Sign-in failed</h1><p>{message}</p>{again}</main></body></html>"
    )
    response = HTMLResponse(body, status_code=failure.status, headers=NO_STORE)
    if failure.status != 404:
        response.delete_cookie(STATE_COOKIE, path=_cookie_path(slug), httponly=True, samesite="lax",
                               secure=cookies_secure(request.scope, request.app.state.settings))
    return response


async def _over_limit(request: Request, step: str, slug: str) -> Response | None:
    """Count one ``step`` of this address at this tenant; the 429 page when its allowance is used up."""
    settings: Settings = request.app.state.settings
    address = request.client.host if request.client else ""
    key = f"sso-{step}:{slug[:64]}:" + rate_limit.client_key(settings, address)
    retry_after = await rate_limit.limiter_for(settings).hit(key, SSO_LIMIT)
    if retry_after is None:
        return None
    security_events.refused("rate_limited", request.scope, "sso")
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Too many sign-in attempts</title></head>'
        "<body><main><h1>Too many sign-in attempts</h1><p>Wait a few minutes, then try again.</p></main></body></html>"
    )
    return HTMLResponse(body, status_code=429, headers={**NO_STORE, "Retry-After": str(retry_after)})


async def start(request: Request) -> Response:
    """Send the browser to the tenant's identity provider."""
    settings: Settings = request.app.state.settings
    slug = request.path_params["tenant"]
    if (refused := await _over_limit(request, "start", slug)) is not None:
        return refused
    try:
        started = await begin_login(settings, get_sso_settings(), slug)
    except LoginFailed as failure:
        return refusal_page(request, slug, failure)
    response = RedirectResponse(started.authorization_url, status_code=303, headers=NO_STORE)
    response.set_cookie(STATE_COOKIE, started.state, max_age=get_sso_settings().login_seconds,
                        path=_cookie_path(slug), secure=cookies_secure(request.scope, settings), httponly=True,
                        samesite="lax")
    return response


async def callback(request: Request) -> Response:
    """The identity provider sent the browser back: check its answer, log the member in, go to the portal."""
    settings: Settings = request.app.state.settings
    slug = request.path_params["tenant"]
    if (refused := await _over_limit(request, "callback", slug)) is not None:
        return refused
    params = {key: value for key, value in request.query_params.items() if key in ("state", "code", "error")}
    address = client_address(request.scope, settings.trusted_proxies)
    try:
        user, tenant = await finish_login(settings, get_sso_settings(), slug, params, request.cookies.get(STATE_COOKIE))
    except LoginFailed as failure:
        log.info("single sign-on refused for %s: %s", slug, failure.message)
        await record_login_failure(settings, operation="ssoLogin", codes=[failure.code], address=address,
                                   user_id=failure.user_id, tenant_id=failure.tenant_id)
        return refusal_page(request, slug, failure)
    await record(settings, tenant.id, Record(kind=AuditKind.CHANGE, subject=Subject.user(user.id),
                                             field_names=["ssoLogin"], address=address))
    old = request.scope.get("state", {}).get("session")
    if old is not None:
        await end_session(old.id)
    session, secret = await start_session(settings, user.id, request.headers.get("user-agent", ""), via_sso=True)
    secure = cookies_secure(request.scope, settings)
    response = RedirectResponse(PORTAL_PATH, status_code=303, headers=NO_STORE)
    set_session_cookies(response, settings, session, secret, secure=secure)
    response.delete_cookie(STATE_COOKIE, path=_cookie_path(slug), secure=secure, httponly=True, samesite="lax")
    return response


def sso_routes() -> list[BaseRoute]:
    """The two public routes of a single sign-on login."""
    return [
        Route("/sso/{tenant}/start", start, methods=["GET"]),
        Route("/sso/{tenant}/callback", callback, methods=["GET"]),
    ]

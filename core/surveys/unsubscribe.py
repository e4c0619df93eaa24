"""The unsubscribe page ``/u/<token>``: a shopper leaves a tenant's invitations with one click.

``GET`` shows the tenant's page with one button (a link checker or a mail client's preview must not unsubscribe
anyone); ``POST`` — the button, or a mail client's one-click ``List-Unsubscribe-Post`` (RFC 8058) — puts the address
on the tenant's suppression list. The token is the authority (:mod:`pejling.core.surveys.suppressions`): no login,
no cookie, no stored token; a token that is malformed or not ours gets a 404 and changes nothing.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pejling.core.settings import Settings, get_settings
from pejling.core.surveys.page_data import logo_path
from pejling.core.surveys.pages import render_page, render_problem
from pejling.core.surveys.repeated_parameter_page import repeated_parameter_problem
from pejling.core.surveys.suppressions import read_unsubscribe_token, suppress_hash
from pejling.frontend.language import messages, pick_language
from pejling.tenants.models import Tenant
from pejling.tenants.scope import all_tenants, tenant_scope


def _settings(request: Request) -> Settings:
    settings = getattr(request.app.state, "settings", None)
    return settings if isinstance(settings, Settings) else get_settings()


async def unsubscribe_page(request: Request) -> Response:
    """Ask (GET) or unsubscribe (POST) the address a link names (a query parameter given twice: 400, nothing done)."""
    refused = repeated_parameter_problem(request)
    if refused is not None:
        return refused
    language = pick_language(request.query_params.get("lang"), request.headers.get("accept-language"))
    link = read_unsubscribe_token(_settings(request), request.path_params["token"])
    if link is None:
        return render_problem(language, "not_found", 404)
    with all_tenants():
        tenant = await Tenant.get_or_none(id=link.tenant_id)
    if tenant is None:
        return render_problem(language, "not_found", 404)
    language = pick_language(request.query_params.get("lang"), request.headers.get("accept-language"),
                             tenant.default_language)
    t = messages(language)
    done = request.method == "POST"
    if done:
        with tenant_scope(tenant.id):
            await suppress_hash(link.channel, link.address_hash)
    title, body = ("unsubscribed_title", "unsubscribed_body") if done else ("unsubscribe_title", "unsubscribe_body")
    return render_page(
        "unsubscribe.html", language, brand_colour=tenant.brand_colour, brand_name=tenant.name,
        logo_url=logo_path(tenant), title=t[title], body=t[body].replace("{tenant}", tenant.name), ask=not done,
    )


#: The unsubscribe routes, added to the application in :func:`pejling.core.app.create_app`.
routes = [Route("/u/{token}", unsubscribe_page, methods=["GET", "POST"])]

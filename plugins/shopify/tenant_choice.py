"""Which Pejling business a shop is installed into, when the retailer is an owner or admin of several.

Shopify sends the retailer's browser to the install URL by a redirect, which cannot carry the ``X-Pejling-Tenant``
header. A person logged in with several memberships is then shown a small page (this module) listing the businesses
where they are an owner or admin; each is a link to the same signed install request with :data:`TENANT_PARAM` added.
The install checks that parameter against the person's memberships again (:func:`admin_tenants`); Shopify's ``hmac``
is verified over the query without it (:func:`shopify_pairs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode
from uuid import UUID

from starlette.requests import Request
from starlette.responses import HTMLResponse

from pejling.core.auth.actor import ADMIN_ROLES
from pejling.core.surveys.pages import render_page
from pejling.frontend.language import messages, pick_language
from pejling.tenants.models import Membership, Role, Tenant
from pejling.tenants.scope import all_tenants

#: The install URL's own parameter that names the chosen business (a tenant slug). Shopify does not sign it.
TENANT_PARAM = "pejling_tenant"

#: The page's texts in the four languages (the page is the retailer's, not the shopper's: its own footer too).
TEXTS: dict[str, dict[str, str]] = {
    "da": {
        "title": "Vælg virksomhed",
        "body": "Du er ejer eller administrator i flere virksomheder i Pejling. Hvilken skal butikken {shop} "
                "forbindes med?",
        "owner": "Ejer",
        "admin": "Administrator",
        "footer": "Du bliver derefter sendt til Shopify for at godkende appen.",
    },
    "nb": {
        "title": "Velg virksomhet",
        "body": "Du er eier eller administrator i flere virksomheter i Pejling. Hvilken skal butikken {shop} "
                "kobles til?",
        "owner": "Eier",
        "admin": "Administrator",
        "footer": "Deretter blir du sendt til Shopify for å godkjenne appen.",
    },
    "sv": {
        "title": "Välj företag",
        "body": "Du är ägare eller administratör i flera företag i Pejling. Vilket ska butiken {shop} kopplas till?",
        "owner": "Ägare",
        "admin": "Administratör",
        "footer": "Sedan skickas du till Shopify för att godkänna appen.",
    },
    "en": {
        "title": "Choose a business",
        "body": "You are an owner or admin of several businesses in Pejling. Which one should the shop {shop} be "
                "connected to?",
        "owner": "Owner",
        "admin": "Admin",
        "footer": "You are then sent to Shopify to approve the app.",
    },
}


@dataclass(frozen=True)
class AdminTenant:
    """A business where the person is an owner or admin."""

    tenant: Tenant
    role: Role


async def admin_tenants(user_id: UUID) -> tuple[list[AdminTenant], bool]:
    """The businesses where the user is an owner or admin, by name; and whether they belong to any at all."""
    with all_tenants():
        memberships = await Membership.filter(user_id=user_id).select_related("tenant")
    admin = [AdminTenant(m.tenant, Role(m.role)) for m in memberships if Role(m.role) in ADMIN_ROLES]
    admin.sort(key=lambda a: (a.tenant.name.casefold(), a.tenant.slug))
    return admin, bool(memberships)


def shopify_pairs(request: Request) -> list[tuple[str, str]]:
    """The query parameters Shopify sent and signed: all of them but our own :data:`TENANT_PARAM`."""
    return [(k, v) for k, v in request.query_params.multi_items() if k != TENANT_PARAM]


def choice_url(request: Request, slug: str) -> str:
    """The same install request (Shopify's parameters as they came) naming the business ``slug``."""
    return f"{request.url.path}?{urlencode([*shopify_pairs(request), (TENANT_PARAM, slug)])}"


def choice_page(request: Request, shop: str, choices: list[AdminTenant]) -> HTMLResponse:
    """The page that lists ``choices``, each a link that continues the install in that business.

    Rendered like the other server pages (:func:`pejling.core.surveys.pages.render_page`: a CSP with a fresh nonce,
    never stored), in the browser's language (``Accept-Language``: no ``?lang=``, which would not be signed).
    """
    language = pick_language(None, request.headers.get("accept-language"))
    texts = TEXTS[language] if language in TEXTS else TEXTS["en"]
    options = [{"name": c.tenant.name, "slug": c.tenant.slug, "role": texts[c.role.value],
                "href": choice_url(request, c.tenant.slug)} for c in choices]
    response = render_page(
        "shopify_tenant_choice.html", language, title=texts["title"], body=texts["body"].replace("{shop}", shop),
        options=options, t={**messages(language), "footer": texts["footer"]},
    )
    policy = response.headers["Content-Security-Policy"]
    if "object-src" not in policy:  # core's page policy may name it already: never twice
        response.headers["Content-Security-Policy"] = f"{policy}; object-src 'none'"
    return response

"""Helpers shared by the auth tests (imported as ``auth_helpers``)."""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from pejling.core.auth.password_reset import RESET_PATH
from pejling.core.settings import Settings
from pejling.tenants.models import Tenant, User
from pejling.tenants.signup import create_tenant_with_owner
from tests.conftest import unique

PASSWORD = "correct horse battery staple"


def fresh_address() -> str:
    """A client address nobody else uses, so address throttling of other tests does not interfere."""
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


async def make_owner(password: str = PASSWORD) -> tuple[Tenant, User]:
    """A new tenant and its owner with ``password``."""
    slug = unique("auth")
    return await create_tenant_with_owner(
        tenant_name=f"Shop {slug}", tenant_slug=slug, email=f"{slug}@example.com", password=password
    )


def browser(app: Any, address: str | None = None, base_url: str = "http://testserver") -> httpx.AsyncClient:
    """An HTTP client on the ASGI app, seen as coming from ``address`` (a fresh one by default)."""
    transport = httpx.ASGITransport(app=app, client=(address or fresh_address(), 40000))
    return httpx.AsyncClient(transport=transport, base_url=base_url)


LOGIN = """mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { me { email csrfToken } errors { code message field } }
}"""
ME = "{ me { email viaApiToken csrfToken memberships { role tenant { slug } } } }"


async def gql(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None, *, csrf: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST a GraphQL request; ``csrf`` goes into the X-CSRF-Token header."""
    all_headers = dict(headers or {})
    if csrf is not None:
        all_headers["X-CSRF-Token"] = csrf
    return await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=all_headers)


async def graphql_login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    """Log the client in through the login mutation; returns the CSRF token."""
    response = await gql(client, LOGIN, {"email": email, "password": password})
    payload = response.json()["data"]["login"]
    assert payload["errors"] == [], payload
    return str(payload["me"]["csrfToken"])


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """The Set-Cookie headers of a response, by cookie name."""
    return {value.split("=", 1)[0]: value for value in response.headers.get_list("set-cookie")}


def token_in(text: str, settings: Settings) -> str:
    """The reset token of the link in a mail body (checking the link points at our reset page)."""
    match = re.search(r"(https?://\S+)", text)
    assert match, text
    link = urlsplit(match.group(1))
    assert f"{link.scheme}://{link.netloc}" == settings.base_url and link.path == RESET_PATH
    assert link.query == ""  # the token is in the fragment, which browsers never send (ASVS V14.2.1)
    return parse_qs(link.fragment)["token"][0]

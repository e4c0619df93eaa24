"""Helpers shared by the auth tests (imported as ``auth_helpers``)."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from pejling.tenants.models import Tenant, User
from pejling.tenants.signup import create_tenant_with_owner

PASSWORD = "correct horse battery staple"


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


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

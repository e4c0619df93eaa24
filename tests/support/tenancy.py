"""Test helpers: tenants with members and API tokens, and a small GraphQL caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from pejling.core.auth.api_tokens import create_api_token
from pejling.tenants.models import Membership, Role, Store, Tenant, User, Zone
from pejling.tenants.scope import tenant_scope
from pejling.tenants.signup import create_tenant_with_owner
from tests.conftest import unique

PASSWORD = "correct horse battery staple"


@dataclass
class TenantFixture:
    tenant: Tenant
    owner: User
    token: str
    stores: list[Store] = field(default_factory=list)
    zones: list[Zone] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def token_for(tenant: Tenant, user: User, scopes: tuple[str, ...] = ("read", "write")) -> str:
    with tenant_scope(tenant.id):
        _, secret = await create_api_token(name="tests", scopes=scopes, created_by=user.id)
    return secret


async def member(tenant: Tenant, role: Role, store_ids: list[str] | None = None) -> User:
    email = f"{unique(role.value.replace('_', '-'))}@example.com"
    from pejling.core.auth.passwords import hash_password

    user = await User.create(email=email, password_hash=hash_password(PASSWORD))
    with tenant_scope(tenant.id):
        await Membership.create(user=user, role=role, store_ids=store_ids or [])
    return user


async def make_tenant(stores: int = 1) -> TenantFixture:
    """A tenant with an owner, an owner's read/write API token, and stores each with one zone."""
    slug = unique()
    tenant, owner = await create_tenant_with_owner(tenant_name=f"Shop {slug}", tenant_slug=slug,
                                                   email=f"{slug}@example.com", password=PASSWORD)
    fixture = TenantFixture(tenant=tenant, owner=owner, token=await token_for(tenant, owner))
    with tenant_scope(tenant.id):
        for number in range(stores):
            store = await Store.create(name=f"Store {number}", slug=f"store-{number}")
            fixture.stores.append(store)
            fixture.zones.append(await Zone.create(store=store, name="Checkout", kind="checkout"))
    return fixture


async def gql(client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None,
              headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    body = response.json()
    body["_status"] = response.status_code
    return body


@dataclass
class Walk:
    """A cross-tenant walk: ``a`` owns the data (its ids in ``ids``), ``b`` attacks it."""

    client: httpx.AsyncClient
    a: TenantFixture
    b: TenantFixture
    ids: dict[str, str]

    async def as_b(self, query: str, **variables: Any) -> dict[str, Any]:
        return await gql(self.client, query, variables, self.b.headers)

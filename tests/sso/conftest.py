"""Fixtures of the SSO tests: the local identity provider, and a tenant whose staff sign in with it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from pejling.core.auth.sso.sso_settings import get_sso_settings
from tests.sso.oidc_provider import CLIENT_ID, OidcProvider, serving_provider
from tests.support.tenancy import TenantFixture, make_tenant

OPT_INS = ("PEJLING_SSO_ALLOW_HTTP_ISSUERS", "PEJLING_SSO_ALLOW_PRIVATE_ISSUERS")


@pytest.fixture(scope="session")
def http_issuers() -> Iterator[None]:
    """Opt in to an ``http://`` issuer on the loopback (the local provider has no certificate, and its address is
    internal: both opt-ins are for tests only)."""
    before = {name: os.environ.get(name) for name in OPT_INS}
    os.environ.update(dict.fromkeys(OPT_INS, "true"))
    get_sso_settings.cache_clear()
    yield
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    get_sso_settings.cache_clear()


@pytest.fixture(scope="session")
def provider(http_issuers: None) -> Iterator[OidcProvider]:
    with serving_provider() as running:
        yield running


@pytest.fixture(autouse=True)
def fresh_provider_state(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "provider" in request.fixturenames:
        running: OidcProvider = request.getfixturevalue("provider")
        running.tamper, running.person = {}, {}


CONFIGURE = """mutation Configure($input: ConfigureSsoInput!) {
  configureSso(input: $input) {
    ssoConfiguration { issuer clientId clientSecretFingerprint allowedEmailDomains defaultRole ssoOnly loginUrl
                       redirectUri }
    errors { code field message }
  }
}"""


@dataclass
class SsoTenant:
    """A tenant with single sign-on through the local provider, for people at ``domain``."""

    fixture: TenantFixture
    domain: str

    @property
    def slug(self) -> str:
        return self.fixture.tenant.slug

    def email(self, name: str) -> str:
        return f"{name}@{self.domain}"


def sso_input(provider: OidcProvider, domain: str, **overrides: Any) -> dict[str, Any]:
    return {"issuer": provider.issuer, "clientId": CLIENT_ID, "clientSecret": provider.client_secret,
            "allowedEmailDomains": [domain], "defaultRole": "ANALYST", "ssoOnly": False, **overrides}


@pytest.fixture
async def sso_tenant(client: Any, provider: OidcProvider) -> AsyncIterator[SsoTenant]:
    fixture = await make_tenant(stores=0)
    domain = f"{fixture.tenant.slug}.example.com"
    answer = await client.post("/graphql", headers=fixture.headers,
                               json={"query": CONFIGURE, "variables": {"input": sso_input(provider, domain)}})
    payload = answer.json()["data"]["configureSso"]
    assert payload["errors"] == [], payload
    yield SsoTenant(fixture, domain)

"""Setting up single sign-on through GraphQL: owners only, checked by discovery, the client secret write-only."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pejling.core.auth.sso.configuration import SsoConfigRefused, configure_sso, secret_purpose
from pejling.core.auth.sso.models import SsoConfiguration
from pejling.core.auth.sso.sso_settings import SsoSettings
from pejling.core.secrets_at_rest import SealedSecretError, fingerprint, unseal
from pejling.core.settings import Settings
from pejling.tenants.models import Role
from pejling.tenants.scope import tenant_scope
from tests.auth.auth_helpers import browser
from tests.sso.conftest import CONFIGURE, SsoTenant, sso_input
from tests.sso.oidc_provider import OidcProvider
from tests.sso.test_sso_login import assert_refused, sign_in
from tests.support.server import free_port
from tests.support.tenancy import make_tenant, member, token_for

QUERY = """{ ssoConfiguration { issuer clientId clientSecretFingerprint allowedEmailDomains defaultRole ssoOnly
  loginUrl redirectUri updatedAt } }"""
DISABLE = "mutation { disableSso { ssoConfiguration { issuer } errors { code message } } }"


async def configure(client: httpx.AsyncClient, headers: dict[str, str], values: dict[str, Any]) -> dict[str, Any]:
    answer = await client.post("/graphql", headers=headers, json={"query": CONFIGURE, "variables": {"input": values}})
    return dict(answer.json()["data"]["configureSso"])


async def stored(tenant_id: Any) -> SsoConfiguration | None:
    with tenant_scope(tenant_id):
        return await SsoConfiguration.get_or_none()


async def test_an_owner_configures_and_reads_it_back_without_the_secret(
    client: httpx.AsyncClient, provider: OidcProvider, database: Settings
) -> None:
    shop = await make_tenant(stores=0)
    values = sso_input(provider, "Staff.Example.COM", allowedEmailDomains=["@Staff.Example.COM", "staff.example.com",
                                                                         "shops.example.org"], defaultRole="ADMIN")
    payload = await configure(client, shop.headers, values)
    assert payload["errors"] == []
    answer = await client.post("/graphql", headers=shop.headers, json={"query": QUERY})
    assert provider.client_secret not in answer.text
    read = answer.json()["data"]["ssoConfiguration"]
    assert read["issuer"] == provider.issuer and read["defaultRole"] == "ADMIN" and read["ssoOnly"] is False
    assert read["allowedEmailDomains"] == ["staff.example.com", "shops.example.org"]
    assert read["clientSecretFingerprint"] == fingerprint(provider.client_secret)
    assert read["loginUrl"] == f"{database.base_url}/sso/{shop.tenant.slug}/start"
    assert read["redirectUri"] == f"{database.base_url}/sso/{shop.tenant.slug}/callback"

    row = await stored(shop.tenant.id)
    assert row is not None and provider.client_secret not in row.client_secret_sealed
    assert row.authorization_endpoint == f"{provider.issuer}/authorize"
    purpose = secret_purpose(shop.tenant.id, row.id)
    assert unseal(row.client_secret_sealed, purpose=purpose, settings=database) == provider.client_secret
    other = await make_tenant(stores=0)
    with pytest.raises(SealedSecretError):  # copied into another tenant's row, it does not open
        unseal(row.client_secret_sealed, purpose=secret_purpose(other.tenant.id, row.id), settings=database)
    # Another tenant sees nothing of it.
    assert (await client.post("/graphql", headers=other.headers, json={"query": QUERY})).json()["data"] == {
        "ssoConfiguration": None}

    # Changing it without a secret keeps the stored one.
    again = await configure(client, shop.headers, {**values, "clientSecret": None, "ssoOnly": True})
    assert again["errors"] == [] and again["ssoConfiguration"]["ssoOnly"] is True
    assert again["ssoConfiguration"]["clientSecretFingerprint"] == fingerprint(provider.client_secret)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.ANALYST])
async def test_only_an_owner_may_see_or_change_it(
    client: httpx.AsyncClient, provider: OidcProvider, sso_tenant: SsoTenant, role: Role
) -> None:
    person = await member(sso_tenant.fixture.tenant, role)
    headers = {"Authorization": f"Bearer {await token_for(sso_tenant.fixture.tenant, person)}"}
    changed = await configure(client, headers, sso_input(provider, "elsewhere.example.org"))
    assert changed["ssoConfiguration"] is None and changed["errors"][0]["code"] == "forbidden"
    removed = (await client.post("/graphql", headers=headers, json={"query": DISABLE})).json()["data"]["disableSso"]
    assert removed["errors"][0]["code"] == "forbidden"
    read = (await client.post("/graphql", headers=headers, json={"query": QUERY})).json()
    assert read["data"] == {"ssoConfiguration": None} and read["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    row = await stored(sso_tenant.fixture.tenant.id)
    assert row is not None and row.allowed_domains == [sso_tenant.domain]


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"clientSecret": None}, "clientSecret", "client secret"),
    ({"defaultRole": "OWNER"}, "defaultRole", "admins or analysts"),
    ({"defaultRole": "STORE_MANAGER"}, "defaultRole", "admins or analysts"),
    ({"allowedEmailDomains": []}, "allowedEmailDomains", "between 1 and"),
    ({"allowedEmailDomains": ["not a domain"]}, "allowedEmailDomains", "domain name"),
    ({"clientId": " "}, "clientId", "printable"),
    ({"clientId": "client\x00id"}, "clientId", "printable"),
    ({"issuer": "ftp://idp.example.com"}, "issuer", "https URL"),
    ({"issuer": "https://[::1"}, "issuer", "https URL"),
    ({"issuer": "https://idp.example.com/\x00"}, "issuer", "https URL"),
    ({"issuer": "unreachable"}, "issuer", "could not be fetched"),
    ({"issuer": "trailing slash"}, "issuer", "another issuer"),
], ids=["no-secret", "owner", "store-manager", "no-domains", "bad-domain", "blank-client", "nul-client", "scheme",
        "malformed-host", "nul-issuer", "unreachable", "issuer-mismatch"])
async def test_a_wrong_configuration_is_a_typed_error_and_stores_nothing(
    client: httpx.AsyncClient, provider: OidcProvider, change: dict[str, Any], field: str, words: str
) -> None:
    shop = await make_tenant(stores=0)
    if change.get("issuer") == "unreachable":
        change = {"issuer": f"http://127.0.0.1:{free_port()}"}
    elif change.get("issuer") == "trailing slash":
        change = {"issuer": provider.issuer + "/"}
    payload = await configure(client, shop.headers, {**sso_input(provider, "staff.example.com"), **change})
    assert payload["ssoConfiguration"] is None
    [error] = payload["errors"]
    assert error["code"] == "invalid" and error["field"] == field and words in error["message"], error
    assert await stored(shop.tenant.id) is None


async def test_an_http_issuer_is_refused_unless_the_process_opts_in(provider: OidcProvider, database: Settings) -> None:
    shop = await make_tenant(stores=0)
    with tenant_scope(shop.tenant.id), pytest.raises(SsoConfigRefused) as refused:
        await configure_sso(database, SsoSettings(allow_http_issuers=False), issuer=provider.issuer,
                            client_id="c", client_secret="s", allowed_domains=["example.com"],
                            default_role=Role.ANALYST, sso_only=False)
    assert refused.value.field == "issuer" and "https" in refused.value.message
    assert await stored(shop.tenant.id) is None


async def test_disabling_removes_it_and_the_login_routes(
    app: Any, client: httpx.AsyncClient, sso_tenant: SsoTenant
) -> None:
    headers = sso_tenant.fixture.headers
    removed = (await client.post("/graphql", headers=headers, json={"query": DISABLE})).json()["data"]["disableSso"]
    assert removed == {"ssoConfiguration": None, "errors": []}
    assert await stored(sso_tenant.fixture.tenant.id) is None
    assert (await client.post("/graphql", headers=headers, json={"query": QUERY})).json()["data"] == {
        "ssoConfiguration": None}
    async with browser(app) as person:
        assert (await person.get(f"/sso/{sso_tenant.slug}/start")).status_code == 404
    again = (await client.post("/graphql", headers=headers, json={"query": DISABLE})).json()["data"]["disableSso"]
    assert again["errors"][0]["code"] == "not_found"


async def test_the_client_secret_never_reaches_the_logs(
    app: Any, client: httpx.AsyncClient, provider: OidcProvider, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    shop = await make_tenant(stores=0)
    domain = f"{shop.tenant.slug}.example.com"
    wrong_secret = "a-wrong-secret-" + "z" * 20
    assert (await configure(client, shop.headers, sso_input(provider, domain, clientSecret=wrong_secret)))[
        "errors"] == []
    provider.person = {"email": f"kim@{domain}", "email_verified": True}
    async with browser(app) as person:
        refused, _ = await sign_in(person, shop.tenant.slug)  # the provider does not know this secret
        assert_refused(refused, 403, "did not accept the login code")
    assert (await configure(client, shop.headers, sso_input(provider, domain)))["errors"] == []
    async with browser(app) as person:
        answer, _ = await sign_in(person, shop.tenant.slug)
        assert answer.status_code == 303
    assert caplog.records  # the run did log (httpx, the refusal), just never a secret
    for secret in (provider.client_secret, wrong_secret):
        assert secret not in caplog.text


async def test_the_sso_plugin_cannot_be_switched_off_for_a_tenant(
    app: Any, client: httpx.AsyncClient, sso_tenant: SsoTenant
) -> None:
    query = 'mutation { disablePlugin(name: "sso") { errors { code message } } }'
    answer = await client.post("/graphql", headers=sso_tenant.fixture.headers, json={"query": query})
    [error] = answer.json()["data"]["disablePlugin"]["errors"]
    assert error["code"] == "conflict" and "configureSso" in error["message"]
    async with browser(app) as person:
        assert (await person.get(f"/sso/{sso_tenant.slug}/start")).status_code == 303


async def test_an_issuer_at_an_internal_address_is_refused_unless_the_process_opts_in(
    provider: OidcProvider, database: Settings
) -> None:
    """The issuer is a URL a tenant types: the server must not be made to call its own network (SSRF)."""
    shop = await make_tenant(stores=0)
    with tenant_scope(shop.tenant.id), pytest.raises(SsoConfigRefused) as refused:
        await configure_sso(database, SsoSettings(allow_http_issuers=True, allow_private_issuers=False),
                            issuer=provider.issuer, client_id="c", client_secret="s", allowed_domains=["example.com"],
                            default_role=Role.ANALYST, sso_only=False)
    assert refused.value.field == "issuer" and "internal address" in refused.value.message
    assert await stored(shop.tenant.id) is None


async def test_an_issuer_off_the_operators_list_is_refused_even_with_the_opt_ins(
    provider: OidcProvider, database: Settings, outbound_hosts: Callable[[str], None]
) -> None:
    """PEJLING_OUTBOUND_ALLOWED_HOSTS binds above the tests' opt-ins: an issuer whose host is not on it is never
    called, and nothing is stored."""
    outbound_hosts("login.microsoftonline.com,*.okta.com")
    shop = await make_tenant(stores=0)
    with tenant_scope(shop.tenant.id), pytest.raises(SsoConfigRefused) as refused:
        await configure_sso(database, SsoSettings(allow_http_issuers=True, allow_private_issuers=True),
                            issuer=provider.issuer, client_id="c", client_secret="s", allowed_domains=["example.com"],
                            default_role=Role.ANALYST, sso_only=False)
    assert refused.value.field == "issuer" and "may not call 127.0.0.1" in refused.value.message
    assert await stored(shop.tenant.id) is None

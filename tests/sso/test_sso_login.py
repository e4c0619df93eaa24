"""Single sign-on logins end to end: our app, the browser (an httpx client) and the local identity provider."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc.jwk import RSAKey

from pejling.core.auth.models import Session
from pejling.core.auth.sessions import SESSION_COOKIE
from pejling.core.auth.sso.login import NO_PASSWORD, STATE_COOKIE
from pejling.core.auth.sso.models import SsoLoginAttempt
from pejling.tenants.models import Membership, Role, User
from pejling.tenants.scope import tenant_scope
from tests.auth.auth_helpers import ME, browser, gql, graphql_login
from tests.sso.conftest import SsoTenant
from tests.sso.oidc_provider import CLIENT_ID, OidcProvider
from tests.support.tenancy import PASSWORD


async def start(client: httpx.AsyncClient, slug: str) -> str:
    """Start a login; returns the identity provider's authorisation URL the browser is sent to."""
    started = await client.get(f"/sso/{slug}/start")
    assert started.status_code == 303, started.text
    return started.headers["location"]


async def at_provider(authorization_url: str) -> str:
    """The browser at the identity provider, which consents at once: the path and query of our callback."""
    async with httpx.AsyncClient() as idp:
        answer = await idp.get(authorization_url)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    return f"{back.path}?{back.query}"


async def sign_in(client: httpx.AsyncClient, slug: str) -> tuple[httpx.Response, str]:
    """A whole login; returns our callback's answer and the callback path it was given."""
    callback = await at_provider(await start(client, slug))
    return await client.get(callback), callback


def assert_refused(answer: httpx.Response, status: int, words: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert words in answer.text
    assert not any(c.startswith(f"{SESSION_COOKIE}=") for c in answer.headers.get_list("set-cookie"))


async def test_a_first_login_makes_a_member_with_the_default_role_and_a_working_session(
    app: Any, provider: OidcProvider, sso_tenant: SsoTenant
) -> None:
    email = sso_tenant.email("ada")
    provider.person = {"email": email.upper(), "email_verified": True, "name": "Ada Lovelace"}
    async with browser(app) as client:
        authorization_url = await start(client, sso_tenant.slug)
        query = parse_qs(urlsplit(authorization_url).query)
        assert authorization_url.startswith(f"{provider.issuer}/authorize?")
        assert query["code_challenge_method"] == ["S256"] and query["client_id"] == [CLIENT_ID]
        assert query["response_type"] == ["code"] and "openid" in query["scope"][0].split()
        assert query["redirect_uri"] == [f"http://127.0.0.1:8000/sso/{sso_tenant.slug}/callback"]
        assert query["nonce"] and query["state"] and query["code_challenge"]
        assert client.cookies[STATE_COOKIE] == query["state"][0]

        answer = await client.get(await at_provider(authorization_url))
        assert answer.status_code == 303 and answer.headers["location"] == "/portal/"
        assert STATE_COOKIE not in client.cookies
        me = (await gql(client, ME)).json()["data"]["me"]
    assert me["email"] == email and me["viaApiToken"] is False
    assert me["memberships"] == [{"role": "ANALYST", "tenant": {"slug": sso_tenant.slug}}]
    user = await User.get(email=email)
    assert user.name == "Ada Lovelace" and user.last_login_at is not None
    with tenant_scope(sso_tenant.fixture.tenant.id):
        assert not await SsoLoginAttempt.filter().exists()  # the pending login is used up

    # The next login finds the same account and membership.
    async with browser(app) as client:
        again, _ = await sign_in(client, sso_tenant.slug)
        assert again.status_code == 303
    with tenant_scope(sso_tenant.fixture.tenant.id):
        assert await Membership.filter(user_id=user.id).count() == 1


async def test_an_existing_member_keeps_their_role(app: Any, provider: OidcProvider, sso_tenant: SsoTenant) -> None:
    admin = await User.create(email=sso_tenant.email("admin"), password_hash=NO_PASSWORD)
    with tenant_scope(sso_tenant.fixture.tenant.id):
        await Membership.create(user=admin, role=Role.ADMIN, store_ids=[])
    provider.person = {"email": admin.email, "email_verified": True}
    async with browser(app) as client:
        answer, _ = await sign_in(client, sso_tenant.slug)
        assert answer.status_code == 303
        me = (await gql(client, ME)).json()["data"]["me"]
    assert me["memberships"] == [{"role": "ADMIN", "tenant": {"slug": sso_tenant.slug}}]


async def test_a_member_of_another_tenant_is_not_signed_in_by_this_tenants_provider(
    app: Any, provider: OidcProvider, sso_tenant: SsoTenant
) -> None:
    from tests.support.tenancy import make_tenant

    other = await make_tenant(stores=0)
    victim = await User.create(email=sso_tenant.email("victim"), password_hash=NO_PASSWORD)
    with tenant_scope(other.tenant.id):
        await Membership.create(user=victim, role=Role.OWNER, store_ids=[])
    provider.person = {"email": victim.email, "email_verified": True}
    async with browser(app) as client:
        answer, _ = await sign_in(client, sso_tenant.slug)
        assert_refused(answer, 403, "also belongs to another organisation")
        assert (await gql(client, ME)).json()["data"]["me"] is None
    with tenant_scope(sso_tenant.fixture.tenant.id):
        assert not await Membership.filter(user_id=victim.id).exists()
    assert not await Session.filter(user_id=victim.id).exists()


async def test_an_owner_outside_the_allowed_domains_is_refused_and_keeps_their_session(
    app: Any, provider: OidcProvider, sso_tenant: SsoTenant
) -> None:
    owner = sso_tenant.fixture.owner  # <slug>@example.com, not in <slug>.example.com
    provider.person = {"email": owner.email, "email_verified": True}
    async with browser(app) as client:
        await graphql_login(client, owner.email)
        planted = client.cookies[SESSION_COOKIE]
        before = await Session.filter(user_id=owner.id).count()
        answer, _ = await sign_in(client, sso_tenant.slug)
        assert_refused(answer, 403, "not in a domain")
        assert client.cookies[SESSION_COOKIE] == planted
        assert await Session.filter(user_id=owner.id).count() == before


async def test_signing_in_over_a_planted_session_replaces_it(
    app: Any, provider: OidcProvider, sso_tenant: SsoTenant
) -> None:
    attacker = sso_tenant.fixture.owner
    provider.person = {"email": sso_tenant.email("grace"), "email_verified": True}
    async with browser(app) as client:
        await graphql_login(client, attacker.email)
        planted = client.cookies[SESSION_COOKIE]
        planted_sessions = await Session.filter(user_id=attacker.id).count()
        answer, _ = await sign_in(client, sso_tenant.slug)
        assert answer.status_code == 303
        assert client.cookies[SESSION_COOKIE] != planted
        assert await Session.filter(user_id=attacker.id).count() == planted_sessions - 1
        me = (await gql(client, ME)).json()["data"]["me"]
    assert me["email"] == sso_tenant.email("grace")


OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "signing-1"})


@pytest.mark.parametrize(("tamper", "status", "words"), [
    ({"signing_key": OTHER_KEY}, 403, "signature does not verify"),
    ({"unsigned": True}, 403, "signature does not verify"),
    ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, 403, "has expired"),
    ({"nonce": "a-nonce-of-another-login"}, 403, "not valid for this login (nonce)"),
    ({"nonce": None}, 403, "not valid for this login (nonce)"),
    ({"aud": "another-client"}, 403, "not valid for this login (aud)"),
    ({"iss": "https://impostor.example.net"}, 403, "not valid for this login (iss)"),
    ({"email_verified": False}, 403, "not verified your email"),
    ({"email": "mallory@elsewhere.example.org"}, 403, "not in a domain"),
    ({"sub": None}, 403, "not valid for this login (sub)"),
], ids=["forged", "alg-none", "expired", "wrong-nonce", "no-nonce", "wrong-audience", "wrong-issuer", "unverified",
        "domain", "no-subject"])
async def test_a_wrong_id_token_is_refused_with_a_clear_page_and_no_session(
    app: Any, provider: OidcProvider, sso_tenant: SsoTenant, tamper: dict[str, Any], status: int, words: str
) -> None:
    email = sso_tenant.email("eve")
    provider.person = {"email": email, "email_verified": True}
    provider.tamper = tamper
    async with browser(app) as client:
        answer, _ = await sign_in(client, sso_tenant.slug)
        assert_refused(answer, status, words)
        assert STATE_COOKIE not in client.cookies
        assert (await gql(client, ME)).json()["data"]["me"] is None
    assert not await User.filter(email__in=[email, "mallory@elsewhere.example.org"]).exists()


async def test_a_state_works_once_and_only_in_the_browser_that_started_it(
    app: Any, provider: OidcProvider, sso_tenant: SsoTenant
) -> None:
    provider.person = {"email": sso_tenant.email("lin"), "email_verified": True}
    async with browser(app) as client:
        answer, callback = await sign_in(client, sso_tenant.slug)
        assert answer.status_code == 303
        user = await User.get(email=sso_tenant.email("lin"))
        sessions = await Session.filter(user_id=user.id).count()
    async with browser(app) as replaying:
        state = parse_qs(urlsplit(callback).query)["state"][0]
        replaying.cookies.set(STATE_COOKIE, state, path=f"/sso/{sso_tenant.slug}/")
        replayed = await replaying.get(callback)
        assert_refused(replayed, 400, "already used or has expired")
    async with browser(app) as other:  # a callback link carried into another browser (login CSRF)
        callback = await at_provider(await start(other, sso_tenant.slug))
        other.cookies.clear()
        assert_refused(await other.get(callback), 400, "not started in this browser")
    assert await Session.filter(user_id=user.id).count() == sessions


async def test_unknown_tenant_and_tenant_without_sso_answer_alike(app: Any, sso_tenant: SsoTenant) -> None:
    from tests.support.tenancy import make_tenant

    plain = await make_tenant(stores=0)
    async with browser(app) as client:
        unknown = await client.get("/sso/no-such-tenant-here/start")
        without = await client.get(f"/sso/{plain.tenant.slug}/start")
    assert unknown.status_code == without.status_code == 404
    assert unknown.text == without.text


async def test_an_account_stays_bound_to_the_person_at_the_provider(
    app: Any, provider: OidcProvider, sso_tenant: SsoTenant
) -> None:
    from pejling.core.auth.sso.models import SsoIdentity

    old, new = sso_tenant.email("kim"), sso_tenant.email("kim.berg")
    provider.person = {"email": old, "email_verified": True, "sub": "employee-17"}
    async with browser(app) as client:
        assert (await sign_in(client, sso_tenant.slug))[0].status_code == 303
    kim = await User.get(email=old)
    with tenant_scope(sso_tenant.fixture.tenant.id):
        assert await SsoIdentity.filter(user_id=kim.id, subject="employee-17").count() == 1

    # Kim's address changes at the provider: still Kim's account, not a new one.
    provider.person = {"email": new, "email_verified": True, "sub": "employee-17"}
    async with browser(app) as client:
        assert (await sign_in(client, sso_tenant.slug))[0].status_code == 303
        assert (await gql(client, ME)).json()["data"]["me"]["email"] == old
    assert not await User.filter(email=new).exists()

    # The provider gives Kim's old address to someone else: they do not get Kim's account.
    sessions = await Session.filter(user_id=kim.id).count()
    provider.person = {"email": old, "email_verified": True, "sub": "employee-99"}
    async with browser(app) as client:
        answer, _ = await sign_in(client, sso_tenant.slug)
        assert_refused(answer, 403, "another person")
    assert await Session.filter(user_id=kim.id).count() == sessions
    with tenant_scope(sso_tenant.fixture.tenant.id):
        assert not await SsoIdentity.filter(subject="employee-99").exists()


async def test_starting_logins_is_rate_limited_per_address_and_tenant_and_starts_nothing_over_it(
    app: Any, provider: OidcProvider, sso_tenant: SsoTenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pejling.core.auth.sso import routes
    from pejling.core.surveys import rate_limit

    monkeypatch.setattr(rate_limit, "_limiters", {})
    monkeypatch.setattr(routes, "SSO_LIMIT", rate_limit.Limit(count=3, window_seconds=600))
    provider.person = {"email": sso_tenant.email("rita"), "email_verified": True, "name": "Rita"}
    async with browser(app) as client:
        started = [await start(client, sso_tenant.slug) for _ in range(3)]
        with tenant_scope(sso_tenant.fixture.tenant.id):
            attempts = await SsoLoginAttempt.all().count()
        refused = await client.get(f"/sso/{sso_tenant.slug}/start")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        assert "Too many sign-in attempts" in refused.text and "location" not in refused.headers
        with tenant_scope(sso_tenant.fixture.tenant.id):
            assert await SsoLoginAttempt.all().count() == attempts
        # The callbacks have an allowance of their own: the login started last still finishes.
        answer = await client.get(await at_provider(started[-1]))
        assert answer.status_code == 303, answer.text
    # Another address (here: another tenant's key) is not held back by this one's starts.
    async with browser(app) as other:
        assert (await other.get("/sso/no-such-tenant-here/start")).status_code == 404


SSO_ONLY = """mutation { configureSso(input: {issuer: "%s", clientId: "%s", allowedEmailDomains: ["%s"],
  ssoOnly: %s}) { ssoConfiguration { ssoOnly } errors { code } } }"""
LOGIN = """mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { me { email } errors { code message } }
}"""


async def test_sso_only_refuses_password_logins_of_members_but_not_of_owners(
    app: Any, client: httpx.AsyncClient, provider: OidcProvider, sso_tenant: SsoTenant
) -> None:
    from tests.support.tenancy import member

    analyst = await member(sso_tenant.fixture.tenant, Role.ANALYST)

    async def set_sso_only(value: str) -> None:
        query = SSO_ONLY % (provider.issuer, CLIENT_ID, sso_tenant.domain, value)
        answer = await client.post("/graphql", json={"query": query}, headers=sso_tenant.fixture.headers)
        assert answer.json()["data"]["configureSso"]["errors"] == []

    async def password_login(email: str, password: str = PASSWORD) -> dict[str, Any]:
        async with browser(app) as person:
            answer = await gql(person, LOGIN, {"email": email, "password": password})
            assert (SESSION_COOKIE in person.cookies) == (answer.json()["data"]["login"]["me"] is not None)
            return dict(answer.json()["data"]["login"])

    assert (await password_login(analyst.email))["errors"] == []
    await set_sso_only("true")
    refused = await password_login(analyst.email)
    assert refused["me"] is None and refused["errors"][0]["code"] == "sso_required"
    assert "single sign-on" in refused["errors"][0]["message"]
    wrong = await password_login(analyst.email, "not the password at all")
    assert wrong["errors"][0]["code"] == "invalid_credentials"  # nobody learns about SSO without the password
    assert (await password_login(sso_tenant.fixture.owner.email))["errors"] == []  # the break-glass way in
    await set_sso_only("false")
    assert (await password_login(analyst.email))["errors"] == []


async def test_a_provider_taken_off_the_operators_list_is_not_called_at_login(
    app: Any, provider: OidcProvider, sso_tenant: SsoTenant, outbound_hosts: Callable[[str], None]
) -> None:
    """Configured while its host was allowed, then taken off PEJLING_OUTBOUND_ALLOWED_HOSTS: the login's calls to the
    provider (token, keys) are refused, with a clear page and no session."""
    provider.person = {"email": sso_tenant.email("ada"), "email_verified": True}
    async with browser(app) as client:
        authorization_url = await start(client, sso_tenant.slug)
        outbound_hosts("login.microsoftonline.com")
        answer = await client.get(await at_provider(authorization_url))
    assert_refused(answer, 403, "may not call 127.0.0.1")

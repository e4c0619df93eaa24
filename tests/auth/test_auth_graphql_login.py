from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from auth_helpers import LOGIN, ME, PASSWORD, browser, fresh_address, gql, graphql_login, make_owner, set_cookies

from pejling.core.auth.models import Session
from pejling.core.auth.sessions import SECURE_SESSION_COOKIE, SESSION_COOKIE
from pejling.core.settings import Settings


async def test_login_sets_a_strict_session_cookie_and_me_answers(app: Any) -> None:
    tenant, owner = await make_owner()
    async with browser(app) as client:
        response = await gql(client, LOGIN, {"email": owner.email, "password": PASSWORD})
        payload = response.json()["data"]["login"]
        assert payload["errors"] == [] and payload["me"]["email"] == owner.email
        cookies = set_cookies(response)
        session = cookies[SESSION_COOKIE].lower()
        assert "httponly" in session and "samesite=lax" in session and "path=/" in session
        assert "secure" not in session  # plain http
        csrf_cookie = cookies["csrf_token"].lower()
        assert "httponly" not in csrf_cookie and "samesite=lax" in csrf_cookie
        assert client.cookies["csrf_token"] == payload["me"]["csrfToken"]
        me = (await gql(client, ME)).json()["data"]["me"]
        assert me["email"] == owner.email and me["viaApiToken"] is False
        assert me["memberships"] == [{"role": "OWNER", "tenant": {"slug": tenant.slug}}]
        assert me["csrfToken"] == payload["me"]["csrfToken"]
    # The database holds only the digest of the cookie value.
    secret = client.cookies.get(SESSION_COOKIE)
    assert secret and not await Session.filter(token_hash=secret).exists()


async def test_wrong_password_and_unknown_email_answer_alike_and_set_no_cookie(app: Any) -> None:
    _, owner = await make_owner()
    async with browser(app) as client:
        wrong = await gql(client, LOGIN, {"email": owner.email, "password": "not my password"})
        unknown = await gql(client, LOGIN, {"email": "nobody-" + owner.email, "password": PASSWORD})
        assert wrong.json() == unknown.json()
        assert wrong.json()["data"]["login"] == {
            "me": None,
            "errors": [{"code": "invalid_credentials", "message": "Wrong email or password.", "field": None}],
        }
        assert "set-cookie" not in wrong.headers and "set-cookie" not in unknown.headers
        assert (await gql(client, ME)).json()["data"]["me"] is None


async def test_graphql_login_is_throttled_with_a_clear_message(app: Any, database: Settings) -> None:
    _, owner = await make_owner()
    async with browser(app) as client:
        for _ in range(database.login_max_failures):
            failed = await gql(client, LOGIN, {"email": owner.email, "password": "wrong password"})
            assert failed.json()["data"]["login"]["errors"][0]["code"] == "invalid_credentials"
        paused = await gql(client, LOGIN, {"email": owner.email, "password": PASSWORD})
        [error] = paused.json()["data"]["login"]["errors"]
        assert error["code"] == "throttled"
        seconds = int(paused.headers["retry-after"])
        assert error["message"] == f"Too many attempts, try again in {seconds} s."
        assert "set-cookie" not in paused.headers


async def test_cookies_are_host_prefixed_and_secure_over_https(app: Any) -> None:
    _, owner = await make_owner()
    async with browser(app, base_url="https://testserver") as client:
        response = await gql(client, LOGIN, {"email": owner.email, "password": PASSWORD})
        cookies = set_cookies(response)
        assert SESSION_COOKIE not in cookies and "csrf_token" not in cookies
        for name in (SECURE_SESSION_COOKIE, "__Host-csrf_token"):
            flags = [flag.strip() for flag in cookies[name].lower().split(";")]
            # What a browser demands of a __Host- cookie: Secure, Path=/, no Domain.
            assert "secure" in flags and "path=/" in flags
            assert not any(flag.startswith("domain") for flag in flags)
        csrf = response.json()["data"]["login"]["me"]["csrfToken"]
        assert client.cookies["__Host-csrf_token"] == csrf
        me = await gql(client, "mutation { logout { ok } }", csrf=csrf)
        assert me.json()["data"]["logout"] == {"ok": True}
        cleared = set_cookies(me)
        assert 'max-age=0' in cleared[SECURE_SESSION_COOKIE].lower()


async def test_over_https_a_plain_named_session_cookie_is_not_read(app: Any) -> None:
    """A cookie without the prefix could have been set by a sibling host or over plain HTTP: over HTTPS it is
    ignored, even when it holds a live session."""
    _, owner = await make_owner()
    async with browser(app) as plain:
        await graphql_login(plain, owner.email)
        secret = plain.cookies[SESSION_COOKIE]
    async with browser(app, base_url="https://testserver") as client:
        client.cookies.set(SESSION_COOKIE, secret)
        assert (await gql(client, ME)).json()["data"]["me"] is None
        client.cookies.delete(SESSION_COOKIE)
        client.cookies.set(SECURE_SESSION_COOKIE, secret)
        assert (await gql(client, ME)).json()["data"]["me"]["email"] == owner.email


@pytest.fixture(scope="module")
async def proxied_app(database: Settings) -> AsyncIterator[Any]:
    from pejling.core.app import create_app

    application = create_app(database.model_copy(update={"trusted_proxies": ["10.99.0.0/16"]}), manage_database=False)
    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=60) as manager:
        yield manager.app


async def test_forwarded_proto_is_believed_only_from_trusted_proxies(proxied_app: Any) -> None:
    _, owner = await make_owner()
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": fresh_address()}
    async with browser(proxied_app, address="10.99.1.1") as client:
        response = await gql(client, LOGIN, {"email": owner.email, "password": PASSWORD}, headers=https)
        assert "secure" in set_cookies(response)[SECURE_SESSION_COOKIE].lower()
    async with browser(proxied_app, address="192.0.2.10") as client:  # not a trusted proxy
        response = await gql(client, LOGIN, {"email": owner.email, "password": PASSWORD}, headers=https)
        assert "secure" not in set_cookies(response)[SESSION_COOKIE].lower()


async def test_logout_ends_the_session_on_the_server(app: Any) -> None:
    _, owner = await make_owner()
    async with browser(app) as client:
        csrf = await graphql_login(client, owner.email)
        stolen = client.cookies[SESSION_COOKIE]
        response = await gql(client, "mutation { logout { ok errors { code } } }", csrf=csrf)
        assert response.json()["data"]["logout"] == {"ok": True, "errors": []}
        cleared = set_cookies(response)[SESSION_COOKIE].lower()
        assert 'pejling_session="";' in cleared or "max-age=0" in cleared
        assert (await gql(client, ME)).json()["data"]["me"] is None
    assert not await Session.filter(user_id=owner.id).exists()
    async with browser(app) as replay:
        replay.cookies.set(SESSION_COOKIE, stolen)
        assert (await gql(replay, ME)).json()["data"]["me"] is None

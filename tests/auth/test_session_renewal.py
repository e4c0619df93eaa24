"""A password login always starts a new session and ends the browser's old one (ASVS V7.2.4), and a deactivated
account's session cookie stops working at once (V7.4.2)."""

from __future__ import annotations

from typing import Any

from auth_helpers import LOGIN, ME, PASSWORD, browser, gql, graphql_login, make_owner

from pejling.core.auth.models import Session
from pejling.core.auth.sessions import SESSION_COOKIE
from pejling.tenants.models import User


async def test_a_password_login_replaces_the_session_the_browser_had(app: Any) -> None:
    _, planted_owner = await make_owner()
    _, owner = await make_owner()
    async with browser(app) as client:
        csrf = await graphql_login(client, planted_owner.email)  # e.g. a cookie an attacker planted
        planted = client.cookies[SESSION_COOKIE]
        response = await gql(client, LOGIN, {"email": owner.email, "password": PASSWORD}, csrf=csrf)
        assert response.json()["data"]["login"]["errors"] == []
        fresh = client.cookies[SESSION_COOKIE]
        assert fresh and fresh != planted
        assert (await gql(client, ME)).json()["data"]["me"]["email"] == owner.email
    assert not await Session.filter(user_id=planted_owner.id).exists()
    async with browser(app) as replay:
        replay.cookies.set(SESSION_COOKIE, planted)
        assert (await gql(replay, ME)).json()["data"]["me"] is None
    # the same person logging in again gets a new session too
    async with browser(app) as client:
        csrf = await graphql_login(client, owner.email)
        first = client.cookies[SESSION_COOKIE]
        await gql(client, LOGIN, {"email": owner.email, "password": PASSWORD}, csrf=csrf)
        assert client.cookies[SESSION_COOKIE] != first
    async with browser(app) as replay:
        replay.cookies.set(SESSION_COOKIE, first)
        assert (await gql(replay, ME)).json()["data"]["me"] is None


async def test_the_session_cookie_of_a_deactivated_account_stops_working(app: Any) -> None:
    _, owner = await make_owner()
    async with browser(app) as client:
        await graphql_login(client, owner.email)
        assert (await gql(client, ME)).json()["data"]["me"]["email"] == owner.email
        await User.filter(id=owner.id).update(is_active=False)
        assert (await gql(client, ME)).json()["data"]["me"] is None

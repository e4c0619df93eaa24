from __future__ import annotations

from typing import Any

from auth_helpers import ME, PASSWORD, browser, gql, graphql_login, make_owner, token_in

from pejling.core.auth.models import Session
from pejling.core.settings import Settings
from tests.support.smtp import SmtpSink

REQUEST = "mutation($email: String!) { requestPasswordReset(email: $email) { ok errors { code } } }"
RESET = """mutation($token: String!, $password: String!) {
  resetPassword(token: $token, newPassword: $password) { ok errors { code field message } }
}"""
CHANGE = """mutation($current: String!, $new: String!) {
  changePassword(currentPassword: $current, newPassword: $new) { ok errors { code field } }
}"""
NEW_PASSWORD = "a brand new passphrase"


async def test_reset_flow_through_graphql(smtp_app: Any, smtp_server: SmtpSink, smtp_settings: Settings) -> None:
    _, owner = await make_owner()
    async with browser(smtp_app) as old_browser:
        await graphql_login(old_browser, owner.email)
        async with browser(smtp_app) as client:
            known = (await gql(client, REQUEST, {"email": owner.email})).json()
            unknown = (await gql(client, REQUEST, {"email": "nobody-" + owner.email})).json()
            assert known == unknown and known["data"] == {"requestPasswordReset": {"ok": True, "errors": []}}
            [mail] = await smtp_server.wait_for(owner.email)
            assert smtp_server.to("nobody-" + owner.email) == []
            token = token_in(mail.get_body().get_content(), smtp_settings)

            weak = (await gql(client, RESET, {"token": token, "password": "short"})).json()["data"]["resetPassword"]
            assert weak["ok"] is False and weak["errors"][0]["field"] == "newPassword"
            done = (await gql(client, RESET, {"token": token, "password": NEW_PASSWORD})).json()["data"]
            assert done["resetPassword"] == {"ok": True, "errors": []}
            again = (await gql(client, RESET, {"token": token, "password": NEW_PASSWORD + "!"})).json()["data"]
            assert again["resetPassword"]["ok"] is False and again["resetPassword"]["errors"][0]["field"] == "token"
        # The browser logged in before the reset is logged out.
        assert (await gql(old_browser, ME)).json()["data"]["me"] is None
    assert not await Session.filter(user_id=owner.id).exists()
    async with browser(smtp_app) as client:
        await graphql_login(client, owner.email, NEW_PASSWORD)


async def test_change_password_through_graphql(app: Any) -> None:
    _, owner = await make_owner()
    async with browser(app) as other:
        await graphql_login(other, owner.email)
        async with browser(app) as client:
            csrf = await graphql_login(client, owner.email)
            wrong = await gql(client, CHANGE, {"current": "not the password", "new": NEW_PASSWORD}, csrf=csrf)
            assert wrong.json()["data"]["changePassword"]["errors"] == [{"code": "invalid", "field": "currentPassword"}]
            done = await gql(client, CHANGE, {"current": PASSWORD, "new": NEW_PASSWORD}, csrf=csrf)
            assert done.json()["data"]["changePassword"] == {"ok": True, "errors": []}
            assert (await gql(client, ME)).json()["data"]["me"]["email"] == owner.email
        assert (await gql(other, ME)).json()["data"]["me"] is None
    async with browser(app) as anonymous_client:
        anonymous = await gql(anonymous_client, CHANGE, {"current": PASSWORD, "new": NEW_PASSWORD})
    assert anonymous.json()["data"]["changePassword"]["errors"][0]["code"] == "unauthenticated"

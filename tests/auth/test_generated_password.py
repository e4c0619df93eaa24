"""A password the system generated (``pejling create-tenant`` without ``--password``) is random, must be changed at the
first login and stops working after 72 hours (ASVS V6.4.1): through the real command and the public API."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from auth_helpers import PASSWORD, browser, gql, graphql_login, make_owner, token_in
from test_two_step_login import COMPLETE, CONFIRM, START, code_at, current_step, enrol

from pejling.core.auth.generated_passwords import EXPIRED_MESSAGE, LIFETIME, expiry
from pejling.core.auth.sessions import SESSION_COOKIE, start_session
from pejling.core.settings import Settings
from pejling.graphql.password_change_rule import MESSAGE
from pejling.tenants.models import Membership, Tenant, User
from pejling.tenants.scope import all_tenants
from pejling.tenants.signup import create_tenant_with_owner
from tests.conftest import unique
from tests.support.cli import pejling
from tests.support.smtp import SmtpSink

LOGIN = """mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    me { email csrfToken passwordChangeRequired } secondFactor { challenge } errors { code message field }
  }
}"""
ME = "{ me { email passwordChangeRequired } }"
TENANT = "{ tenant { name } }"
RENAME = """mutation Rename($name: String!) {
  updateTenant(input: {name: $name}) { tenant { name } errors { code } }
}"""
CHANGE = """mutation Change($current: String!, $new: String!) {
  changePassword(currentPassword: $current, newPassword: $new) { ok errors { code field message } }
}"""
REQUEST = "mutation($email: String!) { requestPasswordReset(email: $email) { ok } }"
RESET = """mutation($token: String!, $password: String!) {
  resetPassword(token: $token, newPassword: $password) { ok errors { code field } }
}"""
OWN_PASSWORD = "sunlit harbour quietly 42 maps"


def _codes(body: dict[str, Any]) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in body.get("errors", [])]


async def _created_by_the_command(database: Settings, tmp_path: Path, *options: str) -> tuple[User, str, str]:
    """``pejling create-tenant`` (the real command): the owner, what the command printed, and the password it
    printed ('' when none)."""
    slug = unique("given")
    code, out, err = await pejling(database, tmp_path, "create-tenant", "--name", f"Shop {slug}", "--slug", slug,
                                   "--owner-email", f"{slug}@example.com", *options)
    assert code == 0, err
    printed = re.search(r"^Owner password: (\S+)$", out, re.MULTILINE)
    return await User.get(email=f"{slug}@example.com"), out, printed.group(1) if printed else ""


async def _generated_owner() -> tuple[Tenant, User, str]:
    """A tenant whose owner has a generated password (as the command makes it), and that password."""
    slug = unique("given")
    password = "Gk3v-generated-9QxLmP2aTz"
    tenant, owner = await create_tenant_with_owner(tenant_name=f"Shop {slug}", tenant_slug=slug,
                                                   email=f"{slug}@example.com", password=password,
                                                   password_generated=True)
    return tenant, owner, password


async def test_the_command_marks_a_generated_password_and_not_a_typed_one(database: Settings, tmp_path: Path) -> None:
    before = datetime.now(UTC)
    owner, out, password = await _created_by_the_command(database, tmp_path)
    after = datetime.now(UTC)
    assert len(password) >= 22  # secrets.token_urlsafe(16): 128 random bits
    assert "must be changed at the first login" in out and "72 hours" in out
    assert owner.generated_password_expires_at is not None
    assert before + LIFETIME <= owner.generated_password_expires_at <= after + LIFETIME
    assert LIFETIME == timedelta(hours=72)

    typed, out, printed = await _created_by_the_command(database, tmp_path, "--password", "long enough pass words")
    assert printed == "" and "first login" not in out
    assert typed.generated_password_expires_at is None


async def test_a_generated_password_opens_a_session_that_can_only_change_it(
    app: Any, database: Settings, tmp_path: Path
) -> None:
    owner, _, password = await _created_by_the_command(database, tmp_path)
    with all_tenants():
        tenant = await Tenant.get(id=(await Membership.get(user_id=owner.id)).tenant_id)
    async with browser(app) as laptop:
        logged_in = (await gql(laptop, LOGIN, {"email": owner.email, "password": password})).json()["data"]["login"]
        assert logged_in["errors"] == [] and logged_in["me"]["passwordChangeRequired"] is True
        csrf = logged_in["me"]["csrfToken"]

        # Everything but who they are, changing the password and logging out is refused whole, before it runs.
        read = (await gql(laptop, TENANT)).json()
        assert read["data"] is None and _codes(read) == ["PASSWORD_CHANGE_REQUIRED"]
        assert read["errors"][0]["message"] == MESSAGE
        danish = (await gql(laptop, TENANT, headers={"Accept-Language": "da"})).json()
        assert _codes(danish) == ["PASSWORD_CHANGE_REQUIRED"] and danish["errors"][0]["message"] != MESSAGE
        renamed = (await gql(laptop, RENAME, {"name": "Renamed"}, csrf=csrf)).json()
        assert renamed["data"] is None and _codes(renamed) == ["PASSWORD_CHANGE_REQUIRED"]
        assert _codes((await gql(laptop, "{ me { email } tenant { name } }")).json()) == ["PASSWORD_CHANGE_REQUIRED"]
        with all_tenants():
            assert (await Tenant.get(id=tenant.id)).name == tenant.name
        download = await laptop.get("/api/audit-log.csv", params={"tenant": tenant.slug})
        assert download.status_code == 403 and download.json()["error"] == "password_change_required"
        plugin = await laptop.get("/plugins/vipps/payments/order-1")
        assert plugin.status_code == 403 and plugin.json()["error"] == "password_change_required"
        assert (await gql(laptop, ME)).json()["data"]["me"] == {"email": owner.email, "passwordChangeRequired": True}

        # The new password must be another one, and the given one must be known.
        same = (await gql(laptop, CHANGE, {"current": password, "new": password}, csrf=csrf)).json()
        assert [(e["code"], e["field"]) for e in same["data"]["changePassword"]["errors"]] == [
            ("invalid", "newPassword")]
        wrong = (await gql(laptop, CHANGE, {"current": "not it at all", "new": OWN_PASSWORD}, csrf=csrf)).json()
        assert [e["field"] for e in wrong["data"]["changePassword"]["errors"]] == ["currentPassword"]
        changed = (await gql(laptop, CHANGE, {"current": password, "new": OWN_PASSWORD}, csrf=csrf)).json()
        assert changed["data"]["changePassword"] == {"ok": True, "errors": []}

        # The mark is gone: the same session now works in full.
        assert (await gql(laptop, ME)).json()["data"]["me"]["passwordChangeRequired"] is False
        assert (await gql(laptop, TENANT)).json()["data"]["tenant"] == {"name": tenant.name}
        assert (await laptop.get("/api/audit-log.csv", params={"tenant": tenant.slug})).status_code == 200
    assert (await User.get(id=owner.id)).generated_password_expires_at is None
    async with browser(app) as other:
        old = (await gql(other, LOGIN, {"email": owner.email, "password": password})).json()["data"]["login"]
        assert [e["code"] for e in old["errors"]] == ["invalid_credentials"]
        await graphql_login(other, owner.email, OWN_PASSWORD)


async def test_an_expired_generated_password_no_longer_logs_in_and_a_reset_clears_it(
    smtp_app: Any, smtp_server: SmtpSink, smtp_settings: Settings
) -> None:
    tenant, owner, password = await _generated_owner()
    async with browser(smtp_app) as laptop:  # logged in while the password was still valid
        logged_in = (await gql(laptop, LOGIN, {"email": owner.email, "password": password})).json()["data"]["login"]
        csrf = logged_in["me"]["csrfToken"]
        await User.filter(id=owner.id).update(generated_password_expires_at=datetime.now(UTC) - timedelta(seconds=1))

        async with browser(smtp_app) as other:
            refused = await gql(other, LOGIN, {"email": owner.email, "password": password})
            assert refused.json()["data"]["login"] == {"me": None, "secondFactor": None, "errors": [
                {"code": "password_expired", "message": EXPIRED_MESSAGE, "field": None}]}
            assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")
            # Without the password nobody learns that it was a generated one.
            guess = (await gql(other, LOGIN, {"email": owner.email, "password": "a wrong guess"})).json()
            assert [e["code"] for e in guess["data"]["login"]["errors"]] == ["invalid_credentials"]

        # The session opened before cannot turn the expired password into a lasting one either.
        late = (await gql(laptop, CHANGE, {"current": password, "new": OWN_PASSWORD}, csrf=csrf)).json()
        assert [(e["code"], e["field"]) for e in late["data"]["changePassword"]["errors"]] == [
            ("password_expired", "currentPassword")]
        assert _codes((await gql(laptop, TENANT)).json()) == ["PASSWORD_CHANGE_REQUIRED"]

    # A password reset by email still works, and the password it sets is the person's own.
    async with browser(smtp_app) as client:
        assert (await gql(client, REQUEST, {"email": owner.email})).json()["data"]["requestPasswordReset"]["ok"]
        [mail] = await smtp_server.wait_for(owner.email)
        token = token_in(mail.get_body().get_content(), smtp_settings)
        done = (await gql(client, RESET, {"token": token, "password": OWN_PASSWORD})).json()["data"]["resetPassword"]
        assert done == {"ok": True, "errors": []}
    assert (await User.get(id=owner.id)).generated_password_expires_at is None
    async with browser(smtp_app) as client:
        logged_in = (await gql(client, LOGIN, {"email": owner.email, "password": OWN_PASSWORD})).json()["data"]
        assert logged_in["login"]["me"]["passwordChangeRequired"] is False
        assert (await gql(client, TENANT)).json()["data"]["tenant"] == {"name": tenant.name}


async def test_after_a_two_step_code_the_session_is_held_back_all_the_same(app: Any) -> None:
    _, owner = await make_owner()
    async with browser(app) as laptop:
        secret, _, _ = await enrol(laptop, await graphql_login(laptop, owner.email))
    # As if the password had been generated (a fresh owner has no authenticator, but the rule must not depend on it).
    await User.filter(id=owner.id).update(generated_password_expires_at=expiry())
    async with browser(app) as laptop:
        first = (await gql(laptop, LOGIN, {"email": owner.email, "password": PASSWORD})).json()["data"]["login"]
        assert first["me"] is None and first["secondFactor"] is not None
        completed = (await gql(laptop, COMPLETE.replace("csrfToken", "csrfToken passwordChangeRequired"), {
            "challenge": first["secondFactor"]["challenge"], "code": code_at(secret, current_step())})).json()
        me = completed["data"]["completeLogin"]["me"]
        assert me["passwordChangeRequired"] is True, completed
        assert _codes((await gql(laptop, TENANT)).json()) == ["PASSWORD_CHANGE_REQUIRED"]
        changed = (await gql(laptop, CHANGE, {"current": PASSWORD, "new": OWN_PASSWORD}, csrf=me["csrfToken"])).json()
        assert changed["data"]["changePassword"]["ok"] is True
        assert "errors" not in (await gql(laptop, TENANT)).json()


async def test_the_own_password_comes_before_the_tenants_two_step_rule(app: Any) -> None:
    tenant, owner, password = await _generated_owner()
    with all_tenants():
        await Tenant.filter(id=tenant.id).update(require_two_step=True)
    async with browser(app) as laptop:
        csrf = (await gql(laptop, LOGIN, {"email": owner.email, "password": password})).json()["data"]["login"][
            "me"]["csrfToken"]
        # First the password: enrolment waits (both rules at once would leave nothing open).
        assert _codes((await gql(laptop, TENANT)).json()) == ["PASSWORD_CHANGE_REQUIRED"]
        enrolling = (await gql(laptop, START, {"password": password}, csrf=csrf)).json()
        assert _codes(enrolling) == ["PASSWORD_CHANGE_REQUIRED"]
        changed = (await gql(laptop, CHANGE, {"current": password, "new": OWN_PASSWORD}, csrf=csrf)).json()
        assert changed["data"]["changePassword"] == {"ok": True, "errors": []}

        # Then the tenant's rule: only enrolment, which now opens.
        assert _codes((await gql(laptop, TENANT)).json()) == ["TWO_STEP_REQUIRED"]
        started = (await gql(laptop, START, {"password": OWN_PASSWORD}, csrf=csrf)).json()["data"]["startTotpEnrolment"]
        assert started["errors"] == []
        secret = parse_qs(urlsplit(started["enrolment"]["uri"]).query)["secret"][0]
        confirmed = (await gql(laptop, CONFIRM, {"code": code_at(secret, current_step())}, csrf=csrf)).json()
        assert confirmed["data"]["confirmTotpEnrolment"]["errors"] == []
        assert (await gql(laptop, TENANT)).json()["data"]["tenant"] == {"name": tenant.name}


async def test_single_sign_on_sessions_are_not_held_back(app: Any, database: Settings) -> None:
    tenant, owner, _ = await _generated_owner()
    _, secret = await start_session(database, owner.id, via_sso=True)
    async with browser(app) as laptop:
        laptop.cookies.set(SESSION_COOKIE, secret)
        assert (await gql(laptop, ME)).json()["data"]["me"] == {"email": owner.email, "passwordChangeRequired": False}
        assert (await gql(laptop, TENANT)).json()["data"]["tenant"] == {"name": tenant.name}

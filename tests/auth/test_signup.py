"""Sign-up through GraphQL: one answer for every address, a mailed link, every attempt counted per client address."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from auth_helpers import ME, PASSWORD, browser, fresh_address, gql, graphql_login, make_owner, set_cookies

from pejling.core.auth.passwords import verify_password
from pejling.core.auth.sessions import SESSION_COOKIE
from pejling.core.settings import Settings
from pejling.tenants.models import Membership, PendingSignup, Tenant, User
from pejling.tenants.scope import all_tenants
from pejling.tenants.signup import CONFIRM_PATH, MAX_SIGNUP_MAILS
from tests.conftest import unique
from tests.support.smtp import SmtpSink

SIGNUP = """mutation($input: SignupInput!) { signup(input: $input) { ok errors { code field message } } }"""
CONFIRM = """mutation($token: String!, $password: String, $name: String) {
  confirmSignup(token: $token, password: $password, name: $name) {
    me { email memberships { role tenant { slug } } } tenant { slug name } errors { code field message } } }"""
NEW_PASSWORD = "a fresh and long passphrase"


def _input(slug: str, email: str, **extra: str) -> dict[str, Any]:
    return {"input": {"tenantName": f"Shop {slug}", "tenantSlug": slug, "email": email, **extra}}


def link_token(mail: EmailMessage, settings: Settings) -> str:
    """The token of the confirm link in a sign-up mail (checking the link points at our confirm page)."""
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    match = re.search(r"(https?://\S+)", text)
    assert match, text
    link = urlsplit(match.group(1))
    assert f"{link.scheme}://{link.netloc}" == settings.base_url.rstrip("/") and link.path == CONFIRM_PATH
    assert link.query == ""  # the token is in the fragment, which browsers never send (ASVS V14.2.1)
    return parse_qs(link.fragment)["token"][0]


async def test_a_taken_and_a_fresh_address_get_the_same_answer(smtp_app: Any, smtp_server: SmtpSink,
                                                               smtp_settings: Settings) -> None:
    _, owner = await make_owner()
    fresh = f"{unique('fresh')}@example.com"
    async with browser(smtp_app) as client:
        taken = await gql(client, SIGNUP, _input(unique("s"), owner.email.upper()))
        new = await gql(client, SIGNUP, _input(unique("s"), fresh))
        assert taken.status_code == new.status_code == 200
        assert taken.json() == new.json() and new.json()["data"] == {"signup": {"ok": True, "errors": []}}
        # Nobody is logged in by a sign-up request, in either case.
        assert SESSION_COOKIE not in set_cookies(taken) and SESSION_COOKIE not in set_cookies(new)
        assert (await gql(client, ME)).json()["data"]["me"] is None
    [to_owner] = await smtp_server.wait_for(owner.email)
    [to_fresh] = await smtp_server.wait_for(fresh)
    assert to_owner["Subject"] == to_fresh["Subject"]
    owner_text = to_owner.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "You already have a Pejling account" in owner_text and "log in" in owner_text
    assert "choose your password" in to_fresh.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert link_token(to_owner, smtp_settings) != link_token(to_fresh, smtp_settings)
    # Nothing exists before a link is opened; the owner's account is untouched.
    assert not await User.exists(email=fresh)
    with all_tenants():
        assert await Membership.filter(user_id=owner.id).count() == 1
    unchanged = await User.get(id=owner.id)
    assert unchanged.password_hash == owner.password_hash and verify_password(unchanged.password_hash, PASSWORD)


async def test_the_link_creates_the_business_and_logs_the_new_owner_in(smtp_app: Any, smtp_server: SmtpSink,
                                                                       smtp_settings: Settings) -> None:
    slug, email = unique("s"), f"{unique('new')}@example.com"
    async with browser(smtp_app) as client:
        asked = await gql(client, SIGNUP, _input(slug, email, name="Ida", language="da"))
        assert asked.json()["data"]["signup"]["ok"] is True
        token = link_token((await smtp_server.wait_for(email))[0], smtp_settings)
        with all_tenants():
            assert not await Tenant.exists(slug=slug)

        weak = (await gql(client, CONFIRM, {"token": token, "password": "short"})).json()["data"]["confirmSignup"]
        assert weak["me"] is None and [(e["code"], e["field"]) for e in weak["errors"]] == [("invalid", "password")]
        assert not await User.exists(email=email)

        done = await gql(client, CONFIRM, {"token": token, "password": NEW_PASSWORD})
        payload = done.json()["data"]["confirmSignup"]
        assert payload["errors"] == [] and payload["tenant"] == {"slug": slug, "name": f"Shop {slug}"}
        assert payload["me"]["memberships"] == [{"role": "OWNER", "tenant": {"slug": slug}}]
        assert SESSION_COOKIE in set_cookies(done)
        me = (await gql(client, ME)).json()["data"]["me"]
        assert me["email"] == email
    user = await User.get(email=email)
    assert user.name == "Ida" and verify_password(user.password_hash, NEW_PASSWORD)
    with all_tenants():
        assert (await Tenant.get(slug=slug)).default_language == "da"
    async with browser(smtp_app) as other:
        again = (await gql(other, CONFIRM, {"token": token, "password": NEW_PASSWORD})).json()["data"]
        assert [e["code"] for e in again["confirmSignup"]["errors"]] == ["invalid_token"]
        await graphql_login(other, email, NEW_PASSWORD)


async def test_wrong_used_and_expired_links_get_one_answer(smtp_app: Any, smtp_server: SmtpSink,
                                                           smtp_settings: Settings) -> None:
    emails = [f"{unique('x')}@example.com" for _ in range(2)]
    async with browser(smtp_app) as client:
        tokens = []
        for email in emails:
            await gql(client, SIGNUP, _input(unique("s"), email))
            tokens.append(link_token((await smtp_server.wait_for(email))[0], smtp_settings))
        used, expired = tokens
        assert (await gql(client, CONFIRM, {"token": used, "password": NEW_PASSWORD})).json()["data"][
            "confirmSignup"]["errors"] == []
        client.cookies.clear()
        await PendingSignup.filter(email=emails[1]).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        answers = [(await gql(client, CONFIRM, {"token": t, "password": NEW_PASSWORD})).json()["data"]["confirmSignup"]
                   for t in (used, expired, "not-a-token", "")]
    assert len({str(a) for a in answers}) == 1
    assert [(e["code"], e["field"]) for e in answers[0]["errors"]] == [("invalid_token", "token")]
    assert not await User.exists(email=emails[1])


async def test_an_existing_account_adds_the_business_only_when_logged_in(smtp_app: Any, smtp_server: SmtpSink,
                                                                         smtp_settings: Settings) -> None:
    first_tenant, owner = await make_owner()
    slug = unique("second")
    async with browser(smtp_app) as client:
        await gql(client, SIGNUP, _input(slug, owner.email))
        token = link_token((await smtp_server.wait_for(owner.email))[0], smtp_settings)
        anonymous = (await gql(client, CONFIRM, {"token": token, "password": "an attacker's new password"})).json()
        assert [e["code"] for e in anonymous["data"]["confirmSignup"]["errors"]] == ["login_required"]
        _, someone_else = await make_owner()
        csrf = await graphql_login(client, someone_else.email)
        wrong = (await gql(client, CONFIRM, {"token": token}, csrf=csrf)).json()["data"]["confirmSignup"]
        assert [e["code"] for e in wrong["errors"]] == ["wrong_account"]
        with all_tenants():
            assert not await Tenant.exists(slug=slug)

        client.cookies.clear()
        csrf = await graphql_login(client, owner.email)
        done = (await gql(client, CONFIRM, {"token": token}, csrf=csrf)).json()["data"]["confirmSignup"]
        assert done["errors"] == [] and done["tenant"]["slug"] == slug
        assert {m["tenant"]["slug"] for m in done["me"]["memberships"]} == {first_tenant.slug, slug}
        # Two memberships: without the header only tenant-scoped fields ask for a tenant; `me` lists both.
        both = (await gql(client, "{ me { memberships { tenant { slug } } } tenant { slug } }")).json()
        assert {m["tenant"]["slug"] for m in both["data"]["me"]["memberships"]} == {first_tenant.slug, slug}
        assert [e["extensions"]["code"] for e in both["errors"]] == ["TENANT_REQUIRED"]
        chosen = (await gql(client, "{ tenant { slug } }", headers={"X-Pejling-Tenant": slug})).json()
        assert chosen["data"]["tenant"]["slug"] == slug
    assert verify_password((await User.get(id=owner.id)).password_hash, PASSWORD)


async def test_a_taken_slug_is_unavailable_whatever_the_address(app: Any) -> None:
    tenant, owner = await make_owner()
    async with browser(app) as client:
        answers = [(await gql(client, SIGNUP, _input(tenant.slug, email))).json()["data"]["signup"]
                   for email in (owner.email, f"{unique('f')}@example.com")]
    assert answers[0] == answers[1]
    assert answers[0]["ok"] is False
    assert [(e["code"], e["field"]) for e in answers[0]["errors"]] == [("invalid", "tenantSlug")]
    assert "not available" in answers[0]["errors"][0]["message"]


async def test_a_slug_taken_after_the_mail_becomes_the_next_free_one(smtp_app: Any, smtp_server: SmtpSink,
                                                                     smtp_settings: Settings) -> None:
    slug, email = unique("race"), f"{unique('r')}@example.com"
    async with browser(smtp_app) as client:
        await gql(client, SIGNUP, _input(slug, email))
        token = link_token((await smtp_server.wait_for(email))[0], smtp_settings)
        await Tenant.create(name="Quicker", slug=slug)
        done = (await gql(client, CONFIRM, {"token": token, "password": NEW_PASSWORD})).json()["data"]
    assert done["confirmSignup"]["tenant"]["slug"] == f"{slug}-2"


async def test_refused_attempts_count_against_the_address(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from pejling.core.auth import throttle

    monkeypatch.setattr(throttle, "SIGNUPS_PER_ADDRESS", 3)
    address = fresh_address()
    async with browser(app, address=address) as client:
        for bad in ("Not A Slug", "-bad-", "also bad!"):
            refused = (await gql(client, SIGNUP, _input(bad, f"{unique('t')}@example.com"))).json()["data"]["signup"]
            assert refused["errors"][0]["field"] == "tenantSlug"
        good = _input(unique("s"), f"{unique('t')}@example.com")
        paused = await gql(client, SIGNUP, good)
        [error] = paused.json()["data"]["signup"]["errors"]
        assert error["code"] == "throttled" and error["message"].startswith("Too many attempts, try again in")
        assert int(paused.headers["retry-after"]) > 0
    # Another address is not affected.
    async with browser(app) as other:
        assert (await gql(other, SIGNUP, good)).json()["data"]["signup"] == {"ok": True, "errors": []}


async def test_one_address_gets_a_few_signup_mails_at_most(smtp_app: Any, smtp_server: SmtpSink) -> None:
    email = f"{unique('bomb')}@example.com"
    for _ in range(MAX_SIGNUP_MAILS + 2):
        async with browser(smtp_app) as client:  # a new client address each time: only the mail cap applies
            answer = (await gql(client, SIGNUP, _input(unique("s"), email))).json()["data"]["signup"]
            assert answer == {"ok": True, "errors": []}
    await smtp_server.wait_for(email, MAX_SIGNUP_MAILS)
    assert await PendingSignup.filter(email=email).count() == MAX_SIGNUP_MAILS
    # Only the newest link works: a new request replaces the older ones.
    assert await PendingSignup.filter(email=email, used_at=None).count() == 1

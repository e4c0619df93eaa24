"""People join a tenant only by accepting an invitation mailed to them; inviting reveals nothing about the address."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from asgi_lifespan import LifespanManager

from pejling.core.auth.passwords import verify_password
from pejling.core.settings import Settings
from pejling.graphql.relay_ids import encode_id
from pejling.graphql.schema import build_schema
from pejling.tenants.invitations import ACCEPT_PATH, MAX_INVITATIONS_PER_ADDRESS
from pejling.tenants.models import Invitation, Membership, Role, User
from pejling.tenants.scope import all_tenants, tenant_scope
from tests.conftest import unique
from tests.support.smtp import SmtpSink, smtp_server  # noqa: F401 - the fixture is used by name
from tests.support.tenancy import PASSWORD, TenantFixture, make_tenant, member, token_for

INVITE = """mutation($email: String!, $role: Role!, $stores: [ID!]) {
  inviteMember(email: $email, role: $role, storeIds: $stores) {
    invitation { id email role status expiresAt stores { name } } errors { code field message } } }"""
ACCEPT = """mutation($token: String!, $password: String, $name: String) {
  acceptInvitation(token: $token, password: $password, name: $name) {
    me { email memberships { role tenant { slug } } } tenant { slug } role errors { code field message } } }"""
LOGIN = """mutation($email: String!, $password: String!) { login(email: $email, password: $password) {
  me { csrfToken } errors { code } } }"""
NEW_PASSWORD = "a long and fresh passphrase"


@pytest.fixture(scope="session")
def invite_settings(database: Settings, smtp_server: SmtpSink) -> Settings:  # noqa: F811
    return database.model_copy(update={"smtp_url": smtp_server.url, "base_url": "https://pejling.test"})


@pytest.fixture(scope="session")
async def invite_app(invite_settings: Settings) -> AsyncIterator[Any]:
    from pejling.core.app import create_app

    application = create_app(invite_settings, manage_database=False)
    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=60) as manager:
        yield manager.app


def browser(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def call(client: httpx.AsyncClient, query: str, headers: dict[str, str] | None = None,
               **variables: Any) -> dict[str, Any]:
    reply = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers or {})
    body: dict[str, Any] = reply.json()
    return body


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    """Log the browser in; returns the header a cookie mutation needs."""
    body = await call(client, LOGIN, email=email, password=password)
    assert body["data"]["login"]["errors"] == [], body
    return {"X-CSRF-Token": body["data"]["login"]["me"]["csrfToken"]}


def body_of(mail: EmailMessage) -> str:
    return str(mail.get_body(("plain",)).get_content())  # type: ignore[union-attr]


def token_of(mail: EmailMessage) -> str:
    match = re.search(r"(https?://\S+)", body_of(mail))
    assert match, body_of(mail)
    link = urlsplit(match.group(1))
    assert f"{link.scheme}://{link.netloc}" == "https://pejling.test" and link.path == ACCEPT_PATH
    assert link.query == ""  # the token is in the fragment, which browsers never send (ASVS V14.2.1)
    return parse_qs(link.fragment)["token"][0]


async def invite(client: httpx.AsyncClient, shop: TenantFixture, email: str, role: str = "ANALYST",
                 stores: list[str] | None = None) -> dict[str, Any]:
    body = await call(client, INVITE, shop.headers, email=email, role=role, stores=stores)
    payload: dict[str, Any] = body["data"]["inviteMember"]
    return payload


async def test_inviting_someone_of_another_tenant_reveals_and_changes_nothing(invite_app: Any,
                                                                             smtp_server: SmtpSink) -> None:  # noqa: F811
    a, b = await make_tenant(), await make_tenant()
    await User.filter(id=b.owner.id).update(name="Private Person")
    fresh = f"{unique('fresh')}@example.com"
    async with browser(invite_app) as client:
        existing = await invite(client, a, b.owner.email.upper())
        new = await invite(client, a, fresh)
        # The same answer for an address with an account elsewhere and a fresh one: email, role, expiry only.
        for payload, email in ((existing, b.owner.email), (new, fresh)):
            assert payload["errors"] == []
            invitation = payload["invitation"]
            assert (invitation["email"], invitation["role"], invitation["status"]) == (email, "ANALYST", "PENDING")
            expires = datetime.fromisoformat(invitation["expiresAt"])
            assert timedelta(days=6, hours=23) < expires - datetime.now(UTC) <= timedelta(days=7)
        assert set(existing["invitation"]) == set(new["invitation"])
        assert "Private Person" not in str(existing)
        # B's owner is not a member of A, and still works in B without naming it.
        with tenant_scope(a.tenant.id):
            assert not await Membership.exists(user_id=b.owner.id)
        with all_tenants():
            assert await Membership.filter(user_id=b.owner.id).count() == 1
        await login(client, b.owner.email)
        assert (await call(client, "{ tenant { slug } }"))["data"]["tenant"]["slug"] == b.tenant.slug
    # The two mails say the same, but for the address and the link.
    [to_existing] = await smtp_server.wait_for(b.owner.email)
    [to_fresh] = await smtp_server.wait_for(fresh)

    def neutral(mail: EmailMessage, email: str) -> str:
        return body_of(mail).replace(email, "<address>").replace(token_of(mail), "<token>")

    assert neutral(to_existing, b.owner.email) == neutral(to_fresh, fresh)
    assert a.tenant.name in to_existing["Subject"]


async def test_the_schema_has_no_add_member_and_invitations_name_nobody() -> None:
    schema = build_schema()._schema
    assert "addMember" not in schema.mutation_type.fields
    assert set(schema.type_map["Invitation"].fields) == {"id", "email", "role", "createdAt", "expiresAt",
                                                          "acceptedAt", "revokedAt", "status", "stores"}


async def test_an_existing_account_accepts_only_logged_in_and_then_chooses_its_tenant(
        invite_app: Any, smtp_server: SmtpSink) -> None:  # noqa: F811
    a, b = await make_tenant(), await make_tenant()
    async with browser(invite_app) as client:
        await invite(client, a, b.owner.email, "STORE_MANAGER", [encode_id("Store", a.stores[0].id)])
        token = token_of((await smtp_server.wait_for(b.owner.email))[0])
        anonymous = (await call(client, ACCEPT, token=token, password="someone else's pick 123"))["data"]
        assert [e["code"] for e in anonymous["acceptInvitation"]["errors"]] == ["login_required"]
        outsider = await member(b.tenant, Role.ANALYST)
        csrf = await login(client, outsider.email)
        wrong = (await call(client, ACCEPT, csrf, token=token))["data"]["acceptInvitation"]
        assert [e["code"] for e in wrong["errors"]] == ["wrong_account"]
        with tenant_scope(a.tenant.id):
            assert not await Membership.exists(user_id=b.owner.id)

        client.cookies.clear()
        csrf = await login(client, b.owner.email)
        done = (await call(client, ACCEPT, csrf, token=token))["data"]["acceptInvitation"]
        assert done["errors"] == [] and done["tenant"] == {"slug": a.tenant.slug} and done["role"] == "STORE_MANAGER"
        assert {m["tenant"]["slug"] for m in done["me"]["memberships"]} == {a.tenant.slug, b.tenant.slug}
        # Two tenants now: `me` still answers and lists both; tenant-scoped fields ask for the header.
        both = await call(client, "{ me { email memberships { tenant { slug } } } tenant { slug } }")
        assert both["data"]["me"]["email"] == b.owner.email
        assert both["data"]["tenant"] is None
        assert [e["extensions"]["code"] for e in both["errors"]] == ["TENANT_REQUIRED"]
        stores = await call(client, "{ stores { edges { node { name } } } }")
        assert [e["extensions"]["code"] for e in stores["errors"]] == ["TENANT_REQUIRED"]
        in_a = await call(client, "{ stores { edges { node { name } } } }", {"X-Pejling-Tenant": a.tenant.slug})
        assert [e["node"]["name"] for e in in_a["data"]["stores"]["edges"]] == ["Store 0"]
        in_b = await call(client, "{ tenant { slug } }", {"X-Pejling-Tenant": b.tenant.slug})
        assert in_b["data"]["tenant"]["slug"] == b.tenant.slug
    assert verify_password((await User.get(id=b.owner.id)).password_hash, PASSWORD)


async def test_a_new_person_chooses_a_password_and_is_logged_in(invite_app: Any, smtp_server: SmtpSink) -> None:  # noqa: F811
    shop = await make_tenant(stores=2)
    email = f"{unique('new')}@example.com"
    async with browser(invite_app) as client:
        sent = await invite(client, shop, email, "STORE_MANAGER", [encode_id("Store", shop.stores[1].id)])
        assert sent["invitation"]["stores"] == [{"name": "Store 1"}]
        token = token_of((await smtp_server.wait_for(email))[0])
        assert not await User.exists(email=email)
        weak = (await call(client, ACCEPT, token=token, password="short"))["data"]["acceptInvitation"]
        assert [(e["code"], e["field"]) for e in weak["errors"]] == [("invalid", "password")]
        done = (await call(client, ACCEPT, token=token, password=NEW_PASSWORD, name="Kari"))["data"]
        assert done["acceptInvitation"]["errors"] == []
        assert done["acceptInvitation"]["me"]["memberships"] == [{"role": "STORE_MANAGER",
                                                                   "tenant": {"slug": shop.tenant.slug}}]
        # Logged in at once, in the only tenant, seeing only the invited store.
        listed = await call(client, "{ stores { edges { node { name } } } }")
        assert [e["node"]["name"] for e in listed["data"]["stores"]["edges"]] == ["Store 1"]
    user = await User.get(email=email)
    assert user.name == "Kari" and verify_password(user.password_hash, NEW_PASSWORD)


async def test_wrong_used_revoked_and_expired_tokens_get_one_code(invite_app: Any, smtp_server: SmtpSink) -> None:  # noqa: F811
    shop = await make_tenant()
    emails = [f"{unique('i')}@example.com" for _ in range(4)]
    async with browser(invite_app) as client:
        ids, tokens = [], []
        for email in emails:
            ids.append((await invite(client, shop, email))["invitation"]["id"])
            tokens.append(token_of((await smtp_server.wait_for(email))[0]))
        used, revoked, expired, replaced = tokens
        assert (await call(client, ACCEPT, token=used, password=NEW_PASSWORD))["data"]["acceptInvitation"][
            "errors"] == []
        client.cookies.clear()
        revoke = await call(client, "mutation($id: ID!) { revokeInvitation(id: $id) { invitation { status } "
                            "errors { code } } }", shop.headers, id=ids[1])
        assert revoke["data"]["revokeInvitation"] == {"invitation": {"status": "REVOKED"}, "errors": []}
        with tenant_scope(shop.tenant.id):
            await Invitation.filter(email=emails[2]).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        await invite(client, shop, emails[3])  # a new invitation replaces the pending one
        answers = [(await call(client, ACCEPT, token=t, password=NEW_PASSWORD))["data"]["acceptInvitation"]
                   for t in (used, revoked, expired, replaced, "made-up", "")]
    assert len({str(a) for a in answers}) == 1
    assert [(e["code"], e["field"]) for e in answers[0]["errors"]] == [("invalid_token", "token")]
    for email in emails[1:]:
        assert not await User.exists(email=email)


async def test_listing_revoking_and_the_rules_of_inviting(invite_app: Any) -> None:
    shop = await make_tenant(stores=1)
    admin = await member(shop.tenant, Role.ADMIN)
    admin_headers = {"Authorization": f"Bearer {await token_for(shop.tenant, admin)}"}
    analyst = await member(shop.tenant, Role.ANALYST)
    analyst_headers = {"Authorization": f"Bearer {await token_for(shop.tenant, analyst)}"}
    email = f"{unique('l')}@example.com"
    async with browser(invite_app) as client:
        sent = await invite(client, shop, email)
        listed = await call(client, "{ invitations { edges { node { id email status } } } }", shop.headers)
        assert {"id": sent["invitation"]["id"], "email": email, "status": "PENDING"} in [
            e["node"] for e in listed["data"]["invitations"]["edges"]]
        node = await call(client, "query($id: ID!) { node(id: $id) { ... on Invitation { email } } }",
                          analyst_headers, id=sent["invitation"]["id"])
        assert node["data"]["node"] is None
        forbidden = await call(client, "{ invitations { edges { node { id } } } }", analyst_headers)
        assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        refused = await call(client, INVITE, analyst_headers, email=email, role="ANALYST")
        assert [e["code"] for e in refused["data"]["inviteMember"]["errors"]] == ["forbidden"]
        owner_by_admin = await call(client, INVITE, admin_headers, email=email, role="OWNER")
        assert [(e["code"], e["field"]) for e in owner_by_admin["data"]["inviteMember"]["errors"]] == [
            ("forbidden", "role")]
        no_store = await invite(client, shop, email, "STORE_MANAGER")
        assert [(e["code"], e["field"]) for e in no_store["errors"]] == [("invalid", "storeIds")]
        already = await invite(client, shop, analyst.email)
        assert [(e["code"], e["field"]) for e in already["errors"]] == [("conflict", "email")]
        bad = await invite(client, shop, "not an address")
        assert [(e["code"], e["field"]) for e in bad["errors"]] == [("invalid", "email")]

        revoke = "mutation($id: ID!) { revokeInvitation(id: $id) { invitation { status } errors { code } } }"
        done = await call(client, revoke, shop.headers, id=sent["invitation"]["id"])
        assert done["data"]["revokeInvitation"]["invitation"]["status"] == "REVOKED"
        again = await call(client, revoke, shop.headers, id=sent["invitation"]["id"])
        assert [e["code"] for e in again["data"]["revokeInvitation"]["errors"]] == ["conflict"]
        listed = await call(client, "{ invitations { edges { node { id } } } }", shop.headers)
        assert sent["invitation"]["id"] not in [e["node"]["id"] for e in listed["data"]["invitations"]["edges"]]

        for _ in range(MAX_INVITATIONS_PER_ADDRESS - 1):
            assert (await invite(client, shop, email))["errors"] == []
        throttled = await invite(client, shop, email)
        assert [e["code"] for e in throttled["errors"]] == ["throttled"]
    with tenant_scope(shop.tenant.id):
        assert await Invitation.filter(email=email, accepted_at=None, revoked_at=None).count() == 1


async def test_api_tokens_cannot_accept_invitations_or_confirm_signups(invite_app: Any) -> None:
    shop = await make_tenant()
    async with browser(invite_app) as client:
        for query, field in ((ACCEPT, "acceptInvitation"),
                             ('mutation($token: String!) { confirmSignup(token: $token) { errors { code } } }',
                              "confirmSignup")):
            body = await call(client, query, shop.headers, token="anything")
            assert [e["code"] for e in body["data"][field]["errors"]] == ["forbidden"]

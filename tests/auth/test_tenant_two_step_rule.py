"""A tenant that requires two-step login: its password members without it can only enrol; SSO sessions are exempt."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from auth_helpers import browser, gql, graphql_login, make_owner
from test_two_step_login import CONFIRM, START, code_at, current_step

from pejling.core.auth.csrf import csrf_token_for
from pejling.core.auth.sessions import SESSION_COOKIE, start_session
from pejling.core.settings import Settings
from pejling.tenants.models import Membership, Role, Tenant
from pejling.tenants.scope import all_tenants, tenant_scope

SET = """mutation Set($required: Boolean!) {
  setRequireTwoStep(required: $required) { tenant { requireTwoStep } errors { code } }
}"""
RENAME = """mutation Rename($name: String!) {
  updateTenant(input: {name: $name}) { tenant { name } errors { code } }
}"""
TENANT = "{ tenant { name requireTwoStep } }"


def _codes(body: dict[str, Any]) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in body.get("errors", [])]


async def test_members_without_two_step_can_only_enrol_until_they_have_it(app: Any) -> None:
    tenant, owner = await make_owner()
    headers = {"X-Pejling-Tenant": tenant.slug}
    async with browser(app) as laptop:
        csrf = await graphql_login(laptop, owner.email)
        switched = (await gql(laptop, SET, {"required": True}, csrf=csrf)).json()["data"]["setRequireTwoStep"]
        assert switched == {"tenant": {"requireTwoStep": True}, "errors": []}

        # Every other tenant operation is refused whole, before it runs: nothing read, nothing changed.
        read = (await gql(laptop, TENANT, headers=headers)).json()
        assert read["data"] is None and _codes(read) == ["TWO_STEP_REQUIRED"]
        renamed = (await gql(laptop, RENAME, {"name": "Renamed"}, csrf=csrf, headers=headers)).json()
        assert renamed["data"] is None and _codes(renamed) == ["TWO_STEP_REQUIRED"]
        mixed = (await gql(laptop, "{ me { email } tenant { name } }", headers=headers)).json()
        assert _codes(mixed) == ["TWO_STEP_REQUIRED"]
        spread = (await gql(laptop, "{ ...F } fragment F on Query { tenant { name } }", headers=headers)).json()
        assert _codes(spread) == ["TWO_STEP_REQUIRED"]
        two = "query Me { me { email } } query Read { tenant { name } }"  # the operation that runs is judged
        for name, codes in (("Read", ["TWO_STEP_REQUIRED"]), ("Me", [])):
            answer = (await laptop.post("/graphql", json={"query": two, "operationName": name},
                                        headers=headers)).json()
            assert _codes(answer) == codes, answer
        with all_tenants():
            assert (await Tenant.get(id=tenant.id)).name == tenant.name
        download = await laptop.get("/api/audit-log.csv", params={"tenant": tenant.slug})
        assert download.status_code == 403 and download.json()["error"] == "two_step_required"
        plugin = await laptop.get("/plugins/vipps/payments/order-1", headers=headers)
        assert plugin.status_code == 403 and plugin.json()["error"] == "two_step_required"

        # Who they are and enrolment stay open.
        me = (await gql(laptop, "{ me { email } }", headers=headers)).json()
        assert me["data"]["me"]["email"] == owner.email
        started = (await gql(laptop, START, {"password": "correct horse battery staple"}, csrf=csrf,
                             headers=headers)).json()["data"]["startTotpEnrolment"]
        assert started["errors"] == []
        secret = parse_qs(urlsplit(started["enrolment"]["uri"]).query)["secret"][0]
        confirmed = (await gql(laptop, CONFIRM, {"code": code_at(secret, current_step())}, csrf=csrf,
                               headers=headers)).json()["data"]["confirmTotpEnrolment"]
        assert confirmed["errors"] == []

        # With two-step login the same session works in the tenant again.
        assert (await gql(laptop, TENANT, headers=headers)).json()["data"]["tenant"] == {
            "name": tenant.name, "requireTwoStep": True}


async def test_only_owners_switch_it_and_sso_sessions_are_exempt(app: Any, database: Settings) -> None:
    tenant, owner = await make_owner()
    admins_own, admin = await make_owner()
    with tenant_scope(tenant.id):
        await Membership.create(tenant_id=tenant.id, user_id=admin.id, role=Role.ADMIN)
    headers = {"X-Pejling-Tenant": tenant.slug}
    async with browser(app) as admins_laptop:
        csrf = await graphql_login(admins_laptop, admin.email)
        refused = (await gql(admins_laptop, SET, {"required": True}, csrf=csrf, headers=headers)).json()
        assert refused["data"]["setRequireTwoStep"] == {"tenant": None, "errors": [{"code": "forbidden"}]}
        with all_tenants():
            assert not (await Tenant.get(id=tenant.id)).require_two_step
            await Tenant.filter(id=tenant.id).update(require_two_step=True)
        # The rule holds in this tenant only: the admin's own tenant is not affected.
        assert _codes((await gql(admins_laptop, TENANT, headers=headers)).json()) == ["TWO_STEP_REQUIRED"]
        own = (await gql(admins_laptop, TENANT, headers={"X-Pejling-Tenant": admins_own.slug})).json()
        assert "errors" not in own, own

    # A session opened by single sign-on: the identity provider handled the second factor.
    session, secret = await start_session(database, admin.id, via_sso=True)
    async with browser(app) as sso_laptop:
        sso_laptop.cookies.set(SESSION_COOKIE, secret)
        read = (await gql(sso_laptop, TENANT, headers=headers)).json()
        assert read["data"]["tenant"]["requireTwoStep"] is True, read
        renamed = (await gql(sso_laptop, RENAME, {"name": "Via SSO"}, csrf=csrf_token_for(database, session.id),
                             headers=headers)).json()
        assert renamed["data"]["updateTenant"]["errors"] == [], renamed

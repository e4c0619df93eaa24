"""An owner or admin ends another member's logged-in browsers (endMemberSessions): by role, within the tenant only,
and recorded in the audit log."""

from __future__ import annotations

from typing import Any

from auth_helpers import browser, gql, graphql_login, make_owner

from pejling.core.audit.models import AuditEntry
from pejling.core.auth.models import Session
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.models import Membership, Role, Tenant, User
from pejling.tenants.scope import tenant_scope
from tests.support.tenancy import member, token_for

END = "mutation($m: ID!) { endMemberSessions(memberId: $m) { ended errors { code field } } }"
ME = "{ me { email } }"


async def _member_id(tenant: Tenant, user: User) -> str:
    with tenant_scope(tenant.id):
        membership = await Membership.get(user_id=user.id)
    return encode_id("Member", membership.id)


async def test_an_admin_logs_a_member_out_of_every_browser_and_it_is_recorded(app: Any) -> None:
    tenant, owner = await make_owner()
    admin = await member(tenant, Role.ADMIN)
    analyst = await member(tenant, Role.ANALYST)
    async with browser(app) as admin_browser, browser(app) as laptop, browser(app) as phone, \
            browser(app) as owner_browser:
        csrf = await graphql_login(admin_browser, admin.email)
        await graphql_login(laptop, analyst.email)
        await graphql_login(phone, analyst.email)
        await graphql_login(owner_browser, owner.email)
        analyst_id = await _member_id(tenant, analyst)

        ended = (await gql(admin_browser, END, {"m": analyst_id}, csrf=csrf)).json()["data"]["endMemberSessions"]
        assert ended == {"ended": 2, "errors": []}
        assert (await gql(laptop, ME)).json()["data"]["me"] is None
        assert (await gql(phone, ME)).json()["data"]["me"] is None
        assert not await Session.filter(user_id=analyst.id).exists()
        # Nobody else was logged out, the admin included.
        assert (await gql(owner_browser, ME)).json()["data"]["me"] == {"email": owner.email}
        assert (await gql(admin_browser, ME)).json()["data"]["me"] == {"email": admin.email}

        # An admin may not end an owner's sessions.
        owner_id = await _member_id(tenant, owner)
        refused = (await gql(admin_browser, END, {"m": owner_id}, csrf=csrf)).json()["data"]["endMemberSessions"]
        assert refused == {"ended": 0, "errors": [{"code": "forbidden", "field": "memberId"}]}
        assert (await gql(owner_browser, ME)).json()["data"]["me"] == {"email": owner.email}

    with tenant_scope(tenant.id):
        entries = [e for e in await AuditEntry.all().order_by("at") if e.field_names == ["endMemberSessions"]]
    assert [(e.user_id, e.outcome.value, e.error_codes) for e in entries] == [
        (admin.id, "ok", []), (admin.id, "refused", ["forbidden"])]
    assert entries[0].object_ids == [f"Member:{_raw(analyst_id)}"]


def _raw(global_id: str) -> str:
    from pejling.graphql.relay_ids import decode_id

    return str(decode_id(global_id, "Member"))


async def test_analysts_and_store_managers_may_not_and_an_owner_keeps_their_own_browser(app: Any) -> None:
    tenant, owner = await make_owner()
    analyst = await member(tenant, Role.ANALYST)
    async with browser(app) as analyst_browser, browser(app) as owner_laptop, browser(app) as owner_phone:
        csrf = await graphql_login(analyst_browser, analyst.email)
        owner_csrf = await graphql_login(owner_laptop, owner.email)
        await graphql_login(owner_phone, owner.email)
        owner_id = await _member_id(tenant, owner)
        refused = (await gql(analyst_browser, END, {"m": owner_id}, csrf=csrf)).json()["data"]["endMemberSessions"]
        assert refused["errors"][0]["code"] == "forbidden" and refused["ended"] == 0
        assert await Session.filter(user_id=owner.id).count() == 2

        # Naming oneself ends one's other browsers, not the one asking.
        own = (await gql(owner_laptop, END, {"m": owner_id}, csrf=owner_csrf)).json()["data"]["endMemberSessions"]
        assert own == {"ended": 1, "errors": []}
        assert (await gql(owner_laptop, ME)).json()["data"]["me"] == {"email": owner.email}
        assert (await gql(owner_phone, ME)).json()["data"]["me"] is None


async def test_another_tenants_member_is_not_found_and_keeps_their_sessions(app: Any) -> None:
    tenant, owner = await make_owner()
    other_tenant, stranger = await make_owner()
    token = await token_for(tenant, owner)
    async with browser(app) as stranger_browser, browser(app) as script:
        await graphql_login(stranger_browser, stranger.email)
        stranger_id = await _member_id(other_tenant, stranger)
        refused = (await gql(script, END, {"m": stranger_id}, headers={"Authorization": f"Bearer {token}"})).json()
        assert refused["data"]["endMemberSessions"] == {"ended": 0,
                                                        "errors": [{"code": "not_found", "field": "memberId"}]}
        assert (await gql(stranger_browser, ME)).json()["data"]["me"] == {"email": stranger.email}

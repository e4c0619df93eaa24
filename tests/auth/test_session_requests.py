"""A logged-in request costs one read of its session, and writes nothing but a last-seen at most once a minute.

That one statement also reads the person's membership and its tenant (:func:`pejling.core.auth.sessions.
session_from_cookie`); nothing of it is kept between requests, so whatever ends access shows on the next one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from auth_helpers import browser, gql, graphql_login, make_owner

from pejling.core.auth.models import Session
from pejling.core.auth.sessions import end_all_sessions
from pejling.core.settings import Settings
from pejling.tenants.models import Membership, Role, Tenant, User
from pejling.tenants.scope import tenant_scope
from tests.support.query_count import QueryLog, counting_queries

WRITES = ("insert", "update", "delete")


def _writes(sql: QueryLog) -> list[str]:
    return [s for s in sql.statements if s.lstrip().lower().startswith(WRITES)]


async def test_a_session_request_reads_its_session_once_and_writes_nothing(app: Any) -> None:
    _, owner = await make_owner()
    async with browser(app) as client:
        await graphql_login(client, owner.email)
        for _ in range(2):  # the request right after the login, and another within the minute
            async with counting_queries() as sql:
                response = await gql(client, "{ __typename }")
            assert response.json()["data"] == {"__typename": "Query"}
            assert _writes(sql) == [], sql.statements
            assert len(sql.matching("session")) == 1, sql.statements
            assert len(sql) == 1, sql.statements  # the session, its person, their membership and its tenant


async def test_last_seen_is_written_once_a_minute_has_passed(app: Any) -> None:
    _, owner = await make_owner()
    async with browser(app) as client:
        await graphql_login(client, owner.email)
        session = await Session.get(user_id=owner.id)
        earlier = datetime.now(UTC) - timedelta(minutes=2)
        await Session.filter(id=session.id).update(last_seen_at=earlier)
        async with counting_queries() as sql:
            await gql(client, "{ __typename }")
        assert [s.split()[0].upper() for s in _writes(sql)] == ["UPDATE"] and "session" in _writes(sql)[0].lower()
        seen = (await Session.get(id=session.id)).last_seen_at
        assert seen > earlier + timedelta(minutes=1)
        async with counting_queries() as sql:
            await gql(client, "{ __typename }")
        assert _writes(sql) == []
        assert (await Session.get(id=session.id)).last_seen_at == seen


async def test_a_named_tenant_costs_no_more_and_another_s_is_not_found(app: Any) -> None:
    tenant, owner = await make_owner()
    other, _ = await make_owner()
    async with browser(app) as client:
        await graphql_login(client, owner.email)
        async with counting_queries() as sql:
            response = await gql(client, "{ __typename }", headers={"X-Pejling-Tenant": tenant.slug})
        assert response.status_code == 200 and len(sql) == 1 and _writes(sql) == [], sql.statements
        for slug in (other.slug, "no-such-shop"):
            refused = await gql(client, "{ __typename }", headers={"X-Pejling-Tenant": slug})
            assert (refused.status_code, refused.json()["error"]) == (404, "tenant_not_found")


async def test_a_session_unused_for_longer_than_the_idle_limit_ends(app: Any) -> None:
    _, owner = await make_owner()
    idle = timedelta(seconds=Settings.model_fields["session_idle_seconds"].default)  # the suite keeps the default
    async with browser(app) as client:
        await graphql_login(client, owner.email)
        session = await Session.get(user_id=owner.id)
        await Session.filter(id=session.id).update(last_seen_at=datetime.now(UTC) - idle + timedelta(minutes=5))
        assert (await gql(client, ME_EMAIL)).json()["data"]["me"] == {"email": owner.email}, "within the limit"
        await Session.filter(id=session.id).update(last_seen_at=datetime.now(UTC) - idle - timedelta(minutes=1))
        assert (await gql(client, ME_EMAIL)).json()["data"]["me"] is None, "idle too long: logged out"
        assert not await Session.exists(id=session.id), "and the session is gone on the server"


ME_EMAIL = "{ me { email } }"
TENANT_NAME = "{ tenant { name } }"
TOKENS = "{ apiTokens { edges { node { name } } } }"


async def test_whatever_ends_access_shows_on_the_very_next_request(app: Any) -> None:
    tenant, owner = await make_owner()
    headers = {"X-Pejling-Tenant": tenant.slug}
    async with browser(app) as client:
        await graphql_login(client, owner.email)
        assert (await gql(client, TENANT_NAME, headers=headers)).json()["data"]["tenant"] == {"name": tenant.name}
        assert "errors" not in (await gql(client, TOKENS, headers=headers)).json(), "an owner sees the tokens"
        with tenant_scope(tenant.id):
            await Membership.filter(user_id=owner.id).update(role=Role.ANALYST)
        denied = (await gql(client, TOKENS, headers=headers)).json()
        assert [e["extensions"]["code"] for e in denied["errors"]] == ["FORBIDDEN"], "the new role holds at once"
        with tenant_scope(tenant.id):
            await Membership.filter(user_id=owner.id).delete()
        removed = await gql(client, TENANT_NAME, headers=headers)
        assert (removed.status_code, removed.json()["error"]) == (404, "tenant_not_found"), "membership removed"
        assert (await gql(client, TENANT_NAME)).json()["data"]["tenant"] is None, "and no tenant by default"
        assert (await gql(client, ME_EMAIL)).json()["data"]["me"] == {"email": owner.email}, "still logged in"
        await User.filter(id=owner.id).update(is_active=False)
        assert (await gql(client, ME_EMAIL)).json()["data"]["me"] is None, "a deactivated account: anonymous"
        await User.filter(id=owner.id).update(is_active=True)
        assert (await gql(client, ME_EMAIL)).json()["data"]["me"] == {"email": owner.email}
        await end_all_sessions(owner.id)
        assert (await gql(client, ME_EMAIL)).json()["data"]["me"] is None, "every session ended: anonymous"


async def test_a_tenant_that_requires_two_step_login_costs_the_same_one_statement(app: Any) -> None:
    tenant, owner = await make_owner()
    await Tenant.filter(id=tenant.id).update(require_two_step=True)
    async with browser(app) as client:
        await graphql_login(client, owner.email)
        for headers in ({}, {"X-Pejling-Tenant": tenant.slug}):
            async with counting_queries() as sql:
                refused = (await gql(client, TENANT_NAME, headers=headers)).json()
            assert [e["extensions"]["code"] for e in refused["errors"]] == ["TWO_STEP_REQUIRED"]
            assert len(sql) == 1, sql.statements
            assert (await gql(client, ME_EMAIL, headers=headers)).json()["data"]["me"] == {"email": owner.email}

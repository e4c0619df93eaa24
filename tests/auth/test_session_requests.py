"""A logged-in request costs one read of its session, and writes nothing but a last-seen at most once a minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from auth_helpers import browser, gql, graphql_login, make_owner

from pejling.core.auth.models import Session
from pejling.core.settings import Settings
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
            assert len(sql) == 2, sql.statements  # the session with its user, the membership with its tenant


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
        assert response.status_code == 200 and len(sql) == 2 and _writes(sql) == [], sql.statements
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

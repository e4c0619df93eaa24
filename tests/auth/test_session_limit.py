"""A person has at most MAX_SESSIONS_PER_PERSON live sessions: a login beyond it ends the one started longest ago."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from auth_helpers import browser, gql, graphql_login, make_owner

from pejling.core.auth.models import Session
from pejling.core.auth.sessions import MAX_SESSIONS_PER_PERSON, start_session
from pejling.core.settings import Settings

ME = "{ me { email } }"


async def test_a_login_beyond_the_limit_ends_the_oldest_session_only(app: Any, database: Settings) -> None:
    _, owner = await make_owner()
    _, other = await make_owner()
    async with browser(app) as first:
        await graphql_login(first, owner.email)
        assert (await gql(first, ME)).json()["data"]["me"]["email"] == owner.email
        [oldest] = await Session.filter(user_id=owner.id)
        # Started a while ago, so the order does not hang on the clock's resolution.
        await Session.filter(id=oldest.id).update(created_at=datetime.now(UTC) - timedelta(hours=1))
        others = [(await start_session(database, other.id))[0].id]
        for _ in range(MAX_SESSIONS_PER_PERSON - 1):
            await start_session(database, owner.id)
        # Exactly at the limit: everything still lives, the first browser included.
        assert await Session.filter(user_id=owner.id).count() == MAX_SESSIONS_PER_PERSON
        assert (await gql(first, ME)).json()["data"]["me"]["email"] == owner.email

        async with browser(app) as newest:
            await graphql_login(newest, owner.email)
            assert (await gql(newest, ME)).json()["data"]["me"]["email"] == owner.email
        assert await Session.filter(user_id=owner.id).count() == MAX_SESSIONS_PER_PERSON
        assert not await Session.exists(id=oldest.id)
        assert (await gql(first, ME)).json()["data"]["me"] is None  # that browser is logged out
        # Another person's sessions are not counted nor touched.
        assert await Session.filter(id__in=others).count() == 1

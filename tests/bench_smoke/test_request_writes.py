"""The authenticated request path writes nothing per request: a session's ``last_seen_at`` (and a token's
``last_used_at``) is written at most once per ``TOUCH_INTERVAL`` (one minute), whatever the request rate.

The SQL is read from Tortoise's query log, so any write a middleware or resolver adds to every request fails here.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pejling.core.auth.api_tokens import create_api_token
from pejling.core.auth.models import ApiToken, Session
from pejling.core.auth.sessions import SESSION_COOKIE, TOUCH_INTERVAL, start_session
from pejling.core.settings import Settings
from pejling.tenants.scope import tenant_scope
from tests.auth.auth_helpers import browser, make_owner

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
QUERY = {"query": "{ __typename }"}


def _writes(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records
            if record.name == "tortoise.db_client" and WRITE.match(record.getMessage())]


def test_last_seen_is_written_at_most_once_a_minute() -> None:
    assert timedelta(0) < TOUCH_INTERVAL <= timedelta(minutes=1)


async def test_a_session_request_writes_nothing_until_a_minute_has_passed(
    app: Any, database: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    tenant, user = await make_owner()
    session, secret = await start_session(database, user.id)
    headers = {"Cookie": f"{SESSION_COOKIE}={secret}", "X-Pejling-Tenant": tenant.slug}
    async with browser(app) as client:
        with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
            for _ in range(5):
                reply = await client.post("/graphql", json=QUERY, headers=headers)
                assert reply.json()["data"] == {"__typename": "Query"}
        assert _writes(caplog) == []

        await Session.filter(id=session.id).update(last_seen_at=datetime.now(UTC) - TOUCH_INTERVAL)
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
            for _ in range(3):
                assert (await client.post("/graphql", json=QUERY, headers=headers)).status_code == 200
        writes = _writes(caplog)
    assert len(writes) == 1 and "auth_session" in writes[0] and "last_seen_at" in writes[0]


async def test_an_api_token_request_writes_nothing_until_a_minute_has_passed(
    app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    tenant, user = await make_owner()
    with tenant_scope(tenant.id):
        token, secret = await create_api_token(name="bench", scopes=["read"], created_by=user.id)
    headers = {"Authorization": f"Bearer {secret}"}
    async with browser(app) as client:
        assert (await client.post("/graphql", json=QUERY, headers=headers)).status_code == 200  # first use: touched
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
            for _ in range(5):
                assert (await client.post("/graphql", json=QUERY, headers=headers)).status_code == 200
        assert _writes(caplog) == []
    with tenant_scope(tenant.id):
        assert (await ApiToken.get(id=token.id)).last_used_at is not None


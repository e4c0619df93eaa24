"""A fault in a resolver reaches the caller as "Unexpected error." only, never the exception, its text or a
traceback (ASVS V16.5.1); the traceback goes to the log, where we read it."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from pejling.graphql.tenants import queries
from tests.support.tenancy import make_tenant

SECRET = "connection to db.internal:5432 as pejling_app password=hunter2 failed in /srv/pejling/core/database.py"


async def test_an_exception_in_a_resolver_is_masked_for_the_caller_and_logged(
    client: httpx.AsyncClient, database: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    shop = await make_tenant(stores=1)

    async def broken(info: Any) -> list[Any]:
        raise ConnectionResetError(SECRET)

    monkeypatch.setattr(queries, "visible_stores", broken)
    with caplog.at_level(logging.ERROR):
        query = "{ tenant { slug } stores { edges { node { name } } } }"
        response = await client.post("/graphql", json={"query": query}, headers=shop.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None  # stores is non-null, so the whole answer is null
    assert [(e["message"], e["path"], e.get("extensions")) for e in body["errors"]] == [
        ("Unexpected error.", ["stores"], None)]
    for leak in ("hunter2", "db.internal", "/srv/pejling", "ConnectionResetError", "Traceback", ".py"):
        assert leak not in response.text
    assert SECRET in caplog.text and "ConnectionResetError" in caplog.text  # ours to read, in the log

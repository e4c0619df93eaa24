"""Test harness: one database per run (SQLite always; PostgreSQL when PEJLING_TEST_DATABASE_URL is set).

``PEJLING_TEST_BACKEND=postgres`` selects PostgreSQL; ``make test`` runs the suite on SQLite and,
when ``PEJLING_TEST_DATABASE_URL`` is set, again on PostgreSQL. Each run creates its own database
and drops it at the end. A PostgreSQL that cannot be reached fails the run; it is never skipped.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from asgi_lifespan import LifespanManager
from tortoise import Tortoise

from pejling.core.database import migrate, tortoise_config
from pejling.core.outbound_addresses import use_allowed_hosts
from pejling.core.settings import Settings

BACKEND = os.environ.get("PEJLING_TEST_BACKEND", "sqlite")

# Tests hash hundreds of passwords: use argon2id with its cheapest parameters here. Production keeps
# the RFC 9106 low-memory profile (tests/auth/test_password_hashing.py checks the shipped hasher).
import argon2  # noqa: E402

from pejling.core.auth import passwords  # noqa: E402

passwords._hasher = argon2.PasswordHasher.from_parameters(argon2.profiles.CHEAPEST)
PG_URL = os.environ.get("PEJLING_TEST_DATABASE_URL", "")


def pytest_report_header(config: pytest.Config) -> str:
    return f"pejling database backend: {BACKEND}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if BACKEND == "postgres":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (PEJLING_TEST_BACKEND=postgres)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


def _with_database(url: str, name: str, user: str | None = None) -> str:
    parts = urlsplit(url)
    if user is not None:  # trust authentication on the test server: the role needs no password
        parts = parts._replace(netloc=f"{user}@{parts.hostname}:{parts.port or 5432}")
    return urlunsplit(parts._replace(path=f"/{name}"))


#: The application's restricted role on PostgreSQL: it owns no table and lacks BYPASSRLS, so the suite runs under
#: row-level security the way production does; migrations run as the owner (PEJLING_TEST_DATABASE_URL's user).
APP_ROLE = "pejling_app"
CREATE_APP_ROLE = f"""DO $$ BEGIN
  CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$"""


async def _pg_admin(url: str, sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1), timeout=10)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="session")
async def settings(var_dir: Path) -> AsyncIterator[Settings]:
    name = f"pejling_test_{secrets.token_hex(4)}"
    if BACKEND == "postgres":
        if not PG_URL:
            raise RuntimeError("PEJLING_TEST_BACKEND=postgres needs PEJLING_TEST_DATABASE_URL")
        await _pg_admin(PG_URL, f'CREATE DATABASE "{name}"')
        await _pg_admin(PG_URL, CREATE_APP_ROLE)
        url, owner_url = _with_database(PG_URL, name, APP_ROLE), _with_database(PG_URL, name)
    else:
        url, owner_url = f"sqlite://{var_dir / 'test.sqlite3'}", ""
    yield Settings(
        environment="test", var_dir=var_dir, database_url=url, database_owner_url=owner_url,
        secret_key="test-secret-key-" + "x" * 32,
        run_worker_in_app=False, smtp_url="", log_level="WARNING",
        # Every in-process test calls from one address; tests/graphql/test_operation_limits.py turns them on.
        api_rate_limits=False,
        # Security events are written when a test flushes them (and at shutdown), never half-way through a test.
        security_event_seconds=24 * 3600,
    )
    if BACKEND == "postgres":
        await Tortoise.close_connections()
        await _pg_admin(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
async def database(settings: Settings) -> AsyncIterator[Settings]:
    """A migrated database with Tortoise initialised for the whole run."""
    await migrate(settings)
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
    yield settings
    await Tortoise.close_connections()


@pytest.fixture(scope="session")
async def app(database: Settings) -> AsyncIterator[Any]:
    from pejling.core.app import create_app

    application = create_app(database, manage_database=False)
    async with LifespanManager(application) as manager:
        yield manager.app


async def _notices_heard(request: httpx.Request) -> None:
    """On PostgreSQL this process serves a store's survey page from its copy until the notice of a change arrives
    (milliseconds after the commit, core/change_notices.py); a test's request comes microseconds after its write, so
    it first waits until the notices committed before it were heard, as a shopper a moment later would be served.
    tests/survey_page/test_store_page_notices.py tests the notices themselves without this."""
    from pejling.core.change_notices import change_notices

    if change_notices.listening:
        await change_notices.caught_up()


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver",
                                 event_hooks={"request": [_notices_heard]}) as http:
        yield http


@pytest.fixture
def outbound_hosts() -> Iterator[Callable[[str], None]]:
    """Set the operator's allow-list of outbound hosts for this test (``"a.example,*.b.example"``, as
    ``PEJLING_OUTBOUND_ALLOWED_HOSTS`` is written); afterwards every host again."""

    def allow(hosts: str) -> None:
        use_allowed_hosts(Settings(outbound_allowed_hosts=hosts).outbound_allowed_hosts)  # type: ignore[arg-type]

    yield allow
    use_allowed_hosts(None)


def unique(prefix: str = "t") -> str:
    """A fresh slug-safe name, so tests never collide in the shared run database."""
    return f"{prefix}-{secrets.token_hex(4)}"

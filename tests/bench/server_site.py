"""The server under test and what the load needs of its database, shared by the HTTP and the insights benches.

A throw-away database on a PostgreSQL server (``throwaway_database``), the bench app served as ``pejling serve``
serves (``running_server``, production settings), and the :class:`Site`: the tenant, store, zone, survey version and
a fresh owner session that the wrk scripts need.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.support.server import free_port, serving

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


@dataclass
class Site:
    """What the load needs to know of the seeded database and the running server."""

    base: str
    tenant_slug: str
    store_slug: str
    version_id: str
    zone_id: str
    warmup_ids: list[str]
    statement_ids: list[str]
    tenant_id: str = ""
    store_id: str = ""
    statement_goals: dict[str, str] | None = None
    session_cookie: str = ""

    @property
    def store_uuid(self) -> uuid.UUID:
        return uuid.UUID(self.store_id)

    @property
    def ingest_path(self) -> str:
        return f"/s/{self.tenant_slug}/{self.store_slug}/responses"

    @property
    def page_path(self) -> str:
        return f"/s/{self.tenant_slug}/{self.store_slug}"


def ingest_args(site: Site, now: datetime | None = None) -> tuple[str, ...]:
    """The arguments of ``ingest.lua``: survey version, zone, warm-up and statement ids, start and end times."""
    started = (now or datetime.now(UTC)) - timedelta(minutes=2)
    return (site.version_id, site.zone_id, ",".join(site.warmup_ids), ",".join(site.statement_ids),
            started.isoformat(), (started + timedelta(seconds=40)).isoformat())


def cookie_headers(site: Site) -> tuple[str, ...]:
    """A logged-in portal's headers: the session and CSRF cookies, the CSRF header (as the portal sends it on every
    POST; ``/api/`` routes require it) and the tenant it works in."""
    return tuple(f"{name}: {value}" for name, value in cookie_header_map(site).items())


def cookie_header_map(site: Site) -> dict[str, str]:
    """:func:`cookie_headers` as a mapping (for httpx)."""
    from pejling.core.auth.csrf import CSRF_COOKIE

    cookies = dict(part.split("=", 1) for part in site.session_cookie.split("; ") if "=" in part)
    return {"Cookie": site.session_cookie, "X-CSRF-Token": cookies.get(CSRF_COOKIE, ""),
            "X-Pejling-Tenant": site.tenant_slug}


def server_environment(database_url: str, var_dir: Path, secret_key: str,
                       environment: str = "production") -> dict[str, str]:
    """The settings of every ``pejling`` command of a bench run: one database, loopback trusted as the proxy (so each
    client's ``X-Forwarded-For`` is its address), mail to files, no job worker in the web processes (``pejling
    worker`` runs apart); production settings unless ``environment`` says otherwise (then only warnings logged), as a
    demo instance (``pejling demo`` and the GraphQL budgets off are refused in production otherwise)."""
    env = {
        **os.environ, "PEJLING_DATABASE_URL": database_url, "PEJLING_VAR_DIR": str(var_dir),
        "PEJLING_ENVIRONMENT": environment, "PEJLING_SECRET_KEY": secret_key, "PEJLING_MAIL_TO_FILES": "true",
        "PEJLING_RUN_WORKER_IN_APP": "false", "PEJLING_TRUSTED_PROXIES": '["127.0.0.1"]',
        # One bench session asks for more per minute than the per-caller GraphQL budgets allow anyone.
        "PEJLING_API_RATE_LIMITS": "false",
        # A production instance with demo data and the budgets off on purpose (core/dev_only.py refuses it otherwise).
        "PEJLING_DEMO_INSTANCE": "true",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    }
    if environment != "production":
        env["PEJLING_LOG_LEVEL"] = "WARNING"
    return env


def pejling_command(*args: str) -> list[str]:
    """The ``pejling`` command of this virtual environment."""
    return [str(Path(sys.executable).with_name("pejling")), *args]


@contextmanager
def running_server(env: dict[str, str], *, workers: int, log: Path) -> Iterator[str]:
    """Serve the bench app (``pejling serve``'s options) on a free port until the block ends; yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "tests.bench.serve", "--host", "127.0.0.1", "--port", str(port), "--workers",
               str(workers)]
    with serving(command, port=port, env=env, cwd=ROOT, log=log, attempts=1800, stop_timeout=30) as (base, _):
        yield base


def database_url_named(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def admin_sql(url: str, sql: str) -> None:
    """Run one statement on the server of ``url`` (``CREATE DATABASE`` …)."""
    import asyncpg

    connection = await asyncpg.connect(asyncpg_url(url))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def read_site(database_url: str, base: str, settings_secret: str, tenant_slug: str) -> Site:
    """The demo tenant's first store, zone and active survey version, and a fresh session of its owner."""
    import asyncpg

    from pejling.core.auth.csrf import CSRF_COOKIE, csrf_token_for
    from pejling.core.auth.sessions import SESSION_COOKIE
    from pejling.core.settings import Settings

    connection = await asyncpg.connect(asyncpg_url(database_url))
    try:
        tenant_id = await connection.fetchval("SELECT id FROM tenant WHERE slug = $1", tenant_slug)
        store = await connection.fetchrow("SELECT id, slug FROM store WHERE tenant_id = $1 ORDER BY slug LIMIT 1",
                                          tenant_id)
        zone_id = await connection.fetchval("SELECT id FROM zone WHERE store_id = $1 ORDER BY id LIMIT 1", store["id"])
        version = await connection.fetchrow(
            "SELECT id, statement_ids, warmup_ids FROM survey_version WHERE tenant_id = $1 AND active", tenant_id)
        goals = dict(await connection.fetch("SELECT id::text, goal FROM survey_statement WHERE tenant_id = $1",
                                            tenant_id))
        owner = await connection.fetchval(
            "SELECT user_id FROM membership WHERE tenant_id = $1 AND role = 'owner' ORDER BY created_at LIMIT 1",
            tenant_id)
        secret = secrets.token_urlsafe(32)
        session_id = uuid.uuid4()
        now = datetime.now(UTC)
        await connection.execute(
            "INSERT INTO auth_session (id, token_hash, user_id, created_at, expires_at, last_seen_at, user_agent) "
            "VALUES ($1, $2, $3, $4, $5, $4, 'bench')", session_id, hashlib.sha256(secret.encode()).hexdigest(), owner,
            now, now + timedelta(days=1))
    finally:
        await connection.close()
    csrf = csrf_token_for(Settings(secret_key=settings_secret), session_id)
    return Site(
        base=base, tenant_slug=tenant_slug, store_slug=store["slug"], version_id=str(version["id"]),
        zone_id=str(zone_id), warmup_ids=list(json.loads(version["warmup_ids"])),
        statement_ids=list(json.loads(version["statement_ids"])), tenant_id=str(tenant_id), store_id=str(store["id"]),
        statement_goals=goals, session_cookie=f"{SESSION_COOKIE}={secret}; {CSRF_COOKIE}={csrf}",
    )


async def count_responses(database_url: str, tenant_id: str) -> int:
    import asyncpg

    connection = await asyncpg.connect(asyncpg_url(database_url))
    try:
        return int(await connection.fetchval("SELECT count(*) FROM survey_response WHERE tenant_id = $1",
                                             uuid.UUID(tenant_id)))
    finally:
        await connection.close()


def asyncpg_url(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def admin_url() -> str:
    """The PostgreSQL server the benches make their databases on (``PEJLING_BENCH_DATABASE_URL``)."""
    return os.environ.get("PEJLING_BENCH_DATABASE_URL") or DEFAULT_ADMIN_URL


@contextmanager
def throwaway_database(admin: str, prefix: str = "pejling_bench") -> Iterator[str]:
    """A new empty database on ``admin``'s server for the block; yields its URL and drops it afterwards
    (``BENCH_KEEP=1`` keeps it and says so)."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    asyncio.run(admin_sql(admin, f'CREATE DATABASE "{name}"'))
    try:
        yield database_url_named(admin, name)
    finally:
        if os.environ.get("BENCH_KEEP"):
            print(f"kept database {name}")
        else:
            asyncio.run(admin_sql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

"""The database: Tortoise configuration, migrations and readiness.

Each domain is a Tortoise *app* with its own committed migrations package. SQLite (the embedded
default) and PostgreSQL (production) are both supported; the test suite runs on both.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from tortoise import Tortoise, connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate as run_migrations

from pejling.core.credential_files import credential_file
from pejling.core.database_tls import postgres_tls, without_tls_parameters
from pejling.core.settings import Settings

log = logging.getLogger(__name__)

#: The files of one SQLite database: SQLite creates the journal, WAL and shared-memory files with the main
#: file's permissions, so a main file made 0600 keeps them all private.
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")

#: Tortoise app label → model modules. The migrations of app ``x`` live in ``<first module's package>.migrations``.
MODEL_APPS: dict[str, dict[str, Any]] = {
    "tenants": {
        "models": ["pejling.tenants.models", "pejling.tenants.plugin_settings"],
        "migrations": "pejling.tenants.migrations",
    },
    "accounts": {
        "models": ["pejling.core.auth.models"],
        "migrations": "pejling.core.auth.migrations",
    },
    "jobs": {
        "models": ["pejling.core.jobs.models"],
        "migrations": "pejling.core.jobs.migrations",
    },
    "surveys": {
        "models": ["pejling.core.surveys.models"],
        "migrations": "pejling.core.surveys.migrations",
    },
    "followups": {
        "models": ["pejling.core.followups.models"],
        "migrations": "pejling.core.followups.migrations",
    },
    "insights": {
        "models": ["pejling.core.insights.models"],
        "migrations": "pejling.core.insights.migrations",
    },
    "sso": {
        "models": ["pejling.core.auth.sso.models"],
        "migrations": "pejling.core.auth.sso.migrations",
    },
    "audit": {
        "models": ["pejling.core.audit.models"],
        "migrations": "pejling.core.audit.migrations",
    },
}


def private_sqlite_files(path: Path) -> None:
    """Create the SQLite database file readable by this user only (0600) before SQLite opens it, and take group
    and other permissions off an existing database and its ``-wal`` / ``-shm`` / ``-journal`` files."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    for suffix in SQLITE_SUFFIXES:
        file = path.with_name(path.name + suffix)
        try:
            mode = file.stat().st_mode & 0o777
        except FileNotFoundError:
            continue
        if mode & 0o077:
            try:
                file.chmod(mode & 0o700)
            except PermissionError:
                log.warning("cannot make %s private (owned by another user); its mode is %o", file, mode)


def model_apps(settings: Settings) -> dict[str, dict[str, Any]]:
    """Core's Tortoise apps and those the plugins of this process contribute (``register_model_apps``)."""
    disabled = tuple(sorted(settings.plugins_disabled))
    if disabled not in _plugin_apps:
        # Which plugins are registered is all that changes the answer: register them once per process.
        from pejling.core.plugin_manager import register_plugins

        _plugin_apps[disabled] = register_plugins(settings).model_apps(taken=MODEL_APPS)
    return {**MODEL_APPS, **_plugin_apps[disabled]}


_plugin_apps: dict[tuple[str, ...], dict[str, dict[str, Any]]] = {}


def tortoise_config(settings: Settings) -> dict[str, Any]:
    """The Tortoise configuration for these settings (one ``default`` connection)."""
    url = settings.resolved_database_url
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://")
        if path != ":memory:":
            private_sqlite_files(Path(path))
        connection: dict[str, Any] | str = {
            "engine": "pejling.core.sqlite_engine",
            "credentials": {"file_path": path, "journal_mode": "WAL", "foreign_keys": "ON"},
        }
    else:
        connection = postgres_connection(url, pgbouncer=settings.database_pooler == "pgbouncer",
                                         setting="PEJLING_DATABASE_URL")
    return {
        "connections": {"default": connection},
        "apps": {
            label: {**app, "default_connection": "default"} for label, app in model_apps(settings).items()
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def postgres_connection(url: str, *, pgbouncer: bool = False, setting: str | None = None) -> dict[str, Any]:
    """A PostgreSQL connection for Tortoise: asyncpg with :mod:`pejling.core.row_security`'s connections, which tell
    the row-level security policies the tenant scope of each statement, and the TLS the URL asks for
    (:mod:`pejling.core.database_tls`). When ``url`` is the value of ``setting`` read from its secret file, each new
    connection reads its password from that file again (:mod:`pejling.core.credential_files`)."""
    source = credential_file(setting, url, same_user=True) if setting else None
    url = url.replace("postgresql://", "postgres://", 1)
    tls = postgres_tls(url)  # sslmode= / ssl= / sslrootcert=, given to asyncpg as its own ``ssl`` argument
    url = without_tls_parameters(url)
    if pgbouncer and "statement_cache_size=" not in url:
        # PgBouncer in transaction pooling hands each transaction any server connection: a statement asyncpg
        # prepared on one is unknown on the next, so asyncpg must keep none (docs/deployment.md).
        url += ("&" if "?" in url else "?") + "statement_cache_size=0"
    connection = expand_db_url(url)
    connection["engine"] = "pejling.core.row_security"
    connection["credentials"]["per_transaction_only"] = pgbouncer
    if tls.mode is not None:
        connection["credentials"]["ssl"] = tls.asyncpg_ssl()
    if source is not None:
        connection["credentials"]["password"] = source.password  # asyncpg calls it for each new connection
    return connection


def _migration_config(settings: Settings) -> dict[str, Any]:
    config = tortoise_config(settings)
    if settings.database_owner_url and settings.is_postgres:
        config["connections"]["default"] = postgres_connection(settings.database_owner_url,
                                                               setting="PEJLING_DATABASE_OWNER_URL")
    return config


async def migrate(settings: Settings) -> None:
    """Apply every pending migration of every app, as the owner of the tables when ``database_owner_url`` is set, and
    then grant the application's own role (the user of ``database_url``) what it needs."""
    from pejling.core.row_security import grant_application_role
    from pejling.tenants.scope import all_tenants, append_only_tables

    config = _migration_config(settings)
    try:
        with all_tenants():  # data migrations see every tenant's rows (the owner is under row-level security too)
            await run_migrations(config=config)
            if settings.database_owner_url and settings.is_postgres:
                app_role = expand_db_url(settings.resolved_database_url)["credentials"]["user"]
                owner = config["connections"]["default"]["credentials"]["user"]
                if app_role and app_role != owner:
                    await Tortoise.init(config=config)
                    await grant_application_role(connections.get("default"), app_role, append_only_tables())
    finally:
        await Tortoise.close_connections()


def is_postgres(client: BaseDBAsyncClient) -> bool:
    """True when ``client`` talks to PostgreSQL (else SQLite)."""
    return client.capabilities.dialect == "postgres"


def prepare_sql(client: BaseDBAsyncClient, sql: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """Raw SQL written with ``?`` placeholders, for either database: ``$n`` on PostgreSQL; on SQLite, UUIDs
    and dates become the text Tortoise stores them as."""
    if is_postgres(client):
        parts = sql.split("?")
        return parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], start=1)), list(values)
    return sql, [_sqlite_value(v) for v in values]


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


#: SQLSTATEs of a database that is away: a connection exception (class 08), the server shutting down or crashed,
#: starting up (57P01-57P03), or out of connections (53300).
_UNAVAILABLE_STATES = ("08", "57P01", "57P02", "57P03", "53300")
_UNREACHABLE = frozenset({errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ENETDOWN, errno.EHOSTDOWN})


def database_unavailable(error: BaseException) -> bool:
    """True when ``error`` (or an error it was raised from) says the database could not be reached or dropped the
    connection: a restart, a crash, a failover, a network cut. The work may be done again once it is back (a
    commit whose answer was lost is found again by the idempotent response id)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        state = getattr(current, "sqlstate", None)
        if isinstance(state, str) and state.startswith(_UNAVAILABLE_STATES):
            return True
        if isinstance(current, ConnectionError | TimeoutError | socket.gaierror) or (
            isinstance(current, OSError) and current.errno in _UNREACHABLE
        ):
            return True
        if type(current).__name__ == "InterfaceError" and "closed" in str(current):  # asyncpg: connection is closed
            return True
        current = current.__cause__
    return False


async def database_ready() -> bool:
    """True when the default connection answers a trivial query."""
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception:  # noqa: BLE001 - readiness reports any failure as "not ready"
        return False
    return True


async def still_committable() -> None:
    """On PostgreSQL, fail now if an error inside the current transaction was caught and swallowed: the transaction
    is aborted, and its COMMIT would roll it back without an error, so whoever was answered after it would be told
    "stored" for rows that are not. One round trip (SQLite has no aborted state); reads no table."""
    client = connections.get("default")
    if is_postgres(client):
        await client.execute_query("SELECT 1")


def __getattr__(name: str) -> Any:
    # ``tortoise makemigrations --config pejling.core.database.TORTOISE_ORM`` reads this lazily.
    if name == "TORTOISE_ORM":
        from pejling.core.settings import get_settings

        return tortoise_config(get_settings())
    raise AttributeError(name)

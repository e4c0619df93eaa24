"""PgBouncer in transaction pooling: ``PEJLING_DATABASE_POOLER=pgbouncer`` keeps asyncpg from preparing named
statements (a statement prepared in one transaction's server connection is unknown in the next one's)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pejling.core.database import tortoise_config
from pejling.core.settings import Settings


def _url(**settings: str) -> object:
    return tortoise_config(Settings(**settings))["connections"]["default"]


def test_behind_pgbouncer_asyncpg_caches_no_statements() -> None:
    assert _url(database_url="postgres://app@pool:6432/pejling", database_pooler="pgbouncer") == (
        "postgres://app@pool:6432/pejling?statement_cache_size=0")
    assert _url(database_url="postgres://app@pool:6432/pejling?ssl=true", database_pooler="pgbouncer") == (
        "postgres://app@pool:6432/pejling?ssl=true&statement_cache_size=0")


def test_straight_to_postgresql_the_url_is_left_alone() -> None:
    assert _url(database_url="postgres://app@db:5432/pejling") == "postgres://app@db:5432/pejling"


def test_an_unknown_pooler_is_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(database_url="postgres://app@db/pejling", database_pooler="pgpool")  # type: ignore[arg-type]

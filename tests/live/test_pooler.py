"""PgBouncer in transaction pooling: ``PEJLING_DATABASE_POOLER=pgbouncer`` keeps asyncpg from preparing named
statements (a statement prepared in one transaction's server connection is unknown in the next one's)."""

from __future__ import annotations

import ssl

import pytest
from pydantic import ValidationError

from pejling.core.database import tortoise_config
from pejling.core.settings import Settings


def _url(**settings: str) -> dict:
    return tortoise_config(Settings(**settings))["connections"]["default"]


def test_behind_pgbouncer_asyncpg_caches_no_statements_and_sets_the_tenant_per_transaction() -> None:
    pooled = _url(database_url="postgres://app@pool:6432/pejling", database_pooler="pgbouncer")
    assert pooled["engine"] == "pejling.core.row_security"
    assert pooled["credentials"]["statement_cache_size"] == 0
    assert pooled["credentials"]["per_transaction_only"] is True
    with_ssl = _url(database_url="postgres://app@pool:6432/pejling?ssl=true", database_pooler="pgbouncer")
    assert with_ssl["credentials"]["statement_cache_size"] == 0
    context = with_ssl["credentials"]["ssl"]  # the TLS asked for reaches asyncpg, certificate checked (database_tls)
    assert isinstance(context, ssl.SSLContext) and context.verify_mode == ssl.CERT_REQUIRED


def test_straight_to_postgresql_the_url_is_left_alone() -> None:
    direct = _url(database_url="postgres://app@db:5432/pejling")
    assert direct["engine"] == "pejling.core.row_security"
    assert "statement_cache_size" not in direct["credentials"]
    assert direct["credentials"]["per_transaction_only"] is False
    assert (direct["credentials"]["user"], direct["credentials"]["host"], direct["credentials"]["database"]) == (
        "app", "db", "pejling")


def test_an_unknown_pooler_is_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(database_url="postgres://app@db/pejling", database_pooler="pgpool")  # type: ignore[arg-type]

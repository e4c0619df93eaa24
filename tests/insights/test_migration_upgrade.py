"""An installation whose insights rollups predate the strength-moderation sums (insights migration 0002) upgrades:
migration 0003 adds every summed column with 0 on the rows already there, and the schema equals a fresh one."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from pejling.core.insights.columns import SUM_COLUMNS
from pejling.core.settings import Settings

_MIGRATE = """
import asyncio, sys
from tortoise import Tortoise
from tortoise.migrations.api import migrate
from pejling.core.database import tortoise_config
from pejling.core.settings import Settings

async def main():
    settings = Settings(var_dir=sys.argv[1], environment="test")
    await migrate(config=tortoise_config(settings), target=sys.argv[2] if len(sys.argv) > 2 else None)
    await Tortoise.close_connections()

asyncio.run(main())
"""


def _migrate(var_dir: Path, *target: str) -> None:
    env = {**os.environ, "PEJLING_LOG_LEVEL": "WARNING"}
    env.pop("PEJLING_DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-c", _MIGRATE, str(var_dir), *target], env=env, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stderr


def _schema(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'tortoise%'")
        return sorted(sql for (sql,) in rows)


@pytest.mark.once
def test_rollup_rows_from_before_the_moderation_sums_get_zeros_and_the_schema_equals_a_fresh_one(
    tmp_path: Path, database: Settings
) -> None:
    """``database`` is the suite's own database, migrated from nothing: the fresh schema to compare with."""
    old = tmp_path / "old"
    old.mkdir()
    _migrate(old, "insights.0002_store_daily")
    with sqlite3.connect(old / "pejling.sqlite3") as connection:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(insights_daily)")]
        assert "m_n" not in columns
        values = {c: 0 for c in columns} | {"id": "00000000-0000-0000-0000-000000000001", "channel": "qr",
                                             "day": "2026-01-01", "tenant_id": "00000000-0000-0000-0000-0000000000aa",
                                             "store_id": "00000000-0000-0000-0000-0000000000bb",
                                             "zone_id": "00000000-0000-0000-0000-0000000000cc"}
        connection.execute("PRAGMA foreign_keys = OFF")
        connection.execute(f"INSERT INTO insights_daily ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                           list(values.values()))

    _migrate(old)

    with sqlite3.connect(old / "pejling.sqlite3") as connection:
        connection.row_factory = sqlite3.Row
        row = dict(connection.execute("SELECT * FROM insights_daily").fetchone())
    moderation = [c for c in SUM_COLUMNS if c.startswith("m_")]
    assert len(moderation) == 92
    assert all(row[c] == 0 for c in moderation)
    fresh = Path(database.resolved_database_url.removeprefix("sqlite://"))
    assert _schema(old / "pejling.sqlite3") == _schema(fresh)

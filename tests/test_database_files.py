"""The embedded SQLite database, its WAL and its shared-memory file are readable by the app's user only."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import sys
from pathlib import Path

import pytest


async def _migrate(var_dir: Path) -> None:
    """``pejling migrate`` on the default SQLite database under ``var_dir``, with the usual umask 022."""
    env = {**os.environ, "PEJLING_VAR_DIR": str(var_dir), "PEJLING_ENVIRONMENT": "test", "PEJLING_LOG_LEVEL": "WARNING"}
    env.pop("PEJLING_DATABASE_URL", None)
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("pejling")), "migrate", env=env, cwd=var_dir,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, preexec_fn=lambda: os.umask(0o022),
    )
    _, err = await asyncio.wait_for(process.communicate(), timeout=180)
    assert process.returncode == 0, err.decode()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.once
async def test_a_fresh_database_and_its_wal_are_private(tmp_path: Path) -> None:
    database = tmp_path / "pejling.sqlite3"
    await _migrate(tmp_path)
    assert _mode(database) == 0o600
    # SQLite makes the WAL and shared-memory files with the database's mode: write while holding it open.
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        connection.execute("CREATE TABLE probe (x)")
        connection.execute("INSERT INTO probe VALUES (1)")
        connection.commit()
        for suffix in ("-wal", "-shm"):
            assert _mode(database.with_name(database.name + suffix)) == 0o600, suffix
    connection.close()


@pytest.mark.once
async def test_an_older_world_readable_database_is_made_private(tmp_path: Path) -> None:
    database = tmp_path / "pejling.sqlite3"
    sqlite3.connect(database).close()
    leftovers = [database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")]
    for file in leftovers[1:]:
        file.write_bytes(b"")
    for file in leftovers:
        file.chmod(0o644)
    await _migrate(tmp_path)
    assert _mode(database) == 0o600
    for file in leftovers[1:]:
        assert not file.exists() or _mode(file) == 0o600, file

"""Migrations upgrade a database that has rows: a new NOT NULL column gets its default on the rows already there
(SQLite and PostgreSQL refuse such a column without a database default), and a backfill reads the old data."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path

import pytest

#: Runs in its own process (Tortoise's registry is process-wide): migrate a fresh SQLite database to the state before
#: a set of migrations, add rows the way that schema stored them, then migrate to the latest.
SCRIPT = r"""
import asyncio, sqlite3, sys
from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate
from pejling.core.database import tortoise_config
from pejling.core.settings import Settings

path, var_dir, stage = sys.argv[1], sys.argv[2], sys.argv[3]
config = tortoise_config(Settings(environment="test", var_dir=var_dir, database_url=f"sqlite://{path}",
                                  secret_key="upgrade-test-" + "k" * 40))

async def main():
    if stage == "before":
        await migrate(config=config, target="tenants.0005_submission_limits")
        await migrate(config=config, target="surveys.0009_tap_counter_response")
    else:
        await migrate(config=config)
    await Tortoise.close_connections()

asyncio.run(main())
"""

TENANT = "11111111-1111-4111-8111-111111111111"


async def _stage(tmp_path: Path, stage: str) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SCRIPT, str(tmp_path / "old.sqlite3"), str(tmp_path), stage,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(process.communicate(), timeout=180)
    assert process.returncode == 0, err.decode()[-3000:]


@pytest.mark.once
async def test_an_existing_database_with_rows_upgrades(tmp_path: Path) -> None:
    await _stage(tmp_path, "before")
    with sqlite3.connect(tmp_path / "old.sqlite3") as db:
        db.execute("INSERT INTO tenant (id, name, slug, default_language, brand_colour, logo_version, created_at) "
                   "VALUES (?, 'Old shop', 'old-shop', 'da', '#1f5f8b', 0, '2025-01-01 00:00:00')", [TENANT])
        row = {"tenant_id": TENANT, "store_id": TENANT, "survey_version_id": TENANT, "channel": "vipps",
               "via": "json", "language": "da", "device_class": "phone", "started_at": "2025-01-01 10:00:00",
               "submitted_at": "2025-01-01 10:01:00", "received_at": "2025-01-01 10:01:01", "duration_ms": 60000,
               "comment": "", "consent_contact": 0, "quality_flags": "[]", "client_key": ""}
        for number, details in enumerate(('{"verified_visit": true, "payment_reference": "o-1"}',
                                          '{"verified_visit": false}', None)):
            values = {**row, "id": f"00000000-0000-4000-8000-00000000000{number}", "receipt_code": f"AAA-AA{number}",
                      "channel_details": details}
            db.execute(f"INSERT INTO survey_response ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                       list(values.values()))
    await _stage(tmp_path, "after")
    with sqlite3.connect(tmp_path / "old.sqlite3") as db:
        assert db.execute("SELECT retention_months, retention_mode FROM tenant").fetchall() == [(None, "anonymise")]
        verified = db.execute("SELECT id, verified_visit, anonymised_at FROM survey_response ORDER BY id").fetchall()
    assert [(v, a) for _, v, a in verified] == [(1, None), (0, None), (0, None)]

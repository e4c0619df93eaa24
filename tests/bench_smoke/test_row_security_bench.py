"""The row-level security section's parts work (no timing is asserted): run at a tiny size, it measures the three
ways in, the restricted one really as the application role, and writes its ratios."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bench import row_security_bench

pytestmark = pytest.mark.postgres_only


def test_the_section_measures_each_way_in_and_writes_the_ratios(tmp_path: Path) -> None:
    env = {**os.environ, "BENCH_RLS_RESPONSES": "300", "BENCH_REPEAT": "2", "BENCH_RLS_ROUNDS": "1",
           "BENCH_INGEST": "0", "BENCH_RESULTS": str(tmp_path),
           "PEJLING_BENCH_DATABASE_URL": os.environ["PEJLING_TEST_DATABASE_URL"]}
    done = subprocess.run([sys.executable, "-m", "tests.bench", "row_security"], env=env, capture_output=True,
                          text=True, timeout=600, cwd=Path(__file__).parents[2])
    assert done.returncode == 0, done.stderr[-3000:]

    (written,) = tmp_path.glob("*.json")
    section = json.loads(written.read_text())["sections"]["row_security"]
    assert section["responses"] == 300
    for arm in row_security_bench.ARMS:
        assert section["insights_p50_ms"][arm] > 0
    assert "insights_p50_restricted_over_bypass" in section["ratios"]
    assert "insights p50: restricted ÷ plain" in done.stdout


def test_the_restricted_way_in_is_the_application_role() -> None:
    owner = "postgres://postgres@127.0.0.1:5432/bench_x"
    settings = row_security_bench.settings_for("restricted", owner, "k" * 40)
    assert settings.database_url == "postgres://pejling_bench_app@127.0.0.1:5432/bench_x"
    assert settings.database_owner_url == owner
    assert row_security_bench.settings_for("bypass", owner, "k" * 40).database_url == owner

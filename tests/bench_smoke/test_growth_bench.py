"""The insights and growth sections' parts work (no timing is asserted): one tenant grown through two tiny sizes in
the test database, its insights timed at each, both sections written into one result file with their ratios."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from pejling.core.settings import Settings
from tests.bench import growth_bench, insights_bench, results

pytestmark = pytest.mark.postgres_only  # the bulk generation is PostgreSQL SQL (generate_series, gen_random_uuid)


async def test_one_tenant_grows_through_the_sizes_and_both_sections_are_written(database: Settings,
                                                                                 tmp_path: Path) -> None:
    bench = await insights_bench.create_bench_tenant(slug=f"bench-{secrets.token_hex(3)}")
    points = [await insights_bench.measure_size(bench, database, size, repeat=2) for size in (120, 360)]

    assert [point["responses"] for point in points] == [120, 360]  # the second size adds to the first
    for point in points:
        assert point["rollup_rows"] > 0
        for timing in point["timings"].values():
            assert timing["n"] >= 2 and 0 < timing["p50_ms"] <= timing["p99_ms"]
    results.record("insights", *insights_bench.insights_section(points[-1]), folder=tmp_path)
    json_path, png_path = results.record("growth", *growth_bench.growth_section(points), folder=tmp_path)

    assert png_path.read_bytes().startswith(b"\x89PNG")
    written = json.loads(json_path.read_text())
    assert set(written["sections"]) == {"insights", "growth"}
    assert written["sections"]["insights"]["responses"] == 360  # the insights section is the largest size
    assert written["sections"]["growth"]["ratios"]["360/120"]["responses"] == pytest.approx(3.0)
    printed = results.table(written)
    assert "insights p50 360 ÷ 120" in printed and "insights p50 365 days ÷ 30 days" in printed
    assert "GraphQL query in process, cold over 90 days: p99 ms" in printed

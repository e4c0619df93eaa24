"""Benchmark section ``growth``: how the cost of ingest and of the store insights grows with the stored responses.

    PEJLING_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python -m tests.bench growth

One tenant grown through ``BENCH_GROWTH_SIZES`` (default 10 000, 100 000 and 1 000 000 responses; the bulk SQL of
:mod:`tests.bench.insights_bench`, rollups rebuilt at each size). At each size: the store insights timings (engine cold
over 30, 90 and 365 days, warm, GraphQL cold) and the public ingest of a served app (wrk, ``BENCH_SECONDS``). Reports
each size's figures and the growth ratios between consecutive sizes (insights p50 and ingest rate, beside the ratio
of the responses), and at the largest size how the insights grow with the days in the range. The largest size's
timings are also the ``insights`` section of the result (so ``make bench`` generates 1 000 000 responses once).
"""

from __future__ import annotations

import os
from typing import Any

from tests.bench import insights_bench, results

SIZES = tuple(int(size) for size in os.environ.get("BENCH_GROWTH_SIZES", "10000,100000,1000000").split(",") if size)


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return numerator / denominator if numerator is not None and denominator else None


def growth_section(points: list[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ``growth`` section: one row per size, then the ratios between consecutive sizes and between ranges."""
    figures: list[dict[str, Any]] = []
    for point in points:
        size = f"{point['responses']:,} responses"
        figures.append(results.figure(f"insights_p50_ms@{point['responses']}", f"{size}: insights p50 ms (90 days)",
                                      point["insights_p50_ms"]))
        figures.append(results.figure(f"ingest_per_s@{point['responses']}", f"{size}: ingest per s",
                                      point.get("ingest_per_s"), ".0f"))
    ratios: dict[str, dict[str, float | None]] = {}
    for smaller, larger in zip(points, points[1:], strict=False):
        name = f"{larger['target_responses']}/{smaller['target_responses']}"
        ratios[name] = {
            "responses": _ratio(larger["responses"], smaller["responses"]),
            "insights_p50": _ratio(larger["insights_p50_ms"], smaller["insights_p50_ms"]),
            "ingest_per_s": _ratio(larger.get("ingest_per_s"), smaller.get("ingest_per_s")),
        }
        shown = f"{larger['target_responses']:,} ÷ {smaller['target_responses']:,}"
        figures += [
            results.figure(f"responses_growth@{name}", f"responses {shown}", ratios[name]["responses"], ".2f"),
            results.figure(f"insights_growth@{name}", f"insights p50 {shown}", ratios[name]["insights_p50"], ".2f"),
            results.figure(f"ingest_growth@{name}", f"ingest rate {shown}", ratios[name]["ingest_per_s"], ".2f"),
        ]
    largest = points[-1]["timings"]
    days_ratio = {f"{days}d/30d": _ratio(largest[f"engine_cold_{days}d" if days != 90 else "engine_cold"]["p50_ms"],
                                         largest["engine_cold_30d"]["p50_ms"]) for days in (90, 365)}
    for name, value in days_ratio.items():
        days = name.split("d/")[0]
        figures.append(results.figure(f"days_growth@{name}", f"insights p50 {days} days ÷ 30 days, largest size",
                                      value, ".2f"))
    data = {"sizes": [point["target_responses"] for point in points], "points": points, "ratios": ratios,
            "days_ratios": days_ratio}
    return data, figures


def main() -> None:
    """The growth section (and the insights section at its largest size)."""
    points = insights_bench.run(insights_bench.admin_url(), SIZES, ingest=insights_bench.INGEST)
    results.record("insights", *insights_bench.insights_section(points[-1]))
    results.record("growth", *growth_section(points))


if __name__ == "__main__":
    main()

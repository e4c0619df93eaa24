"""Run every benchmark: ``python -m tests.bench`` (``make bench``). Benchmarks print numbers, they fail no build."""

from __future__ import annotations

import importlib

BENCHMARKS = ("tests.bench.http_bench", "tests.bench.survey_storage", "tests.bench.insights_bench",
              "tests.bench.fault_bench", "tests.bench.topology_bench")

if __name__ == "__main__":
    for name in BENCHMARKS:
        print(f"== {name}")
        importlib.import_module(name).main()

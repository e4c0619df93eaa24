"""Run every benchmark: ``python -m tests.bench`` (``make bench``). Benchmarks print numbers, they fail no build."""

from __future__ import annotations

import importlib
import os
import sys

# growth_bench also records the insights section at its largest size (1 000 000 responses generated once).
BENCHMARKS = ("tests.bench.http_bench", "tests.bench.survey_storage", "tests.bench.growth_bench",
              "tests.bench.fault_bench", "tests.bench.topology_bench",
              "tests.bench.row_security_bench")
#: ``python -m tests.bench <section> ...`` (or ``BENCH_SECTIONS=http,growth``) runs only those sections; a name
#: not listed here is ``tests.bench.<name>_bench``.
SECTIONS = {"storage": "tests.bench.survey_storage"}


def chosen(names: list[str]) -> tuple[str, ...]:
    """The benchmark modules to run: the sections named (argument or ``BENCH_SECTIONS``), else every one."""
    names = names or [name for name in os.environ.get("BENCH_SECTIONS", "").split(",") if name]
    return tuple(SECTIONS.get(name, f"tests.bench.{name}_bench") for name in names) or BENCHMARKS


if __name__ == "__main__":
    for name in chosen(sys.argv[1:]):
        print(f"== {name}")
        importlib.import_module(name).main()

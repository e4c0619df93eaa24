"""The load generator of the benchmarks: wrk runs (``tests/bench/wrk/*.lua``) and what they report.

``run_wrk`` drives a URL for some seconds and returns a :class:`Run` (requests, duration, p50/p99, errors, bytes)
from the JSON line ``wrk/report.lua`` prints; ``percentiles_ms`` gives the same cuts for timings taken in Python.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path

WRK_SCRIPTS = Path(__file__).resolve().parent / "wrk"
WRK_THREADS = 2


@dataclass
class Run:
    """One load run: how many requests completed in how long, their latency and what went wrong."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int = 0
    bytes: int = 0

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


def wrk_executable() -> str | None:
    """The wrk on PATH, or None (``make bench`` and ``make test`` install the Debian package)."""
    return shutil.which("wrk")


_REPORT = re.compile(r"^PEJLING_WRK (\{.*\})$", re.MULTILINE)


def parse_wrk_report(output: str) -> Run:
    """The :class:`Run` of the JSON line ``tests/bench/wrk/report.lua`` prints at the end of a wrk run."""
    match = _REPORT.search(output)
    if match is None:
        raise RuntimeError(f"wrk printed no report:\n{output}")
    report = json.loads(match.group(1))
    errors = sum(report[key] for key in ("connect_errors", "read_errors", "write_errors", "status_errors",
                                         "timeouts"))
    return Run(requests=report["requests"], seconds=report["duration_us"] / 1e6, p50_ms=report["p50_us"] / 1000,
               p99_ms=report["p99_us"] / 1000, errors=errors, bytes=report["bytes"])


def run_wrk(url: str, script: str, *, connections: int, seconds: float, headers: tuple[str, ...] = (),
            args: tuple[str, ...] = ()) -> Run:
    """Drive ``url`` with wrk and one of ``tests/bench/wrk/*.lua`` for ``seconds``."""
    executable = wrk_executable()
    if executable is None:
        raise RuntimeError("wrk is not installed (apt-get install -y wrk)")
    command = [executable, f"-t{min(WRK_THREADS, connections)}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
               "--latency", "--timeout", "10s", "-s", str(WRK_SCRIPTS / script)]
    for header in headers:
        command += ["-H", header]
    command += [url, "--", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_wrk_report(done.stdout)


def paced_interval_ms(rate: float, connections: int) -> float:
    """``ingest_paced.lua``'s argument: the milliseconds between two requests of one wrk thread for ``rate`` in all."""
    threads = min(WRK_THREADS, connections)
    return threads * 1000.0 / rate if rate > 0 else 1000.0


def percentiles_ms(latencies: list[float]) -> dict[str, float]:
    """p50 and p99 in milliseconds of latencies in seconds (the single value for fewer than two)."""
    if len(latencies) < 2:
        only = 1000 * (latencies[0] if latencies else 0.0)
        return {"p50_ms": only, "p99_ms": only}
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"p50_ms": 1000 * cuts[49], "p99_ms": 1000 * cuts[98]}

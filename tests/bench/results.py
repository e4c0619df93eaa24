"""One result per ``make bench`` run: ``bench/results/<date>.json`` and a PNG chart, every section merged into them.

Each benchmark section (``http``, ``insights``, ``growth``) calls :func:`record` with its data and its figures; the
file of this process's run (named after when the first section began) gains that section, and the chart and the
printed table are redrawn from the whole file. A section run alone makes a file of its own.

A figure is one number with its label and, where issue 16 names one, its target and whether it must be reached from
below (``≥``, the default) or stay under it (``≤``). The table prints each beside its target: met, or missed by how
much (value ÷ target).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
#: Where result files go (``BENCH_RESULTS`` to choose another folder).
RESULTS = Path(os.environ.get("BENCH_RESULTS") or ROOT / "bench" / "results")
#: When this process's bench run began: the name of its one result file.
RUN_STARTED = datetime.now(UTC)


def figure(key: str, label: str, value: float | None, fmt: str = ".1f", *, target: float | None = None,
           at_most: bool = False) -> dict[str, Any]:
    """A figure of a section: ``value`` printed with ``fmt``, held to ``target`` (``≤`` with ``at_most``)."""
    return {"key": key, "label": label, "value": value, "fmt": fmt, "target": target, "at_most": at_most}


def run_row(key: str, label: str, run: dict[str, Any]) -> dict[str, Any]:
    """A row of a section's load table: a run's rate, p50, p99 and errors (``Run`` as a dict)."""
    return {"key": key, "label": label, "kind": "run", "per_second": run["per_second"], "p50_ms": run["p50_ms"],
            "p99_ms": run["p99_ms"], "errors": run["errors"]}


def verdict(item: dict[str, Any]) -> str:
    """``met`` or ``missed (0.42 x)`` for a figure with a target; empty without one or without a value."""
    target, value = item.get("target"), item.get("value")
    if target is None or value is None:
        return ""
    met = value <= target if item.get("at_most") else value >= target
    return "met" if met else f"missed ({value / target:.2f} x)"


def result_paths(folder: Path = RESULTS, started: datetime = RUN_STARTED) -> tuple[Path, Path]:
    stem = started.isoformat(timespec="seconds").replace(":", "-").replace("+00-00", "Z")
    return folder / f"{stem}.json", folder / f"{stem}.png"


def machine() -> dict[str, Any]:
    """The machine the figures belong to, with its load average when the section ended (others' work included)."""
    return {"cores": os.cpu_count(), "platform": sys.platform, "python": sys.version.split()[0],
            "load_average": [round(load, 2) for load in os.getloadavg()]}


def record(section: str, data: dict[str, Any], figures: list[dict[str, Any]], *, folder: Path = RESULTS,
           started: datetime = RUN_STARTED) -> tuple[Path, Path]:
    """Merge one section into this run's result file, redraw its chart and print the section's table."""
    json_path, png_path = result_paths(folder, started)
    folder.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = (json.loads(json_path.read_text()) if json_path.exists() else
                              {"date": started.isoformat(timespec="seconds"), "sections": {}, "figures": {}})
    result.setdefault("machines", {})[section] = machine()
    result["sections"][section] = data
    result["figures"][section] = figures
    json_path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    write_chart(result, png_path)
    print(table(result, only=section))
    print(f"  written: {_shown_path(json_path)}, {_shown_path(png_path)}")
    return json_path, png_path


def _shown_path(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def table(result: dict[str, Any], only: str | None = None) -> str:
    """The printed table: every section's figures (or one section's), each beside its target."""
    rows: list[str] = []
    for section, figures in result["figures"].items():
        if only is not None and section != only:
            continue
        load = result.get("machines", {}).get(section, {}).get("load_average")
        rows.append(f"-- {section}" + (f" (load average {load[0]:.2f} at the end)" if load else ""))
        if any(item.get("kind") == "run" for item in figures):
            rows.append(f"  {'run':52s} {'per s':>10s} {'p50 ms':>9s} {'p99 ms':>9s} {'errors':>7s}")
        for item in figures:
            if item.get("kind") == "run":
                rows.append(f"  {item['label']:52s} {item['per_second']:10.0f} {item['p50_ms']:9.1f} "
                            f"{item['p99_ms']:9.1f} {item['errors']:7d}")
                continue
            value = item["value"]
            shown = "n/a" if value is None else format(value, item["fmt"])
            target = item.get("target")
            aim = "" if target is None else f"target {'≤' if item.get('at_most') else '≥'} {target:g}: {verdict(item)}"
            rows.append(f"  {item['label']:52s} {shown:>10s}   {aim}".rstrip())
    return "\n".join(rows)


def write_chart(result: dict[str, Any], path: Path) -> None:
    """One PNG with a panel per section: request rates (log), insights latency against 50 ms, cost by size."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    sections = result["sections"]
    panels = [name for name in ("http", "insights", "growth") if name in sections]
    if not panels:
        return
    figure_, axes_list = pyplot.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.8), dpi=100, squeeze=False)
    for axes, name in zip(axes_list[0], panels, strict=True):
        data = sections[name]
        if name == "http":
            runs = data["runs"]
            names = list(runs)
            rates = [runs[run]["per_second"] for run in names]
            bars = axes.bar(names, rates, color="#1f77b4")
            axes.bar_label(bars, labels=[f"{rate:.0f}" for rate in rates], fontsize=7)
            axes.set_yscale("log")
            axes.set_ylabel("requests per second")
            axes.tick_params(axis="x", labelrotation=60, labelsize=7)
            axes.set_title("HTTP (" + data.get("server", "") + ")", fontsize=9)
        elif name == "insights":
            timings = data["timings"]
            labels = list(timings)
            x = range(len(labels))
            axes.bar([i - 0.2 for i in x], [timings[k]["p50_ms"] for k in labels], width=0.4, label="p50")
            axes.bar([i + 0.2 for i in x], [timings[k]["p99_ms"] for k in labels], width=0.4, label="p99")
            axes.axhline(50, color="#d62728", linestyle="--", linewidth=1, label="50 ms target")
            axes.set_xticks(list(x), labels, fontsize=7)
            axes.set_ylabel("ms")
            axes.legend(fontsize=7)
            axes.set_title(f"store insights, {data['responses']:,} responses", fontsize=9)
        else:
            points = data["points"]
            sizes = [point["responses"] for point in points]
            axes.plot(sizes, [point["insights_p50_ms"] for point in points], marker="o", label="insights p50 (ms)")
            if all(point.get("ingest_per_s") for point in points):
                axes.plot(sizes, [point["ingest_per_s"] for point in points], marker="s", label="ingest (responses/s)")
            axes.set_xscale("log")
            axes.set_yscale("log")
            axes.set_xlabel("stored responses")
            axes.legend(fontsize=7)
            axes.set_title("how cost grows", fontsize=9)
    figure_.suptitle(f"Pejling make bench {result['date']}", fontsize=10)
    figure_.tight_layout()
    figure_.savefig(path)
    pyplot.close(figure_)

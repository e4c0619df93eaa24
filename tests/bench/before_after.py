"""Before and after a change in one run: the set-up the ``page``, ``request_path`` and ``ingest`` sections share.

With ``BENCH_BEFORE_REF`` (a commit) a second server runs that commit's code (:func:`source_tree`) on a database of
its own beside this tree's, and the rounds alternate between the two (:func:`alternate`), so both meet the same load
of the machine; without it only this tree's server runs. Each section says what one round measures.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from tests.bench import results
from tests.bench.http_bench import WORKERS
from tests.bench.load import wrk_executable
from tests.bench.results import ROOT
from tests.bench.server_site import (
    Site,
    admin_url,
    pejling_command,
    read_site,
    running_server,
    server_environment,
    throwaway_database,
)

#: A commit to measure beside this tree in the same run (``BENCH_BEFORE_REF=HEAD~1``): its ``pejling`` package,
#: from ``git archive``, serves a second server on a database of its own, and the rounds alternate between the two.
BEFORE_REF = os.environ.get("BENCH_BEFORE_REF", "")

_Server = TypeVar("_Server")
#: ``serve(stack, name, secret_key, tmp, python_path)``: start one variant's server (``python_path``: a
#: :func:`source_tree` for "before", None for this tree), kept running until ``stack`` closes.
Serve = Callable[[ExitStack, str, str, Path, "Path | None"], _Server]


def source_tree(ref: str, folder: Path) -> Path:
    """``ref``'s source as an importable ``pejling`` package under ``folder`` (which goes first on PYTHONPATH)."""
    package = folder / "pejling"
    package.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(package)], input=archive, check=True)
    (package / "__init__.py").touch()  # a regular package, so it wins over this tree's editable install
    return folder


def prepared(stack: ExitStack, name: str, secret_key: str, tmp: Path,
             python_path: Path | None) -> tuple[str, Path, dict[str, str]]:
    """A throw-away database migrated and seeded with the demo tenant by ``python_path``'s code (first on its
    ``PYTHONPATH``: a :func:`source_tree`; None: this tree's): the database URL, the server's folder and its
    environment. A failing step raises with the end of its output."""
    database_url = stack.enter_context(throwaway_database(admin_url()))
    var_dir = tmp / name
    var_dir.mkdir()
    env = server_environment(database_url, var_dir, secret_key)
    if python_path is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(python_path), env["PYTHONPATH"]])
    for step in (("migrate",), ("demo",)):
        done = subprocess.run(pejling_command(*step), env=env, cwd=var_dir, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"pejling {step[0]} failed for {name}: {done.stderr[-2000:] or done.stdout[-2000:]}")
    return database_url, var_dir, env


def serve_site(stack: ExitStack, name: str, secret_key: str, tmp: Path, python_path: Path | None) -> Site:
    """:func:`prepared`, then a server as ``pejling serve`` starts it; its :class:`Site` with a fresh owner
    session."""
    from pejling.tenants.demo import DEMO_SLUG

    database_url, var_dir, env = prepared(stack, name, secret_key, tmp, python_path)
    base = stack.enter_context(running_server(env, workers=WORKERS, log=var_dir / "server.log"))
    return asyncio.run(read_site(database_url, base, secret_key, DEMO_SLUG))


@dataclass
class Rounds(Generic[_Server]):
    """What :func:`alternate` measured: each variant's rounds in order, and what ``while_up`` found."""

    by_variant: dict[str, list[dict[str, Any]]]
    found: dict[str, Any] = field(default_factory=dict)

    @property
    def variants(self) -> list[str]:
        return list(self.by_variant)

    def best(self, name: str, key: str) -> dict[str, Any]:
        """The round of ``name`` with the highest ``key``."""
        return max(self.by_variant[name], key=lambda measured: measured[key])


def alternate(section: str, serve: Serve[_Server], warm: Callable[[_Server], object],
              measure: Callable[[_Server], dict[str, Any]], repeat: int, *,
              while_up: Callable[[dict[str, _Server]], dict[str, Any]] | None = None,
              show: bool = False) -> Rounds[_Server] | None:
    """Start the servers ("before" first when ``BENCH_BEFORE_REF`` is set, then "after"), ask ``while_up`` what it
    needs of them once, warm each up, then ``repeat`` times measure each in turn; None (said) without wrk."""
    if wrk_executable() is None:
        print(f"{section} bench: wrk is not installed (make bench installs it: apt-get install -y wrk)")
        return None
    secret_key = secrets.token_urlsafe(32)
    variants = (["before"] if BEFORE_REF else []) + ["after"]
    rounds: Rounds[_Server] = Rounds({name: [] for name in variants})
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="pejling-bench-") as tmp_name:
        tmp = Path(tmp_name)
        servers = {name: serve(stack, name, secret_key, tmp,
                               source_tree(BEFORE_REF, tmp / "before-tree") if name == "before" else None)
                   for name in variants}
        if while_up is not None:
            rounds.found = while_up(servers)
        for server in servers.values():
            warm(server)
        for _ in range(repeat):
            for name, server in servers.items():
                rounds.by_variant[name].append(measure(server))
                if show:
                    print(name, rounds.by_variant[name][-1], flush=True)
    return rounds


def after_over_before(data: dict[str, Any], rows: list[Any], key: str, label: str, fmt: str) -> None:
    """With a "before" server: ``after_<key>`` ÷ ``before_<key>`` into ``data`` and as a figure row."""
    if BEFORE_REF and data.get(f"before_{key}"):
        data["after_over_before"] = data[f"after_{key}"] / data[f"before_{key}"]
        rows.append(results.figure("after_over_before", f"{label}, after ÷ before (best rounds)",
                                   data["after_over_before"], fmt))

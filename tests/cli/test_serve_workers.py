"""``pejling serve --workers N`` as a real process: N app processes answer on the one port and stop with it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from pejling.core.settings import Settings
from tests.support.cli import pejling
from tests.support.server import wait_until_healthy


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def _workers(pid: int) -> list[int]:
    """The app processes uvicorn's supervisor started (multiprocessing spawns them; not its resource tracker)."""
    found = []
    for child in _children(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
        except FileNotFoundError:
            continue
        if b"multiprocessing" in command and b"resource_tracker" not in command:
            found.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text()


@pytest.mark.once
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process tree from /proc")
def test_serve_with_two_workers_runs_two_app_processes(database: Settings, tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ, "PEJLING_DATABASE_URL": database.resolved_database_url, "PEJLING_VAR_DIR": str(tmp_path),
        "PEJLING_SECRET_KEY": database.secret_key.get_secret_value(), "PEJLING_ENVIRONMENT": "test",
        "PEJLING_RUN_WORKER_IN_APP": "false", "PEJLING_LOG_LEVEL": "WARNING",
    }
    command = [str(Path(sys.executable).with_name("pejling")), "serve", "--port", str(port), "--workers", "2"]
    server = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(server, base)
        deadline = time.monotonic() + 60
        while len(_workers(server.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        workers = _workers(server.pid)
        assert len(workers) == 2, workers
        # Every worker serves the app: fresh connections are answered whichever process accepts them.
        for _ in range(20):
            assert httpx.get(f"{base}/healthz", headers={"Connection": "close"}, timeout=10).json() == {"status": "ok"}
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert server.returncode == 0
    deadline = time.monotonic() + 10
    while any(_alive(worker) for worker in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(worker) for worker in workers), "a worker outlived the server"


@pytest.mark.once
async def test_serve_refuses_fewer_than_one_worker(tmp_path: Path) -> None:
    code, _, err = await pejling(None, tmp_path, "serve", "--workers", "0")
    assert code == 2 and "--workers must be at least 1" in err

"""Real processes for tests and benchmarks: a free port, a Pejling server that answers, and a clean stop."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    """A TCP port on the loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_healthy(process: subprocess.Popen[Any], base: str, attempts: int = 1200) -> None:
    """Return once ``base``/healthz answers 200; fail when the process exits first or never answers within
    ``attempts`` tenths of a second (start-up waits on imports and migrations, slow on a loaded machine)."""
    deadline = time.monotonic() + attempts / 10
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited during start-up"
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("the server did not start")


def stop(process: subprocess.Popen[Any], timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL when the process has not ended within ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def serving(command: list[str], *, port: int, env: dict[str, str] | None = None, cwd: str | Path | None = None,
            log: Path | None = None, attempts: int = 1200,
            stop_timeout: float = 10) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run ``command`` (a server listening on ``port``) for the block once its ``/healthz`` answers; yields its base
    URL and process, and stops it at the end. Its output goes to ``log`` when given."""
    with ExitStack() as stack:
        output = stack.enter_context(log.open("wb")) if log is not None else None
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=output,
                                   stderr=subprocess.STDOUT if output is not None else None)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_healthy(process, base, attempts=attempts)
            yield base, process
        finally:
            stop(process, stop_timeout)

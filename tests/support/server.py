"""A Pejling server started as a real process for a test: wait until it answers."""

from __future__ import annotations

import subprocess
import time
from typing import Any

import httpx


def wait_until_healthy(process: subprocess.Popen[Any], base: str, attempts: int = 300) -> None:
    """Return once ``base``/healthz answers 200; fail when the process exits first or never answers."""
    for _ in range(attempts):
        assert process.poll() is None, "the server exited during start-up"
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("the server did not start")

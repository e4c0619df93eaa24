"""Run the real ``pejling`` command in a subprocess against a given database."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from pejling.core.settings import Settings


async def pejling(settings: Settings | None, tmp_path: Path, *args: str,
                  environment: Mapping[str, str] | None = None) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``pejling *args``; ``settings=None`` uses the default SQLite under tmp_path.

    ``environment`` adds or replaces variables (``PEJLING_ENVIRONMENT=production`` …)."""
    executable = Path(sys.executable).with_name("pejling")
    env = {**os.environ, "PEJLING_VAR_DIR": str(tmp_path), "PEJLING_ENVIRONMENT": "test",
           "PEJLING_LOG_LEVEL": "WARNING"}
    env.pop("PEJLING_DATABASE_URL", None)
    if settings is not None:
        env["PEJLING_DATABASE_URL"] = settings.resolved_database_url
        env["PEJLING_DATABASE_OWNER_URL"] = settings.database_owner_url  # migrations run as the owner
    env.update(environment or {})
    process = await asyncio.create_subprocess_exec(
        str(executable), *args, env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=180)
    return process.returncode or 0, out.decode(), err.decode()

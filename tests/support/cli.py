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


#: A production secret key that passes the start checks (``core/start_checks.py``).
PRODUCTION_KEY = "a-production-key-of-our-own-4d8f2a9c7b1e6f03"


def production_environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    """The environment of a production process that passes every start check (an SQLite file under ``tmp_path``,
    mails kept as files), with ``settings`` on top; no other ``PEJLING_*`` variable of this process leaks in."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("PEJLING_") or key.startswith("PEJLING_TEST_")}
    env.update({"PEJLING_ENVIRONMENT": "production", "PEJLING_VAR_DIR": str(tmp_path),
                "PEJLING_SECRET_KEY": PRODUCTION_KEY, "PEJLING_MAIL_TO_FILES": "true", "PEJLING_LOG_LEVEL": "WARNING",
                "PEJLING_DATABASE_URL": f"sqlite://{tmp_path / 'pejling.sqlite3'}", **settings})
    return env


async def pejling_with(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str]:
    """Exit status and standard error of the real ``pejling *args`` in exactly the environment ``env``."""
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("pejling")), *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, err.decode()

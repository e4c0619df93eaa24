"""Every module that registers job kinds is imported by the standalone worker (``JOB_MODULES``)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {"core": "pejling.core", "tenants": "pejling.tenants", "graphql": "pejling.graphql"}
REGISTRATION = re.compile(r"^@register_job\(", re.MULTILINE)


def modules_registering_job_kinds() -> set[str]:
    found = set()
    for folder, package in PACKAGES.items():
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" not in path.parts and REGISTRATION.search(path.read_text()):
                dotted = ".".join(path.relative_to(ROOT / folder).with_suffix("").parts)
                found.add(f"{package}.{dotted}")
    return found


@pytest.mark.once
def test_pejling_worker_imports_every_module_that_registers_job_kinds() -> None:
    expected = modules_registering_job_kinds()
    assert "pejling.core.jobs.housekeeping" in expected
    script = (
        "import json, sys\n"
        "from pejling.core.jobs import load_job_kinds\n"
        "load_job_kinds()\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    imported = set(json.loads(result.stdout.strip().splitlines()[-1]))
    missing = sorted(expected - imported)
    assert not missing, f"add these to pejling.core.jobs.registry.JOB_MODULES: {missing}"

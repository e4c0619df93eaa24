"""The built wheel contains every module and every file the app serves, and no source-control data (ASVS V13.4.1)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGES = {"core": "pejling/core", "graphql": "pejling/graphql", "plugins": "pejling/plugins",
            "tenants": "pejling/tenants", "frontend": "pejling/frontend"}
SERVED = (".html", ".css", ".js", ".toml", ".svg", ".png", ".ico", ".json", ".txt", ".po")


def _tracked(folder: str) -> list[str]:
    out = subprocess.run(["git", "ls-files", folder], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    files = out.split()
    untracked = subprocess.run(["git", "ls-files", "--others", "--exclude-standard", folder], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.split()
    return files + untracked


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this checkout (once for the module)."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
                   check=True, capture_output=True)
    return next(out.glob("pejling-*.whl"))


@pytest.mark.once
def test_wheel_contains_every_module_and_served_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = []
    for folder, target in PACKAGES.items():
        for path in _tracked(folder):
            if path.endswith(".py") or path.endswith(SERVED):
                # node packages and the portal's sources are build inputs; the server serves their build output
                if "/node_modules/" in path or path.startswith("frontend/portal/") or \
                        path.endswith(("package.json", "package-lock.json")):
                    continue
                expected.append(target + path.removeprefix(folder))
    missing = sorted(set(expected) - names)
    assert not missing, f"missing from the wheel: {missing}"
    for top in ("core", "graphql", "plugins", "tenants"):
        assert f"pejling/{top}/__init__.py" not in names, "a top-level __init__.py would hide graphql-core"
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "pejling = pejling.core.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


@pytest.mark.once
def test_wheel_holds_no_source_control_data_or_tests(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "pejling/frontend/static/survey.js" in names  # the served files are there
    for name in names:
        parts = name.split("/")
        assert not any(part in {".git", ".hg", ".svn"} or part.startswith((".git", ".env")) for part in parts), name
        assert "node_modules" not in parts and parts[0] != "tests", name

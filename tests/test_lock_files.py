"""The inventory of third-party components pins each one to a version and a hash (ASVS V15.1.2).

``requirements/*.lock`` (made by ``uv pip compile --generate-hashes``): every requirement is ``name==version`` with
at least one ``--hash=sha256:``, so pip and uv refuse a file that differs from the one locked.
``frontend/package-lock.json``: every installed package has a version and an ``integrity`` hash (sha512), and any
``resolved`` URL is an https one of the npm registry.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCKS = sorted((ROOT / "requirements").glob("*.lock"))
REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)")


def _requirements(lock: Path) -> dict[str, str]:
    """Each requirement of a lock file (its continuation lines joined) by name."""
    joined = lock.read_text(encoding="utf-8").replace("\\\n", " ")
    entries = {}
    for line in joined.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        assert not line.startswith((" ", "\t")), f"{lock.name}: a line outside any requirement: {line!r}"
        match = REQUIREMENT.match(line)
        assert match, f"{lock.name}: not pinned to one version: {line!r}"
        entries[match.group(1).lower()] = line
    return entries


@pytest.mark.parametrize("lock", LOCKS, ids=[lock.name for lock in LOCKS])
def test_every_python_requirement_is_pinned_with_a_hash(lock: Path) -> None:
    entries = _requirements(lock)
    assert len(entries) > 20 and {"starlette", "cryptography"} <= set(entries)
    unhashed = [name for name, line in entries.items() if not re.search(r"--hash=sha256:[0-9a-f]{64}\b", line)]
    assert unhashed == []


def test_the_lock_files_are_there() -> None:
    assert {lock.name for lock in LOCKS} >= {"app.lock", "test.lock"}


def test_every_npm_package_is_locked_with_an_integrity_hash() -> None:
    lock = json.loads((ROOT / "frontend" / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["lockfileVersion"] >= 2
    packages = {path: entry for path, entry in lock["packages"].items() if path and not entry.get("link")}
    assert len(packages) > 100 and "node_modules/react" in packages
    problems = []
    for path, entry in packages.items():
        if not entry.get("version"):
            problems.append(f"{path}: no version")
        if not re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", entry.get("integrity", "")):
            problems.append(f"{path}: no sha512 integrity")
        if "resolved" in entry and not entry["resolved"].startswith("https://registry.npmjs.org/"):
            problems.append(f"{path}: resolved from {entry['resolved']}")
    assert problems == []

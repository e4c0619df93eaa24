"""A secrets manager's folder for tests (``PEJLING_SECRETS_DIR``): made under the test's folder, and rewritten the way
a secrets agent rewrites it."""

from __future__ import annotations

from pathlib import Path

import pytest


def secrets_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *unset: str) -> Path:
    """A new ``secrets`` folder under ``tmp_path`` named by ``PEJLING_SECRETS_DIR``, the settings ``unset`` taken out
    of the environment (so they come from the folder only)."""
    folder = tmp_path / "secrets"
    folder.mkdir()
    monkeypatch.setenv("PEJLING_SECRETS_DIR", str(folder))
    for name in unset:
        monkeypatch.delenv(name, raising=False)
    return folder


def rewrite_secret(folder: Path, name: str, value: str) -> None:
    """Write the setting ``name``'s file as a secrets agent does: a new file renamed over the old one."""
    draft = folder / f".{name}.new"
    draft.write_text(value + "\n")
    draft.replace(folder / name)

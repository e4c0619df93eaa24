"""The playbook: concrete levers per implicit goal, in the tenant's language (``playbook.toml``)."""

from __future__ import annotations

import tomllib
from functools import lru_cache

from pejling.core.contracts import LANGUAGES
from pejling.core.goals import GOALS, PLAYBOOK_FILE


@lru_cache(maxsize=1)
def playbook() -> dict[str, dict[str, tuple[str, ...]]]:
    """Every goal's levers per language, checked: each goal has levers in every language."""
    with PLAYBOOK_FILE.open("rb") as handle:
        data = tomllib.load(handle)
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for goal in GOALS:
        entry = data.get(goal)
        if not isinstance(entry, dict):
            raise ValueError(f"playbook.toml: no levers for goal {goal!r}")
        out[goal] = {}
        for language in LANGUAGES:
            levers = entry.get(language)
            if not isinstance(levers, list) or not levers or not all(isinstance(x, str) and x for x in levers):
                raise ValueError(f"playbook.toml: goal {goal!r} needs levers in {language!r}")
            out[goal][language] = tuple(levers)
    return out


def levers(goal: str, language: str) -> tuple[str, ...]:
    """The levers of ``goal`` in ``language`` (English when the language is not covered)."""
    entry = playbook().get(goal)
    if entry is None:
        return ()
    return entry.get(language) or entry["en"]

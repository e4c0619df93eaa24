"""The statement bank: the built-in statements of the implicit-goals model plus each tenant's own statements.

The built-in statements live in ``core/goals/statements.toml`` (ids ``<goal>.<slug>``, stable forever). A statement
that may not fit every visit (about the staff, a queue, paying) says ``may_not_apply = true``: the survey page then
offers a "doesn't apply" answer under it, and the ingest accepts that answer for such statements only.
A tenant may add statements mapped to a goal; their ids are ``<goal>.t-<slug>`` so they never collide with a
built-in id (built-in slugs never start with ``t-``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pejling.core.contracts import LANGUAGES
from pejling.core.goals import GOALS, STATEMENTS_FILE, WARMUP_GOAL

# GOALS and WARMUP_GOAL are defined in pejling.core.goals (several survey and insights modules import them from here).

STATEMENT_ID = re.compile(r"^[a-z]+\.[a-z0-9](?:[a-z0-9-]{0,60}[a-z0-9])?$")
TENANT_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,40}[a-z0-9])?$")
MAX_STATEMENT_CHARS = 140


class BankError(ValueError):
    """The statement bank file is missing or malformed."""


@dataclass(frozen=True)
class BankStatement:
    """One statement: its stable id, the goal it measures, its polarity and its text per language.

    ``may_not_apply``: the statement may not fit the shopper's visit (staff, queue, paying), so the page offers
    "doesn't apply" under it (stored as such and kept out of every figure).
    """

    id: str
    goal: str
    polarity: int
    warmup: bool
    texts: Mapping[str, str]
    builtin: bool = True
    may_not_apply: bool = False

    def text(self, language: str) -> str:
        return self.texts.get(language) or self.texts["en"]


@dataclass(frozen=True)
class Bank:
    """Every built-in statement with the shared texts of the page (outcome question, comment prompt, scale)."""

    statements: tuple[BankStatement, ...]
    outcome: Mapping[str, str]
    comment: Mapping[str, str]
    scale: Mapping[str, tuple[str, ...]]
    by_id: Mapping[str, BankStatement] = field(default_factory=dict)

    def get(self, statement_id: str) -> BankStatement | None:
        return self.by_id.get(statement_id)

    @property
    def warmups(self) -> tuple[BankStatement, ...]:
        return tuple(s for s in self.statements if s.warmup)

    @property
    def scored(self) -> tuple[BankStatement, ...]:
        return tuple(s for s in self.statements if not s.warmup)

    def default_selection(self) -> tuple[list[str], list[str]]:
        """The statements of a new survey: the first statement of every goal and the first warm-up (8 taps)."""
        scored: list[str] = []
        for goal in GOALS:
            first = next((s for s in self.scored if s.goal == goal), None)
            if first is not None:
                scored.append(first.id)
        warmups = [s.id for s in self.warmups[:1]]
        return scored, warmups


def default_bank_path() -> Path:
    """Where the built-in bank lives: ``pejling/core/goals/statements.toml``."""
    return STATEMENTS_FILE


def _texts(raw: Any, where: str) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        raise BankError(f"{where}: expected a table with one text per language")
    texts: dict[str, str] = {}
    for language in LANGUAGES:
        value = raw.get(language)
        if not isinstance(value, str) or not value.strip():
            raise BankError(f"{where}: missing text for language {language!r}")
        texts[language] = value.strip()
    return texts


def parse_bank(data: Mapping[str, Any], *, source: str = "statements.toml") -> Bank:
    """Check and turn the parsed TOML into a :class:`Bank`. Raises :class:`BankError` on any defect."""
    rows = data.get("statement")
    if not isinstance(rows, list) or not rows:
        raise BankError(f"{source}: no [[statement]] entries")
    statements: list[BankStatement] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        where = f"{source}: statement #{index + 1}"
        sid = row.get("id")
        if not isinstance(sid, str) or not STATEMENT_ID.match(sid):
            raise BankError(f"{where}: id must look like '<goal>.<slug>'")
        if sid in seen:
            raise BankError(f"{where}: duplicate id {sid!r}")
        seen.add(sid)
        warmup = bool(row.get("warmup", False))
        goal = row.get("goal")
        if warmup:
            goal = WARMUP_GOAL
        if goal not in (*GOALS, WARMUP_GOAL):
            raise BankError(f"{where}: unknown goal {goal!r}")
        if not sid.startswith(f"{goal}.") or sid.split(".", 1)[1].startswith("t-"):
            raise BankError(f"{where}: id {sid!r} must start with its goal and its slug must not start with 't-'")
        polarity = row.get("polarity", 1)
        if polarity not in (1, -1):
            raise BankError(f"{where}: polarity must be 1 or -1")
        may_not_apply = row.get("may_not_apply", False)
        if not isinstance(may_not_apply, bool) or (may_not_apply and warmup):
            raise BankError(f"{where}: may_not_apply must be true or false, and a warm-up always applies")
        statements.append(
            BankStatement(sid, str(goal), int(polarity), warmup, _texts(row, where), may_not_apply=may_not_apply)
        )
    outcome_raw = data.get("outcome", {})
    if isinstance(outcome_raw, Mapping) and isinstance(outcome_raw.get("nps"), Mapping):
        outcome_raw = outcome_raw["nps"]
    scale_raw = data.get("scale", {})
    if isinstance(scale_raw, Mapping) and isinstance(scale_raw.get("labels"), Mapping):
        scale_raw = scale_raw["labels"]
    scale: dict[str, tuple[str, ...]] = {}
    for language in LANGUAGES:
        labels = scale_raw.get(language) if isinstance(scale_raw, Mapping) else None
        if not isinstance(labels, Sequence) or isinstance(labels, str) or len(labels) != 5:
            raise BankError(f"{source}: [scale] needs 5 labels for language {language!r}")
        scale[language] = tuple(str(label) for label in labels)
    return Bank(
        statements=tuple(statements),
        outcome=_texts(outcome_raw, f"{source}: [outcome]"),
        comment=_texts(data.get("comment", {}), f"{source}: [comment]"),
        scale=scale,
        by_id={s.id: s for s in statements},
    )


def load_bank(path: Path | None = None) -> Bank:
    """Read and check a bank file (the built-in one by default). Cached per path."""
    return _load_cached(str(path or default_bank_path()))


@lru_cache(maxsize=8)
def _load_cached(path: str) -> Bank:
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise BankError(f"statement bank not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise BankError(f"{path}: {exc}") from None
    return parse_bank(data, source=Path(path).name)


_override: Path | None = None


def use_bank_file(path: Path | None) -> None:
    """Make :func:`current_bank` read another file (tests with a small fixture bank), or the built-in one again."""
    global _override
    _override = path


def current_bank() -> Bank:
    """The bank in use by the survey: the built-in file unless :func:`use_bank_file` chose another."""
    return load_bank(_override)


def tenant_statement_id(goal: str, slug: str) -> str:
    """The id of a tenant statement: ``<goal>.t-<slug>``."""
    if goal not in GOALS:
        raise ValueError(f"goal must be one of {', '.join(GOALS)}")
    if not TENANT_SLUG.match(slug):
        raise ValueError("slug: use 1-42 lowercase letters, digits and hyphens")
    return f"{goal}.t-{slug}"


def tenant_statement(key: str, goal: str, polarity: int, texts: Mapping[str, str]) -> BankStatement:
    """A tenant statement in the same shape as a built-in one."""
    return BankStatement(key, goal, polarity, False, dict(texts), builtin=False)

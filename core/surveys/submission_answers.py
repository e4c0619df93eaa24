"""The answers of a submission: one tap per statement of the survey version, its value and reaction time.

Statements are answered 1-5; a scoring model's question on its own scale (1-5, 1-7, 0-10, or yes/no as 0/1), as
the survey version keeps it (:mod:`pejling.core.surveys.model_items`). A statement or question that ``may_not_apply``
may instead be answered "doesn't apply": ``{"not_applicable": true, "value": null}`` (``value`` may be left out); for
any other statement that answer is refused (422 ``not_applicable_refused``) and nothing is stored. Such a tap keeps its
position and reaction time but has no value: :func:`applicable` leaves it out of everything that computes a figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pejling.core.surveys.bank import BankStatement
from pejling.core.surveys.model_items import MODEL_GOAL, version_items
from pejling.core.surveys.models import SurveyVersion
from pejling.core.surveys.refusals import IngestRefused
from pejling.core.surveys.submission_fields import read_whole_number
from pejling.core.surveys.submission_lookups import tenant_statements

MAX_REACTION_MS = 60_000
MAX_ANSWERS = 20
VALUE_MIN, VALUE_MAX = 1, 5


@dataclass
class Tap:
    """One checked answer, with its statement's goal and polarity (``value`` None: "doesn't apply")."""

    statement_id: str
    goal: str
    polarity: int
    value: int | None
    position: int
    reaction_ms: int | None
    warmup: bool
    not_applicable: bool = False


@dataclass
class ValuedTap:
    """A tap that carries a value (what scoring and the rollups read)."""

    statement_id: str
    goal: str
    polarity: int
    value: int
    position: int
    reaction_ms: int | None
    warmup: bool
    not_applicable: bool = False


def applicable(taps: Iterable[Tap]) -> list[ValuedTap]:
    """The taps that carry a value: every figure (scores, rollups, plugins' scores) reads these only."""
    return [ValuedTap(t.statement_id, t.goal, t.polarity, t.value, t.position, t.reaction_ms, t.warmup)
            for t in taps if not t.not_applicable and t.value is not None]


async def check_answers(
    answers: Any, version: SurveyVersion, statements: Mapping[str, BankStatement] | None = None
) -> list[Tap]:
    """The taps of ``answers``: 1-20 answers, each to another statement of ``version``, at least one scored.

    ``statements``: every statement the tenant may use, when already read (else read here)."""
    if not isinstance(answers, list) or not answers:
        raise IngestRefused(422, "invalid_answers", "answers must be a non-empty list.", "answers")
    if len(answers) > MAX_ANSWERS:
        raise IngestRefused(422, "invalid_answers", f"At most {MAX_ANSWERS} answers.", "answers")
    in_version = set(version.statement_ids) | set(version.warmup_ids)
    items = {item.id: item for item in version_items(version)}
    statements = statements if statements is not None else await tenant_statements()
    taps: list[Tap] = []
    seen: set[str] = set()
    positions: set[int] = set()
    for index, raw in enumerate(answers):
        where = f"answers[{index}]"
        if not isinstance(raw, Mapping):
            raise IngestRefused(422, "invalid_answers", f"{where} must be an object.", where)
        sid = raw.get("statement_id")
        known = isinstance(sid, str) and ((sid in in_version and sid in statements) or sid in items)
        if not isinstance(sid, str) or not known:
            raise IngestRefused(
                422,
                "unknown_statement",
                f"{where}.statement_id is not a statement of this survey.",
                f"{where}.statement_id",
            )
        if sid in seen:
            raise IngestRefused(
                422, "duplicate_statement", f"{where}.statement_id was answered twice.", f"{where}.statement_id"
            )
        seen.add(sid)
        item = items.get(sid)
        low, high = (item.low, item.high) if item is not None else (VALUE_MIN, VALUE_MAX)
        offered = item.may_not_apply if item is not None else statements[sid].may_not_apply
        not_applicable = _not_applicable(raw, where, offered)
        value, position, reaction_ms = _read_tap(raw, where, low, high, not_applicable)
        if position in positions:
            raise IngestRefused(422, "invalid_position", f"{where}.position is used twice.", f"{where}.position")
        positions.add(position)
        if item is not None:
            taps.append(Tap(sid, MODEL_GOAL, 1, value, position, reaction_ms, False, not_applicable))
            continue
        statement = statements[sid]
        taps.append(Tap(sid, statement.goal, statement.polarity, value, position, reaction_ms,
                        sid in version.warmup_ids, not_applicable))
    if all(t.warmup for t in taps):
        raise IngestRefused(422, "invalid_answers", "answers must include at least one scored statement.", "answers")
    return taps


def _not_applicable(raw: Mapping[str, Any], where: str, offered: bool) -> bool:
    """Whether the answer is "doesn't apply": only ``true`` or ``false`` (or absent), and ``true`` only if offered."""
    flag = raw.get("not_applicable", False)
    if flag is None:
        flag = False
    if not isinstance(flag, bool):
        raise IngestRefused(422, "invalid_answers", f"{where}.not_applicable must be true or false.",
                            f"{where}.not_applicable")
    if flag and not offered:
        raise IngestRefused(422, "not_applicable_refused",
                            f"{where}: this statement has no \"doesn't apply\" answer.", f"{where}.not_applicable")
    if flag and raw.get("value") is not None:
        raise IngestRefused(422, "invalid_answers", f"{where}: a \"doesn't apply\" answer has no value.",
                            f"{where}.value")
    return flag


def _read_tap(
    raw: Mapping[str, Any], where: str, low: int, high: int, not_applicable: bool = False
) -> tuple[int | None, int, int | None]:
    """The value (``low``-``high``; None for "doesn't apply"), the position (0-19) and the reaction time in ms
    (0-60 000, or None) of one answer."""
    value = None if not_applicable else read_whole_number(
        raw.get("value"), f"{where}.value", low, high, "value_out_of_range"
    )
    position = read_whole_number(raw.get("position"), f"{where}.position", 0, MAX_ANSWERS - 1, "invalid_position")
    reaction = raw.get("reaction_ms")
    reaction_ms = None
    if reaction is not None:
        reaction_ms = read_whole_number(
            reaction, f"{where}.reaction_ms", 0, MAX_REACTION_MS, "reaction_time_out_of_range"
        )
    return value, position, reaction_ms

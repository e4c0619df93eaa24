"""The answers of a submission: one tap per statement of the survey version, its value and reaction time.

Statements are answered 1-5; a scoring model's question on its own scale (1-5, 1-7, 0-10, or yes/no as 0/1), as
the survey version keeps it (:mod:`pejling.core.surveys.model_items`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pejling.core.surveys.model_items import MODEL_GOAL, version_items
from pejling.core.surveys.models import SurveyVersion
from pejling.core.surveys.refusals import IngestRefused
from pejling.core.surveys.submission_fields import read_whole_number
from pejling.core.surveys.survey import available_statements

MAX_REACTION_MS = 60_000
MAX_ANSWERS = 20
VALUE_MIN, VALUE_MAX = 1, 5


@dataclass
class Tap:
    """One checked answer, with its statement's goal and polarity."""

    statement_id: str
    goal: str
    polarity: int
    value: int
    position: int
    reaction_ms: int | None
    warmup: bool


async def check_answers(answers: Any, version: SurveyVersion) -> list[Tap]:
    """The taps of ``answers``: 1-20 answers, each to another statement of ``version``, at least one scored."""
    if not isinstance(answers, list) or not answers:
        raise IngestRefused(422, "invalid_answers", "answers must be a non-empty list.", "answers")
    if len(answers) > MAX_ANSWERS:
        raise IngestRefused(422, "invalid_answers", f"At most {MAX_ANSWERS} answers.", "answers")
    in_version = set(version.statement_ids) | set(version.warmup_ids)
    items = {item.id: item for item in version_items(version)}
    statements = await available_statements()
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
        value, position, reaction_ms = _read_tap(raw, where, low, high)
        if position in positions:
            raise IngestRefused(422, "invalid_position", f"{where}.position is used twice.", f"{where}.position")
        positions.add(position)
        if item is not None:
            taps.append(Tap(sid, MODEL_GOAL, 1, value, position, reaction_ms, False))
            continue
        statement = statements[sid]
        taps.append(
            Tap(sid, statement.goal, statement.polarity, value, position, reaction_ms, sid in version.warmup_ids)
        )
    if all(t.warmup for t in taps):
        raise IngestRefused(422, "invalid_answers", "answers must include at least one scored statement.", "answers")
    return taps


def _read_tap(raw: Mapping[str, Any], where: str, low: int, high: int) -> tuple[int, int, int | None]:
    """The value (``low``-``high``), the position (0-19) and the reaction time in ms (0-60 000, or None) of one
    answer."""
    value = read_whole_number(raw.get("value"), f"{where}.value", low, high, "value_out_of_range")
    position = read_whole_number(raw.get("position"), f"{where}.position", 0, MAX_ANSWERS - 1, "invalid_position")
    reaction = raw.get("reaction_ms")
    reaction_ms = None
    if reaction is not None:
        reaction_ms = read_whole_number(
            reaction, f"{where}.reaction_ms", 0, MAX_REACTION_MS, "reaction_time_out_of_range"
        )
    return value, position, reaction_ms

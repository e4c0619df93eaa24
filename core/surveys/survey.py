"""A tenant's survey and its versions: which statements it asks, and the tenant's own statements.

Every function here works in the current tenant scope. A change of statements never edits a version: it makes a
new one and makes it the only active one, so earlier responses keep the version they answered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from pejling.core.surveys.bank import (
    GOALS,
    LANGUAGES,
    MAX_STATEMENT_CHARS,
    BankStatement,
    current_bank,
    tenant_statement,
    tenant_statement_id,
)
from pejling.core.surveys.model_items import ModelItem, version_items
from pejling.core.surveys.models import Statement, Survey, SurveyVersion

#: Taps on one survey (warm-ups and scoring models' questions included). With the outcome question this keeps the
#: survey at ten items or fewer.
MAX_TAPS = 9

#: What a shopper needs per screen, in seconds (reading and tapping), for the budget of :data:`MAX_SECONDS`.
SECONDS = {"warmup": 2.0, "statement": 4.0, "yes-no": 3.0, "1-5": 4.5, "1-7": 5.0, "0-10": 6.0, "outcome": 6.0,
           "intro": 5.0, "last": 10.0}
#: A survey must fit in under a minute (PRODUCT.md): its estimated time (:func:`estimated_seconds`) stays below this.
MAX_SECONDS = 60.0


class SurveyChangeRefused(ValueError):
    """A change to a survey that cannot be made. ``field`` names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ActiveSurvey:
    """A survey with its active version."""

    survey: Survey
    version: SurveyVersion


async def available_statements() -> dict[str, BankStatement]:
    """Every statement the current tenant may use: the built-in bank and its own, by id."""
    statements = {s.id: s for s in current_bank().statements}
    for row in await Statement.all().order_by("created_at"):
        statements[row.key] = tenant_statement(row.key, row.goal, int(row.polarity), row.texts)
    return statements


async def statements_of(version: SurveyVersion) -> list[BankStatement]:
    """The statements of a version, warm-ups first then the scored ones, in the stored order."""
    available = await available_statements()
    return [available[sid] for sid in [*version.warmup_ids, *version.statement_ids] if sid in available]


async def active_survey(*, create: bool = True) -> ActiveSurvey | None:
    """The tenant's survey with its active version; a new tenant gets the default survey on first use."""
    survey = await Survey.all().order_by("created_at").first()
    if survey is None:
        if not create:
            return None
        try:
            async with in_transaction():
                survey = await Survey.create()
                scored, warmups = current_bank().default_selection()
                first = await SurveyVersion.create(
                    survey=survey, number=1, statement_ids=scored, warmup_ids=warmups, active=True
                )
            return ActiveSurvey(survey, first)
        except IntegrityError:  # another request created it a moment ago
            existing = await Survey.all().order_by("created_at").first()
            if existing is None:
                raise
            survey = existing
    version = await SurveyVersion.filter(survey_id=survey.id, active=True).order_by("-number").first()
    if version is None:
        if not create:
            return None
        version = await _publish(survey, *current_bank().default_selection())
    return ActiveSurvey(survey, version)


def _check_selection(
    statement_ids: Sequence[str], warmup_ids: Sequence[str], available: Mapping[str, BankStatement]
) -> None:
    if not statement_ids:
        raise SurveyChangeRefused("statementIds", "Choose at least one statement.")
    ids = [*warmup_ids, *statement_ids]
    if len(set(ids)) != len(ids):
        raise SurveyChangeRefused("statementIds", "A statement can be asked only once per survey.")
    if len(ids) > MAX_TAPS:
        raise SurveyChangeRefused("statementIds", f"Ask at most {MAX_TAPS} statements, warm-ups included.")
    for sid in statement_ids:
        statement = available.get(sid)
        if statement is None:
            raise SurveyChangeRefused("statementIds", f"Unknown statement {sid!r}.")
        if statement.warmup:
            raise SurveyChangeRefused("statementIds", f"{sid!r} is a warm-up statement, list it under warmupIds.")
    for sid in warmup_ids:
        statement = available.get(sid)
        if statement is None or not statement.warmup:
            raise SurveyChangeRefused("warmupIds", f"{sid!r} is not a warm-up statement.")


def estimated_seconds(warmups: int, statements: int, items: Sequence[ModelItem]) -> float:
    """How long a shopper needs for a survey (intro, taps, outcome question, last screen), from :data:`SECONDS`."""
    return (SECONDS["intro"] + warmups * SECONDS["warmup"] + statements * SECONDS["statement"]
            + sum(SECONDS[item.kind] for item in items) + SECONDS["outcome"] + SECONDS["last"])


def _check_items(statement_ids: Sequence[str], warmup_ids: Sequence[str], items: Sequence[ModelItem]) -> None:
    if len({item.id for item in items}) != len(items):
        raise SurveyChangeRefused("modelQuestionIds", "A question can be asked only once per survey.")
    if len(warmup_ids) + len(statement_ids) + len(items) > MAX_TAPS:
        raise SurveyChangeRefused(
            "modelQuestionIds" if items else "statementIds",
            f"Ask at most {MAX_TAPS} statements and questions, warm-ups included.",
        )
    seconds = estimated_seconds(len(warmup_ids), len(statement_ids), items)
    if seconds >= MAX_SECONDS:
        raise SurveyChangeRefused(
            "modelQuestionIds",
            f"This survey would take about {seconds:.0f} s: ask fewer questions to stay under a minute.",
        )


async def _publish(
    survey: Survey, statement_ids: Sequence[str], warmup_ids: Sequence[str], items: Sequence[ModelItem] = ()
) -> SurveyVersion:
    async with in_transaction():
        await Survey.filter(id=survey.id).select_for_update().first()
        latest = await SurveyVersion.filter(survey_id=survey.id).order_by("-number").first()
        await SurveyVersion.filter(survey_id=survey.id, active=True).update(active=False)
        return await SurveyVersion.create(
            survey=survey,
            number=(latest.number + 1) if latest else 1,
            statement_ids=list(statement_ids),
            warmup_ids=list(warmup_ids),
            model_items=[item.to_json() for item in items],
            active=True,
        )


async def choose_statements(
    statement_ids: Sequence[str],
    warmup_ids: Sequence[str] | None = None,
    model_item_ids: Sequence[str] | None = None,
    *,
    askable: Mapping[str, ModelItem] | None = None,
) -> SurveyVersion:
    """Make a new active version asking these statements (unchanged selection: the current version is kept).

    ``model_item_ids`` are scoring models' questions, asked after the statements in this order; each must be in
    ``askable`` (:func:`pejling.core.surveys.model_items.tenant_items`). ``None`` keeps the current version's
    questions (and their ``warmup_ids``: ``None`` keeps the current warm-ups).
    """
    current = await active_survey()
    assert current is not None
    warmups = list(current.version.warmup_ids if warmup_ids is None else warmup_ids)
    _check_selection(statement_ids, warmups, await available_statements())
    if model_item_ids is None:
        items = version_items(current.version)
    else:
        items = []
        for item_id in model_item_ids:
            item = (askable or {}).get(item_id)
            if item is None:
                raise SurveyChangeRefused(
                    "modelQuestionIds", f"Unknown question {item_id!r}: no scoring model enabled for you asks it."
                )
            items.append(item)
    _check_items(statement_ids, warmups, items)
    if (list(statement_ids) == list(current.version.statement_ids) and warmups == list(current.version.warmup_ids)
            and [i.to_json() for i in items] == list(current.version.model_items or [])):
        return current.version
    return await _publish(current.survey, statement_ids, warmups, items)


async def choose_goals(goals: Sequence[str], per_goal: int = 1) -> SurveyVersion:
    """Make a new active version asking the first ``per_goal`` built-in statements of each chosen goal."""
    unknown = [g for g in goals if g not in GOALS]
    if unknown or not goals:
        raise SurveyChangeRefused("goals", f"Choose goals among {', '.join(GOALS)}.")
    bank = current_bank()
    chosen = [s.id for goal in GOALS if goal in goals for s in [x for x in bank.scored if x.goal == goal][:per_goal]]
    return await choose_statements(chosen)  # the models' questions of the current version are kept


async def add_tenant_statement(*, goal: str, slug: str, texts: Mapping[str, str], polarity: int = 1) -> BankStatement:
    """Add a statement of the tenant's own, mapped to a goal, with a text in every language."""
    try:
        key = tenant_statement_id(goal, slug)
    except ValueError as exc:
        raise SurveyChangeRefused("goal" if "goal" in str(exc) else "slug", str(exc)) from None
    if polarity not in (1, -1):
        raise SurveyChangeRefused("polarity", "Polarity is 1 (agreeing means the goal was served) or -1.")
    clean: dict[str, str] = {}
    for language in LANGUAGES:
        text = " ".join(str(texts.get(language) or "").split())
        if not 1 <= len(text) <= MAX_STATEMENT_CHARS:
            raise SurveyChangeRefused(f"texts.{language}", f"Write the statement in {language}: 1-140 characters.")
        clean[language] = text
    if await Statement.exists(key=key):
        raise SurveyChangeRefused("slug", "You already have a statement with this name for that goal.")
    try:
        await Statement.create(key=key, goal=goal, polarity=polarity, texts=clean)
    except IntegrityError:
        raise SurveyChangeRefused("slug", "You already have a statement with this name for that goal.") from None
    return tenant_statement(key, goal, polarity, clean)

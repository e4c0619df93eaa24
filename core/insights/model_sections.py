"""The scoring models' sections: each enabled model's ``summarise`` of the rollup (NPS, CSAT, CES, implicit goals and
any third-party model), from the answer histograms per statement (``insights_statement_daily``).

A model that reads only its own questions (no outcome question among its ``statements``), none of them answered in
the scope and period nor asked by the tenant's active survey (``SurveyVersion.model_items``), is *not asked*: its
sections say so (``sufficient`` false, note "not asked") instead of "too few responses"."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pejling.core.contracts import Rollup
from pejling.core.insights import sql
from pejling.core.insights.columns import HISTOGRAM_COLUMNS, OUTCOME_POINTS
from pejling.core.insights.request import Request
from pejling.core.insights.rollup_sums import NOT_ASKED, outcome_histogram
from pejling.core.insights.sections import ModelSection
from pejling.core.surveys.hooks import OUTCOME_STATEMENT_IDS
from pejling.core.surveys.models import SurveyVersion


async def model_sections(req: Request, total: Mapping[str, float], notes: list[str]) -> tuple[ModelSection, ...]:
    """Every model's sections; a model that fails to summarise is left out with a note."""
    if not req.models:
        return ()
    by_statement = await _statement_histograms(req)
    by_statement[OUTCOME_STATEMENT_IDS["nps"]] = outcome_histogram(total)
    sections: list[ModelSection] = []
    asked: set[str] | None = None
    for model, options in req.models:
        own = [s.id for s in model.statements if s.id not in OUTCOME_STATEMENT_IDS.values()]
        not_asked = False
        if own and len(own) == len(model.statements) and not any(any(by_statement.get(sid, ())) for sid in own):
            asked = await _asked_items(req) if asked is None else asked
            not_asked = not asked.intersection(own)
        if model.statements:
            histograms = {s.id: tuple(by_statement.get(s.id, [0] * OUTCOME_POINTS)[s.scale.low:s.scale.high + 1])
                          for s in model.statements}
        else:
            histograms = {sid: tuple(v[1:6]) for sid, v in by_statement.items()
                          if sid not in OUTCOME_STATEMENT_IDS.values()}
        try:
            parts = model.summarise(Rollup(histograms), options)
        except Exception as exc:  # noqa: BLE001 - a faulty plugin must not break the insights
            notes.append(f"Scoring model {model.id} could not summarise: {type(exc).__name__}.")
            continue
        for part in parts:
            sufficient, note = (False, NOT_ASKED) if not_asked else (part.sufficient, part.note)
            sections.append(ModelSection(model.id, model.version, part.key, part.title, sufficient, note,
                                         _jsonable(dict(part.figures))))
    return tuple(sections)


async def _asked_items(req: Request) -> set[str]:
    """The ids of the scoring models' questions the tenant's active survey version asks."""
    versions = await SurveyVersion.filter(tenant_id=req.tenant_id, active=True).values_list("model_items", flat=True)
    return {str(item.get("id")) for items in versions for item in (items or []) if isinstance(item, dict)}


async def _statement_histograms(req: Request) -> dict[str, list[int]]:
    """Answer counts 0..10 per statement in the scope and period."""
    where = "tenant_id = ? AND day >= ? AND day <= ?"
    params: list[Any] = [req.tenant_id, req.start, req.end]
    clause, more = req.scope.where()
    if clause:
        where += " AND " + clause
        params += more
    if req.channel:
        where += " AND channel = ?"
        params.append(req.channel)
    select = ", ".join(f"SUM({c}) AS {c}" for c in HISTOGRAM_COLUMNS)
    rows = await sql.fetch(
        f"SELECT statement_id, {select} FROM insights_statement_daily WHERE {where} GROUP BY statement_id",  # noqa: S608
        params,
    )
    return {r["statement_id"]: [int(sql.number(r[c])) for c in HISTOGRAM_COLUMNS] for r in rows}


def _jsonable(value: Any) -> Any:
    """Figures with every mapping key a string and every non-finite float None (JSON has neither)."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value

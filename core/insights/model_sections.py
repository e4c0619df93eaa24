"""The scoring models' sections: each enabled model's ``summarise`` of the rollup (NPS, CSAT, CES, implicit goals and
any third-party model), from the answer histograms per statement (``insights_statement_daily``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pejling.core.contracts import Rollup
from pejling.core.insights import sql
from pejling.core.insights.columns import HISTOGRAM_COLUMNS, OUTCOME_POINTS
from pejling.core.insights.request import Request
from pejling.core.insights.rollup_sums import outcome_histogram
from pejling.core.insights.sections import ModelSection
from pejling.core.surveys.hooks import OUTCOME_STATEMENT_IDS


async def model_sections(req: Request, total: Mapping[str, float], notes: list[str]) -> tuple[ModelSection, ...]:
    """Every model's sections; a model that fails to summarise is left out with a note."""
    if not req.models:
        return ()
    by_statement = await _statement_histograms(req)
    by_statement[OUTCOME_STATEMENT_IDS["nps"]] = outcome_histogram(total)
    sections: list[ModelSection] = []
    for model, options in req.models:
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
            sections.append(ModelSection(model.id, model.version, part.key, part.title, part.sufficient, part.note,
                                         _jsonable(dict(part.figures))))
    return tuple(sections)


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

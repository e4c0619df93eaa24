"""The scoring models' own questions ("items"): which a tenant's survey may ask, and how a survey version keeps them.

A scoring model brings its questions as the ``statements`` of its :class:`~pejling.core.contracts.ScoringModel`. A
question is *askable* when its scale is one of :data:`~pejling.core.contracts.ASKABLE_SCALES` (1-5, 1-7, 0-10,
yes/no) and it is not the survey's outcome question (``nps-recommend`` is asked on every survey already). The survey
editor adds askable questions of the models enabled for the tenant; the version keeps each as a :class:`ModelItem`
snapshot (``SurveyVersion.model_items``), so the page renders it and the ingest checks its answers per item without
the plugin. Answers to items are stored like taps, with the pseudo-goal :data:`MODEL_GOAL`: the implicit-goals scores
ignore them, the statement rollups count them (values 0..10) and the model's ``summarise`` reads them there. A question
whose :class:`~pejling.core.contracts.Statement` says ``may_not_apply`` keeps that in its snapshot: the page offers
"doesn't apply" under it and the ingest accepts that answer for it (a snapshot from before it existed: never).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pejling.core.contracts import ASKABLE_SCALES, LANGUAGES, ScoringModel, localised
from pejling.core.goals import OUTCOME_STATEMENT_IDS

log = logging.getLogger(__name__)

MODEL_GOAL = "model"
"""The goal stored on the answer rows of a scoring model's question (not an implicit goal: never in goal scores)."""


@dataclass(frozen=True)
class ModelItem:
    """One scoring model's question as a survey version asks it: its scale, its end labels and its texts."""

    id: str
    model_id: str
    low: int
    high: int
    texts: Mapping[str, str]
    low_label: Mapping[str, str]
    high_label: Mapping[str, str]
    may_not_apply: bool = False

    @property
    def kind(self) -> str:
        """``1-5``, ``1-7``, ``0-10`` or ``yes-no``."""
        return ASKABLE_SCALES[(self.low, self.high)]

    def text(self, language: str) -> str:
        return localised(self.texts, language)

    def labels(self, language: str) -> tuple[str, str]:
        """The labels of the two ends (for yes/no: the words for no and yes) in ``language``."""
        return localised(self.low_label, language), localised(self.high_label, language)

    def to_json(self) -> dict[str, Any]:
        """The snapshot kept on the version (``may_not_apply`` only when true, so older snapshots compare equal)."""
        data: dict[str, Any] = {
            "id": self.id, "model": self.model_id, "low": self.low, "high": self.high, "texts": dict(self.texts),
            "low_label": dict(self.low_label), "high_label": dict(self.high_label),
        }
        if self.may_not_apply:
            data["may_not_apply"] = True
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelItem:
        return cls(
            str(data["id"]), str(data["model"]), int(data["low"]), int(data["high"]), dict(data["texts"]),
            dict(data["low_label"]), dict(data["high_label"]), bool(data.get("may_not_apply", False)),
        )


def _texts(texts: Mapping[str, str]) -> dict[str, str]:
    """Every language's text (English where the model has none)."""
    return {language: localised(texts, language) for language in LANGUAGES}


def askable_items(models: Iterable[ScoringModel]) -> dict[str, ModelItem]:
    """The questions of ``models`` a survey may ask, by id, in model order.

    Two models may bring the same question (the same id): the first one's is kept; one with the same id on another
    scale is left out with a warning, since an answer can only have one scale.
    """
    outcome_ids = set(OUTCOME_STATEMENT_IDS.values())
    items: dict[str, ModelItem] = {}
    for model in models:
        for statement in model.statements:
            scale = statement.scale
            if statement.id in outcome_ids or scale.kind is None:
                continue
            item = ModelItem(statement.id, model.id, scale.low, scale.high, _texts(statement.texts),
                             _texts(scale.low_label), _texts(scale.high_label),
                             bool(getattr(statement, "may_not_apply", False)))
            known = items.get(statement.id)
            if known is None:
                items[statement.id] = item
            elif (known.low, known.high) != (item.low, item.high):
                log.warning("question %s of model %s is left out: model %s asks it on another scale",
                            statement.id, model.id, known.model_id)
    return items


async def tenant_items(plugins: Any | None, tenant_id: UUID) -> dict[str, ModelItem]:
    """The questions the tenant's survey may ask: those of the scoring models enabled for it (none without plugins)."""
    if plugins is None:
        return {}
    enabled = await plugins.plugins_for_tenant(tenant_id)
    return askable_items(enabled.scoring_models)


def version_items(version: Any) -> list[ModelItem]:
    """The questions a survey version asks, in its order."""
    return [ModelItem.from_json(raw) for raw in (getattr(version, "model_items", None) or [])]

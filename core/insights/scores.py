"""Stored scores: every enabled scoring model scores each response, and re-scores when its version changes.

A :class:`~pejling.core.insights.models.Score` row keeps the model id and version that made it. When a plugin ships a
new version of a model, :func:`enqueue_rescores` (called at start-up, after the plugins are loaded) queues one
``insights.rescore`` job per tenant with scores of another version; the job re-scores that tenant's responses.

The loaded plugins are passed in: the ingest's, the app's (:func:`start_insights`), the worker's (the re-score job).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from pejling.core.contracts import ResponseScores, ScoringModel, ShopperResponse
from pejling.core.insights.models import Score
from pejling.core.jobs import enqueue, register_job
from pejling.core.jobs.models import Job
from pejling.core.loaded_plugins import Plugins
from pejling.core.surveys.hooks import shopper_response
from pejling.core.surveys.models import Answer, Response
from pejling.tenants.scope import all_tenants, current_tenant_id

log = logging.getLogger(__name__)

RESCORE_JOB = "insights.rescore"

def _safe_score(model: ScoringModel, response: ShopperResponse) -> ResponseScores | None:
    try:
        return model.score_response(response)
    except Exception:  # noqa: BLE001 - one faulty model must not lose the others' scores
        log.exception("scoring model %s failed on response %s", model.id, response.id)
        return None


async def _save(model: ScoringModel, response_id: UUID, scores: ResponseScores | None) -> None:
    if scores is None:
        await Score.filter(response_id=response_id, model_id=model.id).delete()
        return
    values = {str(k): float(v) for k, v in scores.values.items()}
    await Score.update_or_create(
        defaults={"model_version": model.version, "values": values, "category": scores.category},
        response_id=response_id,
        model_id=model.id,
    )


async def new_scores(plugins: Plugins, response: Any, taps: Sequence[Any]) -> list[Score]:
    """The (unsaved) score rows of a new response, one per scoring model enabled for the current tenant that scores
    it: the ingest inserts those of a whole batch in one statement."""
    enabled = await plugins.plugins_for_tenant(current_tenant_id())
    view = shopper_response(response, taps)
    rows = []
    for model in enabled.scoring_models:
        scores = _safe_score(model, view)
        if scores is not None:
            rows.append(Score(
                tenant_id=current_tenant_id(), response_id=response.id, model_id=model.id,
                model_version=model.version, values={str(k): float(v) for k, v in scores.values.items()},
                category=scores.category,
            ))
    return rows


async def store_scores(plugins: Plugins, response: Any, taps: Sequence[Any], *, new: bool = False) -> int:
    """Score a stored response with every model enabled for its tenant; returns how many scores were stored.

    ``new``: the response has no scores yet (at ingest), so they are inserted in one statement. ``plugins`` are the
    process's loaded plugins (the one handle: the ingest passes the app's, jobs the worker's).
    """
    if new:
        rows = await new_scores(plugins, response, taps)
        await Score.bulk_create(rows)
        return len(rows)
    enabled = await plugins.plugins_for_tenant(current_tenant_id())
    view = shopper_response(response, taps)
    stored = 0
    for model in enabled.scoring_models:
        scores = _safe_score(model, view)
        await _save(model, response.id, scores)
        stored += scores is not None
    return stored


async def rescore_tenant(model: ScoringModel, *, batch_size: int = 500) -> int:
    """Re-score every response of the current tenant with ``model``; returns how many responses were scored."""
    done = 0
    offset = 0
    while True:
        responses = await Response.all().order_by("id").offset(offset).limit(batch_size)
        if not responses:
            break
        answers: dict[UUID, list[Answer]] = {}
        for a in await Answer.filter(response_id__in=[r.id for r in responses], not_applicable=False):
            answers.setdefault(a.response_id, []).append(a)
        for r in responses:
            await _save(model, r.id, _safe_score(model, shopper_response(r, answers.get(r.id, []))))
            done += 1
        offset += batch_size
    return done


@register_job(RESCORE_JOB, timeout_seconds=3600.0, needs_plugins=True)
async def rescore_job(payload: dict[str, Any], plugins: Plugins) -> None:
    """Job: re-score the tenant's responses with the current version of ``payload["model_id"]``."""
    from pejling.core.jobs import PermanentJobError

    model = next((m for m in plugins.scoring_models() if m.id == payload.get("model_id")), None)
    if model is None:
        raise PermanentJobError(f"no scoring model {payload.get('model_id')!r} is loaded")
    count = await rescore_tenant(model)
    log.info("re-scored %d responses of tenant %s with %s %s", count, current_tenant_id(), model.id, model.version)


async def enqueue_rescores(plugins: Plugins) -> list[Job]:
    """Queue a re-score job per tenant and model whose stored scores were made by another model version."""
    jobs: list[Job] = []
    for model in plugins.scoring_models():
        with all_tenants():
            stale = await (
                Score.filter(model_id=model.id).exclude(model_version=model.version).distinct().values_list(
                    "tenant_id", flat=True
                )
            )
        for tenant_id in sorted({str(t) for t in stale}):
            jobs.append(
                await enqueue(
                    RESCORE_JOB,
                    {"model_id": model.id, "version": model.version},
                    tenant_id=tenant_id,
                    idempotency_key=f"{RESCORE_JOB}:{tenant_id}:{model.id}:{model.version}",
                )
            )
    return jobs


async def start_insights(plugins: Plugins) -> None:
    """At start-up: queue re-scores for the models of ``plugins`` whose version changed."""
    try:
        jobs = await enqueue_rescores(plugins)
    except Exception:  # noqa: BLE001 - a failed check must not stop the app; it runs again at the next start
        log.exception("could not check stored scores for changed model versions")
        return
    if jobs:
        log.info("queued %d re-score jobs for changed scoring model versions", len(jobs))

"""The demo survey data: generated fast, never duplicated, and its known truth can be recovered from the answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from pejling.core.insights.statistics import shapley_r2
from pejling.core.surveys.demo import DEMO_TRUTH, RESPONSES_PER_STORE, seed_demo_survey
from pejling.core.surveys.models import Answer, Response
from pejling.tenants.demo import seed_demo
from pejling.tenants.models import Store
from pejling.tenants.scope import tenant_scope


async def test_demo_survey_is_created_once_and_shows_its_truth(database: Any, tmp_path: Path) -> None:
    tenant, _, _ = await seed_demo(tmp_path)
    await seed_demo_survey(tenant)
    assert await seed_demo_survey(tenant) == 0  # idempotent
    with tenant_scope(tenant.id):
        assert await Response.filter(via="demo").count() == sum(RESPONSES_PER_STORE.values())
        store = await Store.get(slug="copenhagen")
        responses = await Response.filter(store_id=store.id, via="demo").values("id", "outcome", "quality_flags")
        answers = await Answer.filter(store_id=store.id, warmup=False).values("response_id", "goal", "value")
        timed = await Answer.filter(store_id=store.id).values_list("response_id", "reaction_ms")
    assert all(rt is not None and rt > 0 for _, rt in timed)
    # The planted bots (every tap under 300 ms) are all flagged fast_taps; an honest shopper's rare anticipation is not.
    slowest_tap: dict[Any, int] = {}
    for rid, rt in timed:
        slowest_tap[rid] = max(slowest_tap.get(rid, 0), rt)
    bots = {rid for rid, slowest in slowest_tap.items() if slowest < 300}
    assert bots and all("fast_taps" in r["quality_flags"] for r in responses if r["id"] in bots)
    assert all("fast_taps" not in r["quality_flags"] for r in responses if r["id"] not in bots)
    flagged = sum(1 for r in responses if r["quality_flags"])
    assert 0.01 < flagged / len(responses) < 0.08  # some realistic bots and clock errors, flagged not dropped

    clean = {r["id"]: r["outcome"] for r in responses if not r["quality_flags"] and r["outcome"] is not None}
    goals = list(DEMO_TRUTH["copenhagen"])
    by_response: dict[Any, dict[str, int]] = {}
    for a in answers:
        if a["response_id"] in clean:
            by_response.setdefault(a["response_id"], {})[a["goal"]] = a["value"]
    rows = [r for r in by_response.values() if len(r) == len(goals)]
    x = np.array([[r[g] for g in goals] for r in rows], dtype=float)
    y = np.array([clean[rid] for rid, r in by_response.items() if len(r) == len(goals)], dtype=float)
    means = dict(zip(goals, x.mean(axis=0), strict=True))
    importance = shapley_r2(x, y, names=goals)
    assert importance.importance is not None
    top = goals[int(np.argmax(importance.importance))]
    # Ease: the weakest goal and the strongest driver in Copenhagen, as generated.
    assert min(means, key=lambda g: means[g]) == "ease"
    assert top == "ease"

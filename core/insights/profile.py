"""The goal profile: fulfilment (t interval), conviction pooled across respondents and felt strength per goal; for a
single store, shrunk fulfilment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from pejling.core.insights.chain import Chain
from pejling.core.insights.request import Request
from pejling.core.insights.rollup_sums import NOT_ASKED, estimate
from pejling.core.insights.sections import GoalProfile, GoalProfileItem
from pejling.core.insights.statistics.minimum_n import TOO_FEW_RESPONSES
from pejling.core.insights.statistics.outcomes import mean_interval
from pejling.core.insights.statistics.reaction_times import pooled_conviction
from pejling.core.surveys.bank import GOALS

SHRINKAGE_NOTE_THRESHOLD = 0.05
"""A note says the figures are shrunk when some goal gives the chain mean more weight than this."""


def goal_profile(req: Request, total: Mapping[str, float], chain: Chain, notes: list[str]) -> GoalProfile:
    """The profile of the scope's summed row ``total``; adds a note when a small store's figures are shrunk."""
    single_store = req.scope.store_ids[0] if req.scope.single_store else None
    items = []
    shrinkage_used: dict[str, float] = {}
    for goal in GOALS:
        fulfilment = mean_interval(int(total[f"{goal}_n"]), total[f"{goal}_s"], total[f"{goal}_ss"],
                                   confidence=req.confidence, min_n=req.min_n)
        if total["n"] and not total[f"{goal}_n"]:
            fulfilment = replace(fulfilment, note=NOT_ASKED)
        timed = int(total[f"{goal}_cn"])
        weights = total[f"{goal}_w"]
        conviction = pooled_conviction(timed, total[f"{goal}_cs"], total[f"{goal}_css"], total[f"{goal}_ws"], weights,
                                       confidence=req.confidence, min_n=req.min_n)
        strength = weights / timed if timed and conviction.sufficient else None
        shrunk_fulfilment = fulfilment.value if fulfilment.sufficient else None
        shrinkage = 0.0
        if single_store is not None and single_store in chain.shrunk.get(goal, {}):
            shrunk_fulfilment, shrinkage = chain.shrunk[goal][single_store]
            if shrunk_fulfilment is not None:  # a goal the store was not asked has no shrinkage and no note
                shrinkage_used[goal] = shrinkage
        items.append(GoalProfileItem(goal, estimate(fulfilment), estimate(conviction), conviction.value,
                                     shrunk_fulfilment, shrinkage, strength))
    sufficient = any(item.fulfilment.sufficient for item in items)
    note = chain.shrinkage_note(single_store, shrinkage_used, SHRINKAGE_NOTE_THRESHOLD)
    if note is not None:
        notes.append(note)
    return GoalProfile(tuple(items), int(total["n"]), sufficient, None if sufficient else TOO_FEW_RESPONSES)


def goal_performance(profile: GoalProfile, req: Request) -> dict[str, float]:
    """Each goal's performance on the importance x performance map: shrunk fulfilment for a single store."""
    performance = {}
    for item in profile.items:
        value = item.shrunk_fulfilment if req.scope.single_store else item.fulfilment.value
        if value is not None:
            performance[item.goal] = value
    return performance

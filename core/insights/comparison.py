"""The comparison: the scope against the previous period or against the other stores (NPS z test, goal differences)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import timedelta

from scipy import stats

from pejling.core.insights import sql
from pejling.core.insights.columns import STORE_COLUMNS
from pejling.core.insights.request import Request
from pejling.core.insights.rollup_sums import add_up, outcome_histogram, sum_rollups, variance
from pejling.core.insights.sections import Comparison, Difference
from pejling.core.insights.statistics.minimum_n import too_few
from pejling.core.insights.statistics.outcomes import nps_difference_z, nps_from_counts
from pejling.core.insights.statistics.results import z_critical
from pejling.core.surveys.bank import GOALS


async def comparison(req: Request, total: Mapping[str, float]) -> Comparison:
    """``total`` (the scope's summed row) against the previous period of the same length, or the other stores."""
    if req.compare_with == "previousPeriod":
        length = (req.end - req.start).days + 1
        start, end = req.start - timedelta(days=length), req.start - timedelta(days=1)
        other_rows = await sum_rollups(req, req.scope, start, end, columns=STORE_COLUMNS)
        against = "previousPeriod"
    else:
        start, end = req.start, req.end
        if req.scope.kind == "chain":
            other_rows = []
        else:
            marks = sql.marks(len(req.scope.store_ids))
            other_rows = await sum_rollups(req, None, start, end, columns=STORE_COLUMNS, coarse=True,
                                           extra=f"store_id NOT IN ({marks})", extra_params=req.scope.store_ids)
        against = "stores"
    other = add_up(other_rows, STORE_COLUMNS)
    differences = [_nps_difference(req, total, other)]
    differences += [_goal_difference(req, goal, total, other) for goal in GOALS]
    return Comparison(against, start, end, int(other["n"]), tuple(differences))


def _nps_difference(req: Request, a: Mapping[str, float], b: Mapping[str, float]) -> Difference:
    a_h, b_h = outcome_histogram(a), outcome_histogram(b)
    nps_a = nps_from_counts(sum(a_h[9:]), sum(a_h[7:9]), sum(a_h[:7]), min_n=req.min_n)
    nps_b = nps_from_counts(sum(b_h[9:]), sum(b_h[7:9]), sum(b_h[:7]), min_n=req.min_n)
    c = nps_difference_z(nps_a, nps_b, confidence=req.confidence)
    return Difference("nps", nps_a.value, nps_b.value, c.difference, c.low, c.high, c.p_value, c.sufficient, c.note)


def _goal_difference(req: Request, goal: str, a: Mapping[str, float], b: Mapping[str, float]) -> Difference:
    """Difference of a goal's mean fulfilment with a normal (Welch) interval.

    None below the minimum n, and none below two answers on either side (no spread, so no interval), with the reason.
    """
    na, nb = a[f"{goal}_n"], b[f"{goal}_n"]
    guard = too_few(int(min(na, nb)), max(req.min_n, 2))
    if guard is not None:
        return Difference(goal, None, None, None, None, None, None, False, f"{guard.note} in at least one group")
    ma, mb = a[f"{goal}_s"] / na, b[f"{goal}_s"] / nb
    va, vb = variance(na, a[f"{goal}_s"], a[f"{goal}_ss"]), variance(nb, b[f"{goal}_s"], b[f"{goal}_ss"])
    se = math.sqrt(va / na + vb / nb)
    z = z_critical(req.confidence)
    diff = ma - mb
    p = float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else (1.0 if diff == 0 else 0.0)
    return Difference(goal, ma, mb, diff, diff - z * se, diff + z * se, p, True)

"""Statistics behind Pejling's insights: pure functions on numbers, no database and no I/O.

Everything here follows ``research/behavioural-model.md``. The package re-exports the public API (plugin authors
write ``from pejling.core.insights.statistics import mean_interval``); the modules hold:

* :mod:`~.minimum_n`: the minimum-n guard (``MIN_N``, ``MIN_N_DRIVERS``, ``TOO_FEW_RESPONSES``, ``Estimate``,
  ``too_few``): below ``min_n`` the functions return a result with ``sufficient=False`` and no number, rather than
  a misleading one;
* :mod:`~.scales`: raw answers counted into a histogram (``scale_histogram``) and the checks of counts;
* :mod:`~.outcomes`: outcome scores computable from *counts* (rollups) so raw responses are never needed: NPS with
  the adjusted-Wald interval and the z test of two NPS values, CSAT with a Wilson interval, CES with a t interval,
  ``wilson_interval`` and ``mean_interval`` (a t interval from n, Σx, Σx²);
* :mod:`~.reaction_times`: reaction-time normalisation within a respondent and the conviction-weighted implicit-goal
  score (the IAT D-score is deliberately **not** implemented: it may not be used commercially without permission);
* :mod:`~.drivers`: key-driver analysis (exact Shapley value regression, Johnson's relative weights, bootstrap
  intervals, the exact distribution and interval of R²);
* :mod:`~.linear_model`: the linear model, importance x performance priorities and projected uplift;
* :mod:`~.moderation`: the gain in R² of a nested model (the strength-moderated driver model over the plain one)
  with its noncentral-F interval (``NestedGain``, ``nested_gain``);
* :mod:`~.shrinkage`: empirical-Bayes shrinkage of small stores toward the chain mean;
* :mod:`~.effects`: difference in differences of four independent group-period samples (Welch);
* :mod:`~.store_drift`: a logged store change's effect on store-day means with an interval that holds under
  day-to-day store drift (``store_change_effect``, AR(1)-corrected t interval);
* :mod:`~.results`: what every result shares (``to_dict()``, ``FloatArray``, the critical value of a confidence).

All results are small frozen dataclasses holding plain Python floats/ints/strings/tuples (JSON-friendly:
``dataclasses.asdict(result)`` or ``result.to_dict()``).
"""

from __future__ import annotations

from pejling.core.insights.statistics.drivers import (
    MAX_SHAPLEY_DRIVERS,
    BootstrapImportance,
    DriverImportance,
    bootstrap_importance,
    relative_weights,
    shapley_r2,
    squared_correlation_cdf,
    squared_correlation_interval,
)
from pejling.core.insights.statistics.effects import (
    DiDResult,
    GroupSummary,
    difference_in_differences,
    difference_in_differences_from_summaries,
)
from pejling.core.insights.statistics.linear_model import (
    QUADRANT_ORDER,
    LinearFit,
    PriorityItem,
    Uplift,
    fit_linear,
    priority_ranking,
    projected_uplift,
    top_quartile_targets,
)
from pejling.core.insights.statistics.minimum_n import MIN_N, MIN_N_DRIVERS, TOO_FEW_RESPONSES, Estimate, too_few
from pejling.core.insights.statistics.moderation import NestedGain, nested_gain
from pejling.core.insights.statistics.outcomes import (
    CesEstimate,
    Comparison,
    NpsEstimate,
    ces,
    csat,
    mean_interval,
    nps,
    nps_difference_z,
    nps_from_counts,
    wilson_interval,
)
from pejling.core.insights.statistics.reaction_times import (
    ANTICIPATION_MS,
    BOT_ANTICIPATION_SHARE,
    CAP_MS,
    SLOW_MS,
    GoalScore,
    ReactionTimeWeights,
    RespondentScore,
    conviction_weight,
    implicit_goal_scores,
    normalise_reaction_times,
    scale_answer,
    score_respondent,
)
from pejling.core.insights.statistics.results import FloatArray
from pejling.core.insights.statistics.scales import scale_histogram
from pejling.core.insights.statistics.shrinkage import Shrinkage, shrink_toward_mean
from pejling.core.insights.statistics.store_drift import StoreChangeEstimate, store_change_effect

__all__ = [
    # minimum_n
    "MIN_N",
    "MIN_N_DRIVERS",
    "TOO_FEW_RESPONSES",
    "Estimate",
    "too_few",
    # scales
    "scale_histogram",
    # outcomes
    "NpsEstimate",
    "nps_from_counts",
    "nps",
    "Comparison",
    "nps_difference_z",
    "wilson_interval",
    "csat",
    "mean_interval",
    "CesEstimate",
    "ces",
    # reaction_times
    "ANTICIPATION_MS",
    "SLOW_MS",
    "CAP_MS",
    "BOT_ANTICIPATION_SHARE",
    "ReactionTimeWeights",
    "conviction_weight",
    "normalise_reaction_times",
    "scale_answer",
    "GoalScore",
    "implicit_goal_scores",
    "RespondentScore",
    "score_respondent",
    # drivers
    "MAX_SHAPLEY_DRIVERS",
    "DriverImportance",
    "shapley_r2",
    "squared_correlation_cdf",
    "squared_correlation_interval",
    "relative_weights",
    "BootstrapImportance",
    "bootstrap_importance",
    # linear_model
    "LinearFit",
    "fit_linear",
    "PriorityItem",
    "QUADRANT_ORDER",
    "priority_ranking",
    "top_quartile_targets",
    "Uplift",
    "projected_uplift",
    # moderation
    "NestedGain",
    "nested_gain",
    # shrinkage
    "Shrinkage",
    "shrink_toward_mean",
    # effects
    "GroupSummary",
    "DiDResult",
    "difference_in_differences_from_summaries",
    "difference_in_differences",
    # store_drift
    "StoreChangeEstimate",
    "store_change_effect",
    # results
    "FloatArray",
]

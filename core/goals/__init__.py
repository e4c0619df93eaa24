"""The implicit-goals model, Pejling's core model: the seven goals and everything built on them.

* :data:`GOALS` — the seven implicit goals a shopper pursues in a store (``research/behavioural-model.md``);
* ``statements.toml`` — the built-in statement bank (one or more statements per goal, warm-ups, the outcome question,
  the comment prompt and the scale labels), read by :mod:`pejling.core.surveys.bank`;
* :mod:`.scores` — one response's explicit fulfilment and conviction per goal (the rollups and the model share it);
* :mod:`.scoring` — the ``implicit-goals`` :class:`~pejling.core.contracts.ScoringModel`;
* :mod:`.playbook` — the levers per goal and language (``playbook.toml``), used by "where to optimise";
* :mod:`.implicit_goals` — registers the scoring model through the plugin hooks, like any scoring model, so the API
  lists it; it is always on (see :data:`ALWAYS_ON_REASON`).

This is core, not a plugin: the survey, the rollup columns, the goal sections and the playbook are built on it.
"""

from __future__ import annotations

from pathlib import Path

GOALS: tuple[str, ...] = ("security", "ease", "autonomy", "recognition", "enjoyment", "discovery", "value")
WARMUP_GOAL = "warmup"
"""The pseudo-goal of the warm-up statements: they set each respondent's speed baseline and are not scored."""

MODEL_ID = "implicit-goals"
"""The id of the implicit-goals scoring model (stored scores, the API's model list)."""

PLUGIN_NAME = "implicit_goals"
"""The name the model is registered under (the last part of :mod:`pejling.core.goals.implicit_goals`)."""

ALWAYS_ON_REASON = "the implicit-goals model is Pejling's core model: it cannot be switched off"
"""Why switching :data:`PLUGIN_NAME` off (for a tenant, or with ``PEJLING_PLUGINS_DISABLED``) is refused."""

NPS_STATEMENT_ID = "nps-recommend"
"""The statement id of the survey's outcome question (``[outcome]`` in ``statements.toml``, kind ``nps``): the NPS
scoring model asks it, and scoring models see the outcome answer under it."""

OUTCOME_STATEMENT_IDS = {"nps": NPS_STATEMENT_ID}
"""The statement id under which scoring models see the survey's outcome question, by outcome kind."""

STATEMENTS_FILE = Path(__file__).with_name("statements.toml")
"""The built-in statement bank."""

PLAYBOOK_FILE = Path(__file__).with_name("playbook.toml")
"""The levers per goal and language."""

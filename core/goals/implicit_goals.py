"""Registers the ``implicit-goals`` scoring model through the plugin hooks, like every scoring model.

The model is core (:mod:`pejling.core.goals`), but it reaches the insights engine and the API through the same
contract as NPS, CSAT, CES and third-party models. It is listed in ``BUILTIN_PLUGINS`` under the name
``implicit_goals``; a tenant cannot switch it off (:data:`pejling.core.goals.ALWAYS_ON_REASON`).
"""

from __future__ import annotations

from pydantic import BaseModel

from pejling.core.contracts import ScoringModel, ScoringSettings
from pejling.core.hookspecs import hookimpl


@hookimpl
def register_scoring_models() -> list[ScoringModel]:
    from pejling.core.goals.scoring import ImplicitGoals

    return [ImplicitGoals()]


@hookimpl
def register_plugin_settings() -> type[BaseModel]:
    return ScoringSettings

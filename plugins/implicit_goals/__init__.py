"""The built-in ``implicit-goals`` scoring model plugin: statement bank, scoring and the playbook of levers."""

from __future__ import annotations

from pydantic import BaseModel

from pejling.core.contracts import ScoringModel, ScoringSettings
from pejling.core.hookspecs import hookimpl


@hookimpl
def register_scoring_models() -> list[ScoringModel]:
    from pejling.plugins.implicit_goals.scoring import ImplicitGoals

    return [ImplicitGoals()]


@hookimpl
def register_plugin_settings() -> type[BaseModel]:
    return ScoringSettings

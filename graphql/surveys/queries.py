"""Read your survey and the statement bank (members of the tenant)."""

from __future__ import annotations

import strawberry

from pejling.core.surveys.survey import active_survey, available_statements
from pejling.graphql.context import Info
from pejling.graphql.permissions import require_tenant
from pejling.graphql.surveys.types import StatementType, SurveyType, SurveyVersionType


@strawberry.type
class SurveyQuery:
    @strawberry.field(description="Your shopper survey with its active version (made with defaults on first use).")
    async def survey(self, info: Info) -> SurveyType:
        require_tenant(info)
        current = await active_survey()
        assert current is not None
        available = await available_statements()
        return SurveyType.from_model(current.survey, SurveyVersionType.from_model(current.version, available))

    @strawberry.field(description="Every statement you can ask: the built-in bank and your own.")
    async def statement_bank(self, info: Info, goal: str | None = None) -> list[StatementType]:
        require_tenant(info)
        statements = (await available_statements()).values()
        return [StatementType.from_bank(s) for s in statements if goal is None or s.goal == goal]

"""Read your survey and the statement bank (members of the tenant), and a shopper's data by receipt code (admins)."""

from __future__ import annotations

import strawberry

from pejling.core.surveys.erasure import export_shopper_data, find_by_receipt
from pejling.core.surveys.model_items import tenant_items
from pejling.core.surveys.survey import active_survey, available_statements
from pejling.graphql.context import Info
from pejling.graphql.errors import ApiError
from pejling.graphql.permissions import require_tenant
from pejling.graphql.surveys.types import ShopperData, StatementType, SurveyType, SurveyVersionType


@strawberry.type
class SurveyQuery:
    @strawberry.field(description="Your shopper survey with its active version (made with defaults on first use).")
    async def survey(self, info: Info) -> SurveyType:
        tenant, _ = require_tenant(info)
        current = await active_survey()
        assert current is not None
        available = await available_statements()
        askable = await tenant_items(info.context.plugins, tenant.id)
        return SurveyType.from_model(current.survey, SurveyVersionType.from_model(current.version, available), askable)

    @strawberry.field(description="Every statement you can ask: the built-in bank and your own.")
    async def statement_bank(self, info: Info, goal: str | None = None) -> list[StatementType]:
        require_tenant(info)
        statements = (await available_statements()).values()
        return [StatementType.from_bank(s) for s in statements if goal is None or s.goal == goal]

    @strawberry.field(
        description="What is stored about the response with this receipt code, for a shopper who asks for their "
        "data (owners and admins). Null when no response of yours has the code."
    )
    async def shopper_data(self, info: Info, receipt_code: str) -> ShopperData | None:
        _, actor = require_tenant(info)
        if not actor.is_admin:
            raise ApiError("Only owners and admins can export a shopper's data.", "FORBIDDEN")
        response = await find_by_receipt(receipt_code)
        if response is None:
            return None
        return ShopperData.from_export(await export_shopper_data(response))

"""A third-party Pejling plugin, installed from its own package by the test suite.

It proves that entry-point loading works and exercises most hooks: a scoring model
(``example-smiles``), a settings schema, a route, a GraphQL type and an async
``response_received`` listener that records what it receives.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import strawberry
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pejling.core.contracts import (
    InsightSection,
    ResponseScores,
    Rollup,
    Scale,
    ScoringModel,
    ShopperResponse,
    Statement,
    SummaryOptions,
)
from pejling.core.hookspecs import hookimpl
from pejling.core.insights.statistics import mean_interval
from pejling.tenants.scope import current_tenant_id

#: (tenant id, response id) of every ``response_received`` call, in order.
RECEIVED: list[tuple[UUID, UUID]] = []

SMILE = Statement(
    id="example-smile",
    texts={"da": "Smilede du i dag?", "nb": "Smilte du i dag?", "sv": "Log du i dag?", "en": "Did you smile today?"},
    scale=Scale(
        1,
        3,
        low_label={"da": "Nej", "nb": "Nei", "sv": "Nej", "en": "No"},
        high_label={"da": "Meget", "nb": "Mye", "sv": "Mycket", "en": "A lot"},
    ),
)


class ExampleSettings(BaseModel):
    model_config = {"extra": "forbid"}

    greeting: str = Field(min_length=1, max_length=40)
    smiles: int = Field(3, ge=2, le=5)


class SmileModel(ScoringModel):
    id = "example-smiles"
    name = "Smiles"
    version = "0.1"
    statements = (SMILE,)

    def score_response(self, response: ShopperResponse) -> ResponseScores | None:
        answer = response.answer(SMILE.id)
        if answer is None or answer.value is None:
            return None
        return ResponseScores(self.id, {"smiles": float(answer.value)})

    def summarise(
        self, data: Sequence[ShopperResponse] | Rollup, options: SummaryOptions = SummaryOptions()
    ) -> list[InsightSection]:
        counts = self.rollup(data).counts(SMILE)
        points = range(SMILE.scale.low, SMILE.scale.high + 1)
        n = sum(counts)
        total = float(sum(c * p for c, p in zip(counts, points, strict=True)))
        total_sq = float(sum(c * p * p for c, p in zip(counts, points, strict=True)))
        estimate = mean_interval(n, total, total_sq, confidence=options.confidence, min_n=options.min_n)
        return [InsightSection(self.id, "smiles", self.name, estimate.to_dict(), estimate.sufficient, estimate.note)]


@strawberry.type
class ExampleSmileSummary:
    mean_smiles: float | None


async def received(request: Request) -> JSONResponse:
    tenant_id = current_tenant_id()
    return JSONResponse(
        {
            "tenant": str(tenant_id),
            "greeting": request.state.plugin.config["greeting"],
            "received": sum(1 for tenant, _ in RECEIVED if tenant == tenant_id),
        }
    )


@hookimpl
def register_scoring_models():
    return [SmileModel()]


@hookimpl
async def register_plugin_settings():
    return ExampleSettings


@hookimpl
def register_routes():
    return [Route("/received", received, name="received")]


@hookimpl
def register_graphql_types():
    return [ExampleSmileSummary]


@hookimpl
async def response_received(tenant_id, response):
    assert current_tenant_id() == tenant_id
    RECEIVED.append((tenant_id, response.id))

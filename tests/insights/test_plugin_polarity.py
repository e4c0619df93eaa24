"""The implicit-goals model honours the polarity carried by each answer (tenant statements may be reversed)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from pejling.core.contracts import Answer, ShopperResponse
from pejling.core.goals.scoring import ImplicitGoals


def _response(polarity: int) -> ShopperResponse:
    answers = (Answer("value.t-own-words", 5, 900.0, polarity), Answer("value.t-other", 5, 1100.0, polarity))
    return ShopperResponse(id=uuid4(), tenant_id=uuid4(), submitted_at=datetime.now(UTC), answers=answers)


def test_reversed_tenant_statement_scores_the_other_way() -> None:
    model = ImplicitGoals()
    straight = model.score_response(_response(1))
    reversed_ = model.score_response(_response(-1))
    assert straight is not None and reversed_ is not None
    assert straight.values["value.explicit"] == 5.0 and reversed_.values["value.explicit"] == 1.0
    assert straight.values["value.conviction"] > 0 > reversed_.values["value.conviction"]

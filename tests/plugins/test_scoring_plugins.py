"""The built-in scoring models (nps, csat, ces): per-response scores and summaries from responses or rollups."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from pejling.core.contracts import LANGUAGES, Answer, Rollup, ShopperResponse, SummaryOptions
from pejling.core.insights import statistics
from pejling.plugins.scoring.ces import CustomerEffort
from pejling.plugins.scoring.csat import CustomerSatisfaction
from pejling.plugins.scoring.nps import NetPromoterScore

TENANT = uuid4()


def responses(statement_id: str, values: list[int | None]) -> list[ShopperResponse]:
    return [
        ShopperResponse(uuid4(), TENANT, datetime.now(UTC), (Answer(statement_id, value, 900.0),), language="nb")
        for value in values
    ]


@pytest.mark.parametrize("model", [NetPromoterScore(), CustomerSatisfaction(), CustomerEffort()])
def test_statements_are_phrased_in_every_language(model) -> None:
    for statement in model.statements:
        assert set(statement.texts) == set(LANGUAGES)
        assert set(statement.scale.low_label) == set(statement.scale.high_label) == set(LANGUAGES)
        assert all(text.strip() for text in statement.texts.values())


def test_nps_scores_a_response_and_summarises_with_the_statistics_module() -> None:
    model = NetPromoterScore()
    promoter = model.score_response(responses("nps-recommend", [9])[0])
    assert promoter is not None and promoter.category == "promoter" and promoter.values["answer"] == 9.0
    assert model.score_response(responses("nps-recommend", [7])[0]).category == "passive"  # type: ignore[union-attr]
    assert model.score_response(responses("nps-recommend", [6])[0]).category == "detractor"  # type: ignore[union-attr]
    assert model.score_response(responses("nps-recommend", [None])[0]) is None
    assert model.score_response(responses("csat-satisfied", [5])[0]) is None

    values = [10] * 20 + [8] * 10 + [3] * 10 + [None] * 3
    [section] = model.summarise(responses("nps-recommend", values))
    expected = statistics.nps_from_counts(20, 10, 10)
    assert section.sufficient and section.figures == expected.to_dict()
    assert section.figures["value"] == pytest.approx(25.0)
    assert section.figures["n"] == 40  # skipped answers are not counted


def test_summaries_of_rollups_add_up_and_respect_min_n() -> None:
    model = NetPromoterScore()
    a = Rollup.from_responses(responses("nps-recommend", [10] * 12 + [2] * 3), model.statements)
    b = Rollup.from_responses(responses("nps-recommend", [9] * 10 + [7] * 5), model.statements)
    [few] = model.summarise(a)
    assert not few.sufficient and few.figures["value"] is None and "too few responses" in (few.note or "")
    [lenient] = model.summarise(a, SummaryOptions(min_n=10))
    assert lenient.sufficient and lenient.figures["value"] == pytest.approx(100 * (12 - 3) / 15)
    [both] = model.summarise(a.merge(b))
    assert both.sufficient and both.figures["n"] == 30 and both.figures["promoters"] == 22


def test_csat_and_ces_use_their_estimators() -> None:
    csat_model = CustomerSatisfaction()
    [section] = csat_model.summarise(responses("csat-satisfied", [5] * 15 + [4] * 10 + [2] * 5))
    assert section.figures == statistics.csat((0, 5, 0, 10, 15)).to_dict()
    assert section.figures["value"] == pytest.approx(100 * 25 / 30)

    ces_model = CustomerEffort()
    assert ces_model.score_response(responses("ces-easy", [6])[0]).category == "easy"  # type: ignore[union-attr]
    answers = responses("ces-easy", [7] * 10 + [5] * 10 + [2] * 10)
    [section] = ces_model.summarise(answers, SummaryOptions(confidence=0.9))
    assert section.figures == statistics.ces((0, 10, 0, 0, 10, 0, 10), confidence=0.9).to_dict()


def test_out_of_scale_answers_are_refused() -> None:
    with pytest.raises(ValueError, match="0..10"):
        NetPromoterScore().summarise(responses("nps-recommend", [11]))
    with pytest.raises(ValueError, match="different scales"):
        Rollup({"x": (1, 2)}).merge(Rollup({"x": (1, 2, 3)}))

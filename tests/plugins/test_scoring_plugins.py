"""The built-in scoring models (nps, csat, ces): per-response scores and summaries from responses or rollups."""

from __future__ import annotations

import re
import types
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from pejling_smiley_model import SMILED, Smiley

from pejling.core.contracts import LANGUAGES, Answer, ResponseScores, Rollup, ShopperResponse, SummaryOptions
from pejling.core.insights import statistics
from pejling.core.insights.models import Score
from pejling.core.plugin_manager import load_plugins
from pejling.core.settings import Settings
from pejling.core.surveys.ingest import ingest_response
from pejling.core.surveys.model_items import askable_items, tenant_items
from pejling.core.surveys.survey import choose_statements
from pejling.plugins.scoring.ces import CustomerEffort
from pejling.plugins.scoring.csat import CustomerSatisfaction
from pejling.plugins.scoring.nps import NetPromoterScore
from pejling.tenants.scope import tenant_scope
from tests.surveys.conftest import make_shop

DOCS = Path(__file__).parents[2] / "docs" / "plugins.md"

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


def test_csat_and_ces_bring_questions_the_survey_can_ask() -> None:
    items = askable_items([NetPromoterScore(), CustomerSatisfaction(), CustomerEffort()])
    assert [(i.id, i.model_id, i.kind) for i in items.values()] == [
        ("csat-satisfied", "csat", "1-5"), ("ces-easy", "ces", "1-7")
    ]  # NPS's question is the survey's outcome question, asked anyway


def test_the_smiley_model_summarises_its_yes_no_question() -> None:
    model = Smiley()
    answers = responses(SMILED.id, [1] * 24 + [0] * 8 + [None])
    assert model.score_response(answers[0]) == ResponseScores("smiley", {"smiled": 1.0})
    smiley, smiled = model.summarise(answers)
    assert not smiley.sufficient  # nobody answered the recommend question
    low, high = statistics.wilson_interval(24, 32)
    assert smiled.sufficient and smiled.figures == {
        "n": 32, "yes": 24, "value": 75.0, "low": pytest.approx(100 * low), "high": pytest.approx(100 * high)
    }
    [few] = [s for s in model.summarise(answers[:10]) if s.key == "smiled"]
    assert not few.sufficient and "too few responses" in (few.note or "")


async def test_the_docs_example_model_with_its_question_runs(database: Settings) -> None:
    text = DOCS.read_text(encoding="utf-8")
    example = re.search(r"<!-- scoring model example -->\n```python\n(.*?)```", text, flags=re.S)
    assert example is not None, "docs/plugins.md lost its scoring model example"
    module = types.ModuleType("found_it_model")
    exec(compile(example.group(1), "docs/plugins.md", "exec"), module.__dict__)  # noqa: S102 - our own docs
    plugins = await load_plugins(database, entry_points=False, extra_plugins=[("found", module)])
    shop = await make_shop()
    await plugins.enable_plugin(shop.tenant.id, "found")
    with tenant_scope(shop.tenant.id):
        askable = await tenant_items(plugins, shop.tenant.id)
        assert askable["found-it"].kind == "yes-no" and askable["found-it"].labels("sv") == ("Nej", "Ja")
        version = await choose_statements(shop.statement_ids[:4], None, ["found-it"], askable=askable)
    payload = shop.payload(survey_version_id=str(version.id))
    answers = [a for a in payload["answers"] if a["statement_id"] in {*shop.warmup_ids, *shop.statement_ids[:4]}]
    answers.append({"statement_id": "found-it", "value": 1, "position": len(answers), "reaction_ms": 900})
    result = await ingest_response(
        {**payload, "answers": answers}, tenant_slug=shop.tenant.slug, store_slug=shop.store.slug,
        client_address="10.7.0.1", user_agent="", via="json", settings=database, plugins=plugins,
    )
    with tenant_scope(shop.tenant.id):
        score = await Score.get(response_id=result.response_id, model_id="found-it")
    assert score.values == {"found": 1.0}
    model = next(m for m in plugins.scoring_models() if m.id == "found-it")
    [section] = model.summarise(responses("found-it", [1, 1, 0, 1]), SummaryOptions(min_n=4))
    assert section.sufficient and section.figures == {"n": 4, "found_share": 0.75}

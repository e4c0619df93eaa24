"""Scoring models' own questions: the editor adds them, the page renders them, the ingest checks them per item, the
rollups keep them, and CSAT, CES and a third-party model (the smiley test package) answer once asked."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pejling_smiley_model import SMILED, Smiley

from pejling.core.contracts import Answer as ContractAnswer
from pejling.core.contracts import Scale, Statement
from pejling.core.insights import statistics
from pejling.core.insights.columns import HISTOGRAM_COLUMNS
from pejling.core.insights.models import Score, StatementRollup
from pejling.core.insights.rollups import recompute_rollups
from pejling.core.plugin_manager import Plugins
from pejling.core.settings import Settings
from pejling.core.surveys.hooks import shopper_response
from pejling.core.surveys.ingest import IngestRefused, ingest_response
from pejling.core.surveys.model_items import MODEL_GOAL, ModelItem, askable_items
from pejling.core.surveys.models import Answer, Response, SurveyVersion
from pejling.core.surveys.submission_answers import Tap
from pejling.core.surveys.survey import SurveyChangeRefused, active_survey, choose_goals, choose_statements
from pejling.graphql.relay_ids import encode_id
from pejling.plugins.scoring.ces import CustomerEffort
from pejling.plugins.scoring.csat import CustomerSatisfaction
from pejling.plugins.scoring.nps import NetPromoterScore
from pejling.tenants.scope import tenant_scope
from tests.support.tenancy import TenantFixture, gql, make_tenant

from .conftest import STARTED

ENDS = {"en": "Low"}, {"en": "High"}
ELEVEN = Statement("test-eleven", {"en": "How likely is it?"}, Scale(0, 10, *ENDS))
ODD = Statement("test-odd", {"en": "Odd scale?"}, Scale(1, 3, *ENDS))


class _Model(Smiley):
    id = "test-model"
    statements = (ELEVEN, ODD, Statement(SMILED.id, {"en": "Same id, other scale"}, Scale(1, 5, *ENDS)))


def test_askable_questions_are_the_models_own_on_the_four_scales() -> None:
    items = askable_items([NetPromoterScore(), CustomerSatisfaction(), CustomerEffort(), Smiley(), _Model()])
    # The outcome question (asked on every survey) and a 1-3 scale are not askable; the first model's scale of a
    # shared id wins.
    assert list(items) == ["csat-satisfied", "ces-easy", "smiley-smiled", "test-eleven"]
    assert [items[i].kind for i in items] == ["1-5", "1-7", "yes-no", "0-10"]
    smiled = items["smiley-smiled"]
    assert (smiled.model_id, smiled.low, smiled.high, smiled.labels("nb")) == ("smiley", 0, 1, ("Nei", "Ja"))
    assert items["test-eleven"].text("da") == "How likely is it?"  # English where the model has no text
    assert ModelItem.from_json(smiled.to_json()) == smiled


def test_plugins_see_a_question_s_answer_without_a_polarity() -> None:
    response = type("Row", (), {"id": uuid.uuid4(), "tenant_id": uuid.uuid4(), "submitted_at": STARTED,
                                "outcome": None, "language": "en", "store_id": None, "zone_id": None,
                                "channel": "qr", "comment": ""})()
    taps = [Tap("ease.queue-short", "ease", -1, 2, 0, 800, False), Tap("ces-easy", MODEL_GOAL, 1, 6, 1, 900, False)]
    view = shopper_response(response, taps)
    assert view.answer("ease.queue-short") == ContractAnswer("ease.queue-short", 2, 800, -1)
    assert view.answer("ces-easy") == ContractAnswer("ces-easy", 6, 900, None)


async def test_the_editor_keeps_the_budget_of_ten_items_and_a_minute(database: Any) -> None:
    fx = await make_tenant()
    askable = askable_items([CustomerSatisfaction(), CustomerEffort(), Smiley(), _Model()])
    with tenant_scope(fx.tenant.id):
        current = await active_survey()
        assert current is not None
        statements, warmups = list(current.version.statement_ids), list(current.version.warmup_ids)
        with pytest.raises(SurveyChangeRefused, match="at most 9") as too_many:  # 1 + 7 + 2 taps
            await choose_statements(statements, warmups, ["csat-satisfied", "ces-easy"], askable=askable)
        assert too_many.value.field == "modelQuestionIds"
        with pytest.raises(SurveyChangeRefused, match="Unknown question 'nps-recommend'"):
            await choose_statements(statements[:4], warmups, ["nps-recommend"], askable=askable)
        with pytest.raises(SurveyChangeRefused, match="only once"):
            await choose_statements(statements[:4], warmups, ["ces-easy", "ces-easy"], askable=askable)
        eleven = ModelItem("test-eleven", "test-model", 0, 10, {"en": "?"}, {"en": "0"}, {"en": "10"})
        slow = {f"q{i}": ModelItem(f"q{i}", "m", 0, 10, {"en": "?"}, {"en": "0"}, {"en": "10"}) for i in range(3)}
        with pytest.raises(SurveyChangeRefused, match="about 61 s"):  # nine taps, but three of them 0-10
            await choose_statements(statements[:5], warmups, list(slow), askable=slow)
        assert await SurveyVersion.filter(survey_id=current.survey.id).count() == 1  # nothing was made

        version = await choose_statements(statements[:5], warmups, ["ces-easy", "test-eleven"],
                                          askable={**askable, "test-eleven": eleven})
        assert version.number == 2 and [i["id"] for i in version.model_items] == ["ces-easy", "test-eleven"]
        assert version.model_items[0] == askable["ces-easy"].to_json()  # a snapshot: scale, labels, texts
        # Changing the statements or the goals keeps the questions; an empty list removes them.
        kept = await choose_statements(statements[:4])
        assert [i["id"] for i in kept.model_items] == ["ces-easy", "test-eleven"]
        assert [i["id"] for i in (await choose_goals(["ease", "value"])).model_items] == ["ces-easy", "test-eleven"]
        assert (await choose_statements(statements[:4], None, [])).model_items == []


QUESTIONS = """{ survey { questionBank { id modelId scale low high text(language: "sv") }
  activeVersion { statements { id } warmups { id } questions { id scale } } } }"""
CHOOSE = """mutation($s: [String!]!, $w: [String!], $q: [String!]) {
  chooseSurveyStatements(statementIds: $s, warmupIds: $w, modelQuestionIds: $q) {
    version { id questions { id modelId scale low high lowLabels { language text } } }
    errors { code field message } } }"""
INSIGHTS = """query($scope: InsightScopeInput!, $period: PeriodInput!) { insights(scope: $scope, period: $period) {
  models { modelId key sufficient note figures } } }"""


def _answers(version: dict[str, Any], values: dict[str, int], base: int) -> list[dict[str, Any]]:
    ids = [*(w["id"] for w in version["warmups"]), *(s["id"] for s in version["statements"]), *values]
    return [
        {"statement_id": sid, "value": values.get(sid, 2 + (base + position) % 4), "position": position,
         "reaction_ms": 650 + 97 * ((base + position) % 9), "warmup": position == 0}
        for position, sid in enumerate(ids)
    ]


def _submission(fx: TenantFixture, version: dict[str, Any], values: dict[str, int], base: int) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()), "survey_version_id": str(version["uuid"]), "channel": "qr", "language": "en",
        "started_at": STARTED.isoformat(), "submitted_at": (STARTED + timedelta(seconds=45)).isoformat(),
        "answers": _answers(version, values, base), "outcome": 7 + base % 4, "comment": "",
        "consent": {"contact": False, "email": None}, "client": {"viewport_width": 390, "touch": True, "js": True},
    }


def _app_plugins(app: Any) -> Any:
    """The loaded plugins of the app under test (``app.state.plugins``; the fixture wraps the app for its lifespan)."""
    for cell in app.__closure__ or ():
        state = getattr(cell.cell_contents, "state", None)
        if state is not None and hasattr(state, "plugins"):
            return state.plugins
    raise AssertionError("no app.state.plugins")


async def _ingest(app: Any, settings: Settings, fx: TenantFixture, payload: dict[str, Any], n: int) -> Any:
    """Ingest ``payload`` as the JSON endpoint does, from client address number ``n`` (each has its rate limit)."""
    return await ingest_response(
        payload, tenant_slug=fx.tenant.slug, store_slug=fx.stores[0].slug, client_address=f"10.9.{n // 250}.{n % 250}",
        user_agent="", via="json", settings=settings, plugins=_app_plugins(app),
    )


async def test_a_third_party_question_and_csat_and_ces_work_end_to_end(
    app: Any, client: httpx.AsyncClient, database: Settings
) -> None:
    fx = await make_tenant()
    try:
        await _end_to_end(app, client, database, fx)
    finally:
        # The run shares one database: smiley scores left here would be "stale" for the re-score test of
        # tests/insights, which expects only its own tenant to hold any.
        with tenant_scope(fx.tenant.id):
            await Score.filter(model_id="smiley").delete()


async def _end_to_end(app: Any, client: httpx.AsyncClient, database: Settings, fx: TenantFixture) -> None:
    plugins = _app_plugins(app)
    before = (await gql(client, QUESTIONS, headers=fx.headers))["data"]["survey"]
    assert [q["id"] for q in before["questionBank"]] == ["ces-easy", "csat-satisfied"]  # smiley: not enabled yet
    await plugins.enable_plugin(fx.tenant.id, "smiley", {})
    survey = (await gql(client, QUESTIONS, headers=fx.headers))["data"]["survey"]
    bank = {q["id"]: q for q in survey["questionBank"]}
    assert bank["smiley-smiled"] == {"id": "smiley-smiled", "modelId": "smiley", "scale": "yes-no", "low": 0,
                                     "high": 1, "text": "Log någon i butiken mot dig?"}
    assert bank["ces-easy"]["scale"] == "1-7" and bank["csat-satisfied"]["scale"] == "1-5"
    assert "nps-recommend" not in bank

    warmups = [w["id"] for w in survey["activeVersion"]["warmups"]]
    statements = [s["id"] for s in survey["activeVersion"]["statements"]][:4]
    questions = ["csat-satisfied", "ces-easy", "smiley-smiled"]
    too_many = (await gql(client, CHOOSE, {"s": [s["id"] for s in survey["activeVersion"]["statements"]],
                                           "w": warmups, "q": questions}, headers=fx.headers))
    assert too_many["data"]["chooseSurveyStatements"]["errors"][0]["field"] == "modelQuestionIds"
    chosen = (await gql(client, CHOOSE, {"s": statements, "w": warmups, "q": questions}, headers=fx.headers))
    payload = chosen["data"]["chooseSurveyStatements"]
    assert payload["errors"] == []
    assert [(q["id"], q["modelId"], q["scale"]) for q in payload["version"]["questions"]] == [
        ("csat-satisfied", "csat", "1-5"), ("ces-easy", "ces", "1-7"), ("smiley-smiled", "smiley", "yes-no")
    ]
    assert {"language": "da", "text": "Nej"} in payload["version"]["questions"][2]["lowLabels"]

    # The page asks them after the statements, each on its own scale.
    page = await client.get(f"/s/{fx.tenant.slug}/{fx.stores[0].slug}?lang=en")
    html = page.text
    version_id = re.search(r'name="survey_version_id" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    order = re.search(r'name="order" value="([^"]*)"', html).group(1).split(",")  # type: ignore[union-attr]
    assert order[-3:] == questions and len(order) == 8
    assert [v for v in re.findall(r'name="s:ces-easy" value="(\d+)"', html)] == [str(v) for v in range(1, 8)]
    assert re.findall(r'name="s:smiley-smiled" value="(\d)"[^>]*><span>(\w+)<', html) == [("0", "No"), ("1", "Yes")]
    assert "Did someone in the store smile at you?" in html and "7 = Strongly agree" in html

    version = {"uuid": version_id, "warmups": [{"id": w} for w in warmups],
               "statements": [{"id": s} for s in statements]}
    # Per item: CSAT 1-5, CES 1-7, yes/no 0/1. A refusal stores nothing.
    for item, value, message in (("csat-satisfied", 6, "1 to 5"), ("csat-satisfied", 0, "1 to 5"),
                                 ("ces-easy", 8, "1 to 7"), ("smiley-smiled", 2, "0 to 1")):
        values = {"csat-satisfied": 4, "ces-easy": 5, "smiley-smiled": 1, item: value}
        with pytest.raises(IngestRefused) as refused:
            await _ingest(app, database, fx, _submission(fx, version, values, 0), 0)
        index = order.index(item)
        assert (refused.value.code, refused.value.field) == ("value_out_of_range", f"answers[{index}].value")
        assert message in refused.value.message
    with tenant_scope(fx.tenant.id):
        assert await Response.all().count() == 0

    csat_values = [5, 4, 4, 2, 5, 3] * 6
    ces_values = [7, 6, 1, 5, 4, 7] * 6
    smiled = [1, 0, 1, 1, 0, 1] * 6
    for n in range(36):
        values = {"csat-satisfied": csat_values[n], "ces-easy": ces_values[n], "smiley-smiled": smiled[n]}
        result = await _ingest(app, database, fx, _submission(fx, version, values, n), n + 1)
        assert result.quality_flags == ()
    with tenant_scope(fx.tenant.id):
        rows = await Answer.filter(statement_id="ces-easy").order_by("submitted_at")
        assert len(rows) == 36 and {r.goal for r in rows} == {MODEL_GOAL} and rows[0].reaction_ms is not None
        assert sorted(r.value for r in rows) == sorted(ces_values)
        assert await Score.filter(model_id="csat").count() == 36 and await Score.filter(model_id="ces").count() == 36
        assert await Score.filter(model_id="smiley").count() == 36

    period = {"from": (STARTED - timedelta(days=2)).date().isoformat(),
              "to": (STARTED + timedelta(days=2)).date().isoformat()}
    scope = {"kind": "STORE", "ids": [encode_id("Store", fx.stores[0].id)]}
    models = (await gql(client, INSIGHTS, {"scope": scope, "period": period}, headers=fx.headers))
    sections = {(m["modelId"], m["key"]): m for m in models["data"]["insights"]["models"]}
    expected_csat = statistics.csat(statistics.scale_histogram(csat_values, 1, 5)).to_dict()
    expected_ces = statistics.ces(statistics.scale_histogram(ces_values, 1, 7)).to_dict()
    assert sections["csat", "csat"]["sufficient"] and sections["csat", "csat"]["figures"] == expected_csat
    assert sections["ces", "ces"]["sufficient"] and sections["ces", "ces"]["figures"] == expected_ces
    smiled_at = sections["smiley", "smiled"]
    assert smiled_at["sufficient"] and smiled_at["figures"]["n"] == 36
    assert smiled_at["figures"]["value"] == pytest.approx(100 * sum(smiled) / 36)

    # The plain form asks and sends them too.
    form = {"id": str(uuid.uuid4()), "survey_version_id": version_id, "language": "en", "channel": "qr",
            "order": ",".join(order), "warmups": ",".join(warmups), "started_at": STARTED.isoformat(),
            "s:" + order[1]: "4", "s:csat-satisfied": "2", "s:ces-easy": "7", "s:smiley-smiled": "0", "outcome": "6"}
    sent = await client.post(f"/s/{fx.tenant.slug}/{fx.stores[0].slug}/form", data=form,
                             headers={"x-forwarded-for": "10.8.0.1"})
    assert sent.status_code == 200, sent.text
    with tenant_scope(fx.tenant.id):
        stored = {a.statement_id: a.value for a in await Answer.filter(response_id=form["id"])}
    assert stored == {order[1]: 4, "csat-satisfied": 2, "ces-easy": 7, "smiley-smiled": 0}

    # Switched off, the smiley's question is no longer asked, but answers from a page loaded before are kept.
    await plugins.disable_plugin(fx.tenant.id, "smiley")
    later = (await client.get(f"/s/{fx.tenant.slug}/{fx.stores[0].slug}?lang=en")).text
    assert 'name="s:ces-easy"' in later and "smiley-smiled" not in later
    values = {"csat-satisfied": 5, "ces-easy": 6, "smiley-smiled": 1}
    kept = await _ingest(app, database, fx, _submission(fx, version, values, 99), 99)
    with tenant_scope(fx.tenant.id):
        assert await Answer.filter(response_id=kept.response_id, statement_id="smiley-smiled").count() == 1


async def test_a_0_to_10_question_is_checked_stored_and_rolled_up_and_a_rebuild_agrees(
    database: Settings, plugins: Plugins
) -> None:
    fx = await make_tenant()
    eleven = askable_items([_Model()])["test-eleven"]
    with tenant_scope(fx.tenant.id):
        current = await active_survey()
        assert current is not None
        warmups, statements = list(current.version.warmup_ids), list(current.version.statement_ids[:3])
        made = await choose_statements(statements, warmups, ["test-eleven"], askable={"test-eleven": eleven})
    version = {"uuid": str(made.id), "warmups": [{"id": w} for w in warmups],
               "statements": [{"id": s} for s in statements]}
    for n, value in enumerate((10, 0, 10, 7)):
        payload = _submission(fx, version, {"test-eleven": value}, n)
        await ingest_response(payload, tenant_slug=fx.tenant.slug, store_slug=fx.stores[0].slug,
                              client_address=f"10.6.0.{n}", user_agent="", via="json", settings=database,
                              plugins=plugins)
    with pytest.raises(IngestRefused, match="from 0 to 10"):
        await ingest_response(_submission(fx, version, {"test-eleven": 11}, 5), tenant_slug=fx.tenant.slug,
                              store_slug=fx.stores[0].slug, client_address="10.6.0.9", user_agent="", via="json",
                              settings=database, plugins=plugins)

    async def histogram() -> list[int]:
        with tenant_scope(fx.tenant.id):
            rows = await StatementRollup.filter(statement_id="test-eleven")
        return [sum(int(getattr(r, c)) for r in rows) for c in HISTOGRAM_COLUMNS]

    incremental = await histogram()
    assert incremental == [1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 2]
    await recompute_rollups(fx.tenant.id)
    assert await histogram() == incremental

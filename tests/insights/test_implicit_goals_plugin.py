"""The built-in implicit-goals scoring model and its playbook."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from pejling.core.contracts import LANGUAGES, Answer, Rollup, ShopperResponse, SummaryOptions
from pejling.core.goals import ALWAYS_ON_REASON, GOALS, PLUGIN_NAME
from pejling.core.goals.playbook import levers, playbook
from pejling.core.goals.scores import Tap, score_taps
from pejling.core.goals.scoring import ImplicitGoals
from pejling.core.insights.statistics import normalise_reaction_times
from pejling.core.plugin_errors import PluginAlwaysOn, PluginLoadError
from pejling.core.plugin_manager import load_plugins
from pejling.core.settings import Settings
from pejling.tenants.plugin_settings import PluginSetting
from pejling.tenants.scope import tenant_scope
from pejling.tenants.signup import create_tenant_with_owner
from tests.conftest import unique


def _response(*answers: Answer) -> ShopperResponse:
    return ShopperResponse(id=uuid4(), tenant_id=uuid4(), submitted_at=datetime.now(UTC), answers=answers)


def test_scores_turn_reversed_items_and_weight_fast_taps() -> None:
    model = ImplicitGoals()
    scores = model.score_response(_response(
        Answer("warmup.visited-today", 5, 900),
        Answer("ease.found-without-asking", 5, 600),     # fast and agreeing
        Answer("ease.queued-to-pay", 1, 2500),           # reversed wording: 1 means the goal was served
        Answer("value.worth-the-money", 2, 3000),
    ))
    assert scores is not None
    assert scores.values["ease.explicit"] == 5.0
    assert scores.values["value.explicit"] == 2.0
    assert scores.values["ease.conviction"] == pytest.approx(1.0)
    assert scores.values["value.conviction"] == pytest.approx(-0.5)
    assert scores.category == "value"  # the weakest goal of this response
    assert model.score_response(_response(Answer("warmup.visited-today", 5, 900))) is None


def test_conviction_uses_the_statistics_weights() -> None:
    taps = [Tap("warmup", 1, 5, 800, True), Tap("ease", 1, 5, 500, False), Tap("ease", 1, 1, 4000, False),
            Tap("security", 1, 4, 1500, False)]
    rtw = normalise_reaction_times([500, 4000, 1500], baseline_rts_ms=[800])
    w = rtw.weights
    assert w[0] is not None and w[1] is not None
    expected = (w[0] * 1.0 + w[1] * -1.0) / (w[0] + w[1])
    assert score_taps(taps)["ease"].conviction == pytest.approx(expected)
    assert score_taps(taps)["ease"].explicit == 3.0
    no_js = [Tap("ease", 1, 4, None, False)]
    assert score_taps(no_js)["ease"].conviction is None and score_taps(no_js)["ease"].explicit == 4.0


def test_summary_of_a_rollup_and_too_few() -> None:
    model = ImplicitGoals()
    rollup = Rollup({"ease.found-without-asking": (0, 0, 10, 20, 10), "ease.queued-to-pay": (10, 0, 0, 0, 0)})
    (section,) = model.summarise(rollup, SummaryOptions(min_n=30))
    ease = section.figures["ease"]
    assert section.sufficient and ease["n"] == 50
    assert ease["value"] == pytest.approx((10 * 3 + 20 * 4 + 10 * 5 + 10 * 5) / 50)
    assert ease["low"] < ease["value"] < ease["high"]
    assert section.figures["value"]["sufficient"] is False


def test_playbook_has_levers_for_every_goal_in_every_language() -> None:
    book = playbook()
    for goal in GOALS:
        for language in LANGUAGES:
            assert len(book[goal][language]) >= 3
        assert levers(goal, "fr") == book[goal]["en"]
    assert levers("ease", "da")[0] != levers("ease", "en")[0]


async def test_the_model_is_a_builtin_plugin(database: Settings) -> None:
    plugins = await load_plugins(database, entry_points=False)
    assert "implicit_goals" in plugins.loaded and plugins.loaded["implicit_goals"].builtin
    assert [m.id for m in plugins.loaded["implicit_goals"].scoring_models] == ["implicit-goals"]


async def test_the_model_cannot_be_switched_off(database: Settings) -> None:
    """The implicit-goals model is core (docs/architecture.md): disabling it is refused with the reason, it stays on."""
    plugins = await load_plugins(database, entry_points=False)
    slug = unique("goals")
    tenant, _ = await create_tenant_with_owner(
        tenant_name=f"Shop {slug}", tenant_slug=slug, email=f"{slug}@example.com", password="goals-are-core-42"
    )
    with pytest.raises(PluginAlwaysOn) as refused:
        await plugins.disable_plugin(tenant.id, PLUGIN_NAME)
    assert refused.value.reason == ALWAYS_ON_REASON and "core model" in str(refused.value)
    with tenant_scope(tenant.id):
        assert await PluginSetting.all().count() == 0
        await PluginSetting.create(plugin=PLUGIN_NAME, enabled=False, config={})  # stored before the decision
    plugins.invalidate(tenant.id)
    assert PLUGIN_NAME in await plugins.enabled_plugins(tenant.id)
    configured = await plugins.enable_plugin(tenant.id, PLUGIN_NAME, {"min_responses": 50})
    assert configured.config == {"min_responses": 50}


async def test_the_model_cannot_be_left_out_at_start_up(database: Settings) -> None:
    with pytest.raises(PluginLoadError, match="cannot be disabled: the implicit-goals model is Pejling's core model"):
        await load_plugins(database.model_copy(update={"plugins_disabled": [PLUGIN_NAME]}), entry_points=False)

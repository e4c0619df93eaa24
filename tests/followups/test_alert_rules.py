"""Each rule kind opens a follow-up from a response submitted through the real ingest path (or the daily job)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from pejling.core.followups.models import AlertRule, FollowUp, FollowUpStatus
from pejling.core.followups.rules import STORE_SCORES_JOB, SWEEP_JOB, comment_matches, sweep_store_scores
from pejling.core.jobs.models import Job
from pejling.core.jobs.registry import HOURLY_JOBS
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.scope import tenant_scope

from .conftest import Chain, Jobs, gql
from .helpers import CREATE_RULE, FOLLOW_UPS, nodes, stored_response


async def create_rule(api: httpx.AsyncClient, chain: Chain, **input: Any) -> dict[str, Any]:
    body = await gql(api, chain.owner, CREATE_RULE, input={"name": "Watch", **input})
    assert "errors" not in body, body
    payload = body["data"]["createAlertRule"]
    assert payload["errors"] == [], payload
    rule: dict[str, Any] = payload["alertRule"]
    return rule


async def follow_ups_of(chain: Chain) -> list[FollowUp]:
    with tenant_scope(chain.tenant.id):
        return list(await FollowUp.all().order_by("created_at"))


async def test_low_outcome_opens_a_follow_up_assigned_and_mailed_to_the_store_manager(
    api: httpx.AsyncClient, chain: Chain, jobs: Jobs, smtp_server: Any
) -> None:
    rule = await create_rule(api, chain, kind="OUTCOME_AT_MOST", threshold=3)
    assert rule["notifyRoles"] == ["STORE_MANAGER"]
    await chain.submit(outcome=8, comment="Fint")
    assert await follow_ups_of(chain) == []

    response_id = await chain.submit(outcome=2, comment="Lang ventetid")
    [follow_up] = await follow_ups_of(chain)
    assert follow_up.status is FollowUpStatus.OPEN
    assert str(follow_up.response_id) == response_id
    assert follow_up.store_id == chain.store.id
    assert follow_up.assignee_id == chain.manager.user.id
    assert follow_up.details == {"outcome": 2, "threshold": 3}

    await jobs.run()
    [mail] = await smtp_server.wait_for(chain.manager.user.email)
    assert mail["Subject"] == "Opfølgning for Main street: Lav bedømmelse: 2 af 10"  # the tenant speaks Danish
    body = mail.get_content()
    assert "Lang ventetid" in body
    assert f"https://pejling.test/portal/follow-ups/{follow_up.id}" in body
    # The owner is not in the rule's roles, and nothing else of the response is in the mail.
    assert smtp_server.to(chain.owner.user.email) == []

    listed = nodes(await gql(api, chain.owner, FOLLOW_UPS), "followUps")
    assert [n["id"] for n in listed] == [encode_id("FollowUp", follow_up.id)]
    assert listed[0]["title"] == "Lav bedømmelse: 2 af 10"
    assert listed[0]["assignee"]["email"] == chain.manager.user.email


async def test_the_same_response_checked_twice_opens_one_follow_up(
    api: httpx.AsyncClient, chain: Chain
) -> None:
    from pejling.core.followups.rules import evaluate_response

    await create_rule(api, chain, kind="OUTCOME_AT_MOST", threshold=4)
    response_id = await chain.submit(outcome=0)
    with tenant_scope(chain.tenant.id):
        assert await evaluate_response(response_id) == []  # type: ignore[arg-type]
    assert len(await follow_ups_of(chain)) == 1


async def test_strongly_negative_goal_opens_a_follow_up(api: httpx.AsyncClient, chain: Chain) -> None:
    await create_rule(api, chain, kind="GOAL_STRONGLY_NEGATIVE", goal="ease")
    await chain.submit(values={"ease": 3})
    assert await follow_ups_of(chain) == []
    response_id = await chain.submit(values={"ease": 1})
    [follow_up] = await follow_ups_of(chain)
    assert str(follow_up.response_id) == response_id
    assert follow_up.details["goal"] == "ease" and follow_up.details["score"] == 1.0


async def test_watched_words_match_whole_words_in_any_case_and_language(api: httpx.AsyncClient, chain: Chain) -> None:
    await create_rule(api, chain, kind="COMMENT_WORDS", words=["kø", "Rude ", "lang ventetid"])
    await chain.submit(comment="Jeg købte for meget")  # "køb…" is not the word "kø"
    await chain.submit(comment="Rudeness is a word too")
    assert await follow_ups_of(chain) == []
    await chain.submit(comment="Alt for lang KØ ved kassen!")
    await chain.submit(comment="En LANG   ventetid.")
    follow_ups = await follow_ups_of(chain)
    assert [f.details["words"] for f in follow_ups] == [["kø"], ["lang ventetid"]]
    assert comment_matches(["ørsted"], "Hej ØRSTED.") == ["ørsted"]
    assert comment_matches(["bra"], "Inte bra!") == ["bra"] and comment_matches(["bra"], "bravo") == []


async def test_rules_limited_to_a_store_and_disabled_rules_stay_quiet(api: httpx.AsyncClient, chain: Chain) -> None:
    await create_rule(api, chain, kind="OUTCOME_AT_MOST", threshold=5,
                      storeIds=[encode_id("Store", chain.other_store.id)])
    await create_rule(api, chain, kind="OUTCOME_AT_MOST", threshold=5, enabled=False)
    await chain.submit(outcome=1)
    assert await follow_ups_of(chain) == []
    await chain.submit(outcome=1, store=chain.other_store)
    [follow_up] = await follow_ups_of(chain)
    assert follow_up.store_id == chain.other_store.id
    assert follow_up.assignee_id is None  # nobody manages the harbour store


async def test_falling_store_score_opens_a_store_level_follow_up_from_the_daily_job(
    api: httpx.AsyncClient, chain: Chain, jobs: Jobs, smtp_server: Any
) -> None:
    now = datetime.now(UTC)
    for day in range(8, 30, 3):  # the 28 days before the last week: good scores in both stores
        await stored_response(chain, submitted_at=now - timedelta(days=day), outcome=9)
        await stored_response(chain, submitted_at=now - timedelta(days=day), outcome=8, store=chain.other_store)
    for day in range(1, 7):  # the last week: the main store falls, the harbour holds
        await stored_response(chain, submitted_at=now - timedelta(days=day, hours=1), outcome=5)
        await stored_response(chain, submitted_at=now - timedelta(days=day, hours=1), outcome=8,
                              store=chain.other_store)
    # Flagged responses never count, however bad.
    await stored_response(chain, submitted_at=now - timedelta(days=1), outcome=0, store=chain.other_store,
                          flags=["straight_line"])
    rule = await create_rule(api, chain, kind="STORE_SCORE_FALLING", threshold=2.5, minResponses=5,
                             notifyRoles=["STORE_MANAGER", "OWNER"], notifyEmails=["Area.Lead@example.com"])
    assert rule["minResponses"] == 5

    await jobs.run()
    [follow_up] = await follow_ups_of(chain)
    assert follow_up.response_id is None
    assert follow_up.store_id == chain.store.id
    assert follow_up.details["fall"] == 4.0 and follow_up.details["recent_n"] == 6
    for address in (chain.manager.user.email, chain.owner.user.email, "area.lead@example.com"):
        [mail] = await smtp_server.wait_for(address)
        assert "Butikkens bedømmelse faldt med 4.0 (fra 9.0 til 5.0)" in mail["Subject"]

    # The hourly sweep queues one check per tenant and day; a check while the follow-up is unresolved opens nothing.
    await sweep_store_scores({})
    await sweep_store_scores({})
    daily = await Job.filter(kind=STORE_SCORES_JOB, tenant_id=chain.tenant.id,
                             idempotency_key=f"{STORE_SCORES_JOB}:{chain.tenant.id}:{datetime.now(UTC):%Y-%m-%d}")
    assert len(daily) == 1
    await jobs.run()
    assert len(await follow_ups_of(chain)) == 1
    assert SWEEP_JOB in HOURLY_JOBS


async def test_bad_rules_are_refused_and_nothing_is_stored(api: httpx.AsyncClient, chain: Chain) -> None:
    cases = [
        ({"kind": "OUTCOME_AT_MOST"}, "threshold"),
        ({"kind": "OUTCOME_AT_MOST", "threshold": 11}, "threshold"),
        ({"kind": "GOAL_STRONGLY_NEGATIVE", "goal": "happiness"}, "goal"),
        ({"kind": "GOAL_STRONGLY_NEGATIVE", "goal": "ease", "threshold": 4}, "threshold"),
        ({"kind": "COMMENT_WORDS", "words": ["  "]}, "words"),
        ({"kind": "STORE_SCORE_FALLING", "threshold": 0}, "threshold"),
        ({"kind": "OUTCOME_AT_MOST", "threshold": 3, "notifyEmails": ["not-an-address"]}, "notifyEmails"),
        ({"kind": "OUTCOME_AT_MOST", "threshold": 3, "storeIds": [encode_id("Store", chain.tenant.id)]}, "storeIds"),
        ({"kind": "OUTCOME_AT_MOST", "threshold": 3, "name": " "}, "name"),
    ]
    for input, field in cases:
        body = await gql(api, chain.owner, CREATE_RULE, input={"name": "Bad", **input})
        [error] = body["data"]["createAlertRule"]["errors"]
        assert error["field"] == field, (input, error)
        assert error["code"] in {"invalid", "not_found"}
    with tenant_scope(chain.tenant.id):
        assert await AlertRule.all().count() == 0


async def test_only_owners_and_admins_change_rules(api: httpx.AsyncClient, chain: Chain) -> None:
    for person in (chain.analyst, chain.manager):
        body = await gql(api, person, CREATE_RULE, input={"name": "X", "kind": "OUTCOME_AT_MOST", "threshold": 3})
        assert body["data"]["createAlertRule"]["errors"][0]["code"] == "forbidden"
    rule = await create_rule(api, chain, kind="OUTCOME_AT_MOST", threshold=3)
    update = """mutation($id: ID!, $input: AlertRuleInput!) { updateAlertRule(id: $id, input: $input) {
        alertRule { kind words } errors { code field } } }"""
    body = await gql(api, chain.owner, update, id=rule["id"], input={"name": "W", "kind": "COMMENT_WORDS",
                                                                     "words": ["Smudsigt"]})
    assert body["data"]["updateAlertRule"] == {"alertRule": {"kind": "COMMENT_WORDS", "words": ["smudsigt"]},
                                               "errors": []}
    listed = await gql(api, chain.analyst, "{ alertRules { id kind } }")
    assert listed["data"]["alertRules"] == [{"id": rule["id"], "kind": "COMMENT_WORDS"}]
    delete = "mutation($id: ID!) { deleteAlertRule(id: $id) { deletedId errors { code } } }"
    assert (await gql(api, chain.owner, delete, id=rule["id"]))["data"]["deleteAlertRule"]["errors"] == []
    with tenant_scope(chain.tenant.id):
        assert await AlertRule.all().count() == 0

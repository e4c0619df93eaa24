"""GraphQL: the public submitResponse mutation (same code path as the JSON endpoint) and survey configuration."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from pejling.core.surveys.models import Answer, Response, SurveyVersion
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.models import Role
from pejling.tenants.scope import tenant_scope
from tests.support.tenancy import gql, make_tenant, member, token_for

from .conftest import make_shop

SUBMIT = """mutation($input: ResponseInput!) { submitResponse(input: $input) {
  response { id receiptCode duplicate thankYou { headline body receiptNote } reward { code } }
  errors { code message field } } }"""

SURVEY = """{ survey { id activeVersion { id number active statements { id goal text(language: "sv") }
  warmups { id } } } }"""


def _input(shop: Any, **changes: Any) -> dict[str, Any]:
    body = shop.payload()
    value: dict[str, Any] = {
        "id": body["id"],
        "tenantSlug": shop.tenant.slug,
        "storeSlug": shop.store.slug,
        "surveyVersionId": encode_id("SurveyVersion", uuid.UUID(shop.version_id)),
        "zoneId": encode_id("Zone", shop.zone.id),
        "channel": "kiosk",
        "language": "sv",
        "startedAt": body["started_at"],
        "submittedAt": body["submitted_at"],
        "answers": [
            {"statementId": a["statement_id"], "value": a["value"], "position": a["position"],
             "reactionMs": a["reaction_ms"], "warmup": a["warmup"]}
            for a in body["answers"]
        ],
        "outcome": 9,
        "comment": "",
        "consent": {"contact": False},
        "client": {"viewportWidth": 1080, "touch": True, "js": True},
    }
    value.update(changes)
    return value


async def test_submit_response_without_login_stores_once(client: httpx.AsyncClient, database: Any) -> None:
    shop = await make_shop()
    variables = {"input": _input(shop)}
    first = await gql(client, SUBMIT, variables)
    payload = first["data"]["submitResponse"]
    assert payload["errors"] == []
    assert payload["response"]["duplicate"] is False
    assert payload["response"]["thankYou"]["headline"] == "Tack för din tid!"
    again = (await gql(client, SUBMIT, variables))["data"]["submitResponse"]["response"]
    assert again == {**payload["response"], "duplicate": True}
    with tenant_scope(shop.tenant.id):
        response = await Response.get(id=variables["input"]["id"])
        assert response.via == "graphql" and response.channel == "kiosk" and response.zone_id == shop.zone.id
        assert await Answer.filter(response_id=response.id).count() == len(variables["input"]["answers"])


async def test_submit_response_refusals_are_typed_errors(client: httpx.AsyncClient, database: Any) -> None:
    shop = await make_shop()
    bad = _input(shop)
    bad["answers"][1]["value"] = 9
    result = (await gql(client, SUBMIT, {"input": bad}))["data"]["submitResponse"]
    assert result["response"] is None
    assert result["errors"] == [
        {"code": "value_out_of_range", "message": "answers[1].value must be a whole number from 1 to 5.",
         "field": "answers[1].value"}
    ]
    unknown = (await gql(client, SUBMIT, {"input": _input(shop, storeSlug="nowhere")}))["data"]["submitResponse"]
    assert unknown["errors"][0]["code"] == "store_not_found"
    with tenant_scope(shop.tenant.id):
        assert await Response.all().count() == 0


async def test_survey_configuration_by_admins(client: httpx.AsyncClient, database: Any) -> None:
    shop = await make_tenant(stores=1)
    headers = shop.headers
    survey = (await gql(client, SURVEY, headers=headers))["data"]["survey"]
    first_version = survey["activeVersion"]
    assert first_version["number"] == 1 and first_version["active"]
    assert len(first_version["statements"]) == 7 and len(first_version["warmups"]) == 1
    assert first_version["statements"][0]["text"].startswith("Jag")

    added = await gql(
        client,
        "mutation($input: SurveyStatementInput!) { addSurveyStatement(input: $input) "
        "{ statement { id goal builtin } errors { code field } } }",
        {"input": {"goal": "ease", "slug": "fitting-rooms-free", "da": "Der var et ledigt prøverum.",
                   "nb": "Det var et ledig prøverom.", "sv": "Det fanns ett ledigt provrum.",
                   "en": "A fitting room was free."}},
        headers=headers,
    )
    assert added["data"]["addSurveyStatement"] == {
        "statement": {"id": "ease.t-fitting-rooms-free", "goal": "ease", "builtin": False}, "errors": []
    }
    bank = (await gql(client, '{ statementBank(goal: "ease") { id builtin } }', headers=headers))["data"]
    assert {"id": "ease.t-fitting-rooms-free", "builtin": False} in bank["statementBank"]

    chosen = await gql(
        client,
        """mutation { chooseSurveyStatements(statementIds: ["ease.t-fitting-rooms-free", "value.worth-the-money"])
        { version { number statements { id } warmups { id } } errors { code field message } } }""",
        headers=headers,
    )
    version = chosen["data"]["chooseSurveyStatements"]["version"]
    assert version["number"] == 2
    assert [s["id"] for s in version["statements"]] == ["ease.t-fitting-rooms-free", "value.worth-the-money"]
    assert version["warmups"] == [{"id": "warmup.visited-today"}]
    with tenant_scope(shop.tenant.id):
        versions = await SurveyVersion.all().order_by("number")
        assert [(v.number, v.active) for v in versions] == [(1, False), (2, True)]
        assert versions[0].statement_ids == [s["id"] for s in first_version["statements"]]  # old version unchanged

    goals = await gql(
        client, 'mutation { chooseSurveyGoals(goals: ["ease", "value"], perGoal: 2) { version { number statements '
        "{ id } } errors { code } } }", headers=headers,
    )
    assert [s["id"].split(".")[0] for s in goals["data"]["chooseSurveyGoals"]["version"]["statements"]] == [
        "ease", "ease", "value", "value"
    ]

    refused = await gql(
        client, 'mutation { chooseSurveyStatements(statementIds: ["ease.nope"]) { version { number } errors '
        "{ code field } } }", headers=headers,
    )
    assert refused["data"]["chooseSurveyStatements"] == {
        "version": None, "errors": [{"code": "invalid", "field": "statementIds"}]
    }
    too_many = await gql(
        client, "mutation { chooseSurveyGoals(goals: [\"ease\", \"value\", \"security\", \"autonomy\", \"discovery\"], "
        "perGoal: 2) { version { number } errors { code field } } }", headers=headers,
    )
    assert too_many["data"]["chooseSurveyGoals"]["errors"] == [{"code": "invalid", "field": "statementIds"}]


async def test_analysts_cannot_change_the_survey_and_tenants_are_apart(
    client: httpx.AsyncClient, database: Any
) -> None:
    a, b = await make_tenant(stores=1), await make_tenant(stores=1)
    analyst = await member(a.tenant, Role.ANALYST)
    analyst_headers = {"Authorization": f"Bearer {await token_for(a.tenant, analyst)}"}
    result = await gql(
        client, 'mutation { chooseSurveyGoals(goals: ["ease"]) { version { number } errors { code } } }',
        headers=analyst_headers,
    )
    assert result["data"]["chooseSurveyGoals"]["errors"] == [{"code": "forbidden"}]
    await gql(
        client, 'mutation { addSurveyStatement(input: {goal: "value", slug: "only-a", da: "a", nb: "a", sv: "a", '
        'en: "a"}) { errors { code } } }', headers=a.headers,
    )
    bank_b = (await gql(client, "{ statementBank { id } }", headers=b.headers))["data"]["statementBank"]
    assert "value.t-only-a" not in {s["id"] for s in bank_b}
    steal = await gql(
        client, 'mutation { chooseSurveyStatements(statementIds: ["value.t-only-a"]) { version { number } errors '
        "{ code field } } }", headers=b.headers,
    )
    assert steal["data"]["chooseSurveyStatements"]["errors"] == [{"code": "invalid", "field": "statementIds"}]
    survey_a = (await gql(client, SURVEY, headers=a.headers))["data"]["survey"]
    survey_b = (await gql(client, SURVEY, headers=b.headers))["data"]["survey"]
    assert survey_a["id"] != survey_b["id"]
    anonymous = await gql(client, SURVEY)
    assert anonymous["data"] is None or anonymous["data"].get("survey") is None


async def test_submit_response_with_channel_params_and_read_the_details(
    client: httpx.AsyncClient, database: Any
) -> None:
    shop = await make_shop()
    variables = {"input": _input(shop, channel="nfc", channelParams={"tag": "door-2"})}
    assert (await gql(client, SUBMIT, variables))["data"]["submitResponse"]["errors"] == []
    bad = {"input": _input(shop, channel="nfc", channelParams={"tag": ["door-2"]})}
    errors = (await gql(client, SUBMIT, bad))["data"]["submitResponse"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("invalid_channel_params", "channel_params")]
    owner = await member(shop.tenant, Role.OWNER)
    headers = {"Authorization": f"Bearer {await token_for(shop.tenant, owner)}"}
    query = '{ responses(filter: {channels: ["nfc"]}) { edges { node { channel channelDetails } } } }'
    read = await gql(client, query, headers=headers)
    assert [e["node"] for e in read["data"]["responses"]["edges"]] == [
        {"channel": "nfc", "channelDetails": {"tag": "door-2", "verified": False}}]

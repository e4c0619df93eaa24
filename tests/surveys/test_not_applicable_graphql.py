"""GraphQL and "doesn't apply": statements say whether they offer it, submitResponse takes it, answers expose it."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from pejling.core.surveys.models import Answer, Response
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.models import Membership, Role, User
from pejling.tenants.scope import tenant_scope
from tests.support.tenancy import gql, make_tenant, token_for

from .test_not_applicable import ALWAYS, PAYING, na_shop

SUBMIT = """mutation($input: ResponseInput!) { submitResponse(input: $input) {
  response { id duplicate } errors { code field } } }"""
ANSWERS = "{ responses(first: 5) { edges { node { answers { statementId value notApplicable } } } } }"


def _input(shop: Any, na: str) -> dict[str, Any]:
    body = shop.payload()
    answers = []
    for a in body["answers"]:
        answer = {"statementId": a["statement_id"], "value": a["value"], "position": a["position"],
                  "reactionMs": a["reaction_ms"], "warmup": a["warmup"]}
        if a["statement_id"] == na:
            answer = dict(answer, value=None, notApplicable=True)
        answers.append(answer)
    return {
        "id": body["id"], "tenantSlug": shop.tenant.slug, "storeSlug": shop.store.slug,
        "surveyVersionId": encode_id("SurveyVersion", uuid.UUID(shop.version_id)), "channel": "qr",
        "language": "en", "startedAt": body["started_at"], "submittedAt": body["submitted_at"], "answers": answers,
        "outcome": 7,
    }


async def test_submit_response_takes_doesnt_apply_only_where_offered(client: httpx.AsyncClient, database: Any) -> None:
    shop = await na_shop()
    refused = (await gql(client, SUBMIT, {"input": _input(shop, ALWAYS)}))["data"]["submitResponse"]
    assert refused["response"] is None
    assert refused["errors"] == [{"code": "not_applicable_refused", "field": "answers[1].not_applicable"}]
    variables = {"input": _input(shop, PAYING)}
    stored = (await gql(client, SUBMIT, variables))["data"]["submitResponse"]
    assert stored["errors"] == [] and stored["response"]["duplicate"] is False
    again = (await gql(client, SUBMIT, variables))["data"]["submitResponse"]  # a resend is the same submission
    assert again["response"]["duplicate"] is True
    with tenant_scope(shop.tenant.id):
        (response,) = await Response.all()
        answer = await Answer.get(response_id=response.id, statement_id=PAYING)
    assert answer.not_applicable is True and answer.value is None
    # The retailer's API shows it as such.
    with tenant_scope(shop.tenant.id):
        owner = await User.get(id=(await Membership.get(role=Role.OWNER)).user_id)
    headers = {"Authorization": f"Bearer {await token_for(shop.tenant, owner)}"}
    (edge,) = (await gql(client, ANSWERS, headers=headers))["data"]["responses"]["edges"]
    shown = {a["statementId"]: a for a in edge["node"]["answers"]}
    assert shown[PAYING] == {"statementId": PAYING, "value": None, "notApplicable": True}
    assert shown[ALWAYS]["notApplicable"] is False and shown[ALWAYS]["value"] is not None


async def test_statements_say_whether_they_offer_doesnt_apply(client: httpx.AsyncClient, database: Any) -> None:
    tenant = await make_tenant(stores=1)
    bank = (await gql(client, "{ statementBank { id mayNotApply } }", headers=tenant.headers))["data"]
    offered = {s["id"]: s["mayNotApply"] for s in bank["statementBank"]}
    assert offered[PAYING] is True and offered["recognition.staff-took-time"] is True
    assert offered[ALWAYS] is False

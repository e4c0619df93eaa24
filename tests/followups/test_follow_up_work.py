"""Working a follow-up through GraphQL: transitions, notes, assignee, roles, store managers' view, other tenants."""

from __future__ import annotations

from typing import Any

import httpx

from pejling.core.followups.models import AlertRule, FollowUp, FollowUpStatus
from pejling.graphql.relay_ids import decode_id, encode_id
from pejling.tenants.scope import tenant_scope

from .conftest import Chain, gql, make_chain
from .helpers import CREATE_RULE, FOLLOW_UPS, nodes

MOVE = """mutation($id: ID!) {{ {name}(id: $id) {{ followUp {{ id status acknowledgedAt resolvedAt }}
    errors {{ code field message }} }} }}"""
NOTE = """mutation($id: ID!, $text: String!) { addFollowUpNote(id: $id, text: $text) {
    note { text authorName } followUp { id } errors { code field } } }"""
ASSIGN = """mutation($id: ID!, $memberId: ID) { assignFollowUp(id: $id, memberId: $memberId) {
    followUp { assignee { email } } errors { code field } } }"""


async def opened(api: httpx.AsyncClient, chain: Chain, store: Any = None) -> str:
    """A follow-up opened by a low outcome submitted through ingest; its global id."""
    with tenant_scope(chain.tenant.id):
        has_rule = await AlertRule.exists()
    if not has_rule:
        body = await gql(api, chain.owner, CREATE_RULE,
                         input={"name": "Low", "kind": "OUTCOME_AT_MOST", "threshold": 4})
        assert body["data"]["createAlertRule"]["errors"] == []
    response_id = await chain.submit(outcome=1, comment="Ingen hjalp mig", store=store)
    with tenant_scope(chain.tenant.id):
        follow_up = await FollowUp.get(response_id=response_id)
    return encode_id("FollowUp", follow_up.id)


async def move(api: httpx.AsyncClient, person: Any, name: str, id: str) -> dict[str, Any]:
    body = await gql(api, person, MOVE.format(name=name), id=id)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"][name]
    return payload


async def test_a_follow_up_is_worked_to_resolved_with_notes_and_an_assignee(api: httpx.AsyncClient,
                                                                           chain: Chain) -> None:
    id = await opened(api, chain)
    manager_member = encode_id("Member", chain.manager.membership.id)
    owner_member = encode_id("Member", chain.owner.membership.id)

    assigned = await gql(api, chain.owner, ASSIGN, id=id, memberId=owner_member)
    assert assigned["data"]["assignFollowUp"] == {"followUp": {"assignee": {"email": chain.owner.user.email}},
                                                  "errors": []}
    assigned = await gql(api, chain.owner, ASSIGN, id=id, memberId=manager_member)
    assert assigned["data"]["assignFollowUp"]["followUp"]["assignee"]["email"] == chain.manager.user.email

    acknowledged = await move(api, chain.manager, "acknowledgeFollowUp", id)
    assert acknowledged["errors"] == []
    assert acknowledged["followUp"]["status"] == "ACKNOWLEDGED" and acknowledged["followUp"]["acknowledgedAt"]
    note = await gql(api, chain.manager, NOTE, id=id, text="  Talked to the checkout team.  ")
    assert note["data"]["addFollowUpNote"]["note"] == {"text": "Talked to the checkout team.",
                                                       "authorName": "store_manager person"}
    resolved = await move(api, chain.manager, "resolveFollowUp", id)
    assert resolved["errors"] == [] and resolved["followUp"]["status"] == "RESOLVED"

    [node] = nodes(await gql(api, chain.manager, FOLLOW_UPS), "followUps")
    assert node["status"] == "RESOLVED"
    assert node["notes"] == [{"text": "Talked to the checkout team.", "authorName": "store_manager person"}]
    assert node["response"]["comment"] == "Ingen hjalp mig"
    assert node["response"]["contactEmail"] is None

    reopened = await move(api, chain.owner, "reopenFollowUp", id)
    assert reopened["followUp"]["status"] == "OPEN" and reopened["followUp"]["resolvedAt"] is None


async def test_illegal_transitions_are_refused_with_a_typed_error_and_change_nothing(
    api: httpx.AsyncClient, chain: Chain
) -> None:
    id = await opened(api, chain)
    for name in ("resolveFollowUp", "reopenFollowUp"):
        refused = await move(api, chain.owner, name, id)
        assert refused["followUp"] is None
        assert refused["errors"][0]["code"] == "illegal_transition"
    assert (await move(api, chain.owner, "acknowledgeFollowUp", id))["errors"] == []
    for name in ("acknowledgeFollowUp", "reopenFollowUp"):
        assert (await move(api, chain.owner, name, id))["errors"][0]["code"] == "illegal_transition"
    assert (await move(api, chain.owner, "resolveFollowUp", id))["errors"] == []
    for name in ("acknowledgeFollowUp", "resolveFollowUp"):
        assert (await move(api, chain.owner, name, id))["errors"][0]["code"] == "illegal_transition"
    with tenant_scope(chain.tenant.id):
        assert (await FollowUp.get(id=decode_id(id, "FollowUp"))).status is FollowUpStatus.RESOLVED


async def test_who_may_work_and_be_assigned(api: httpx.AsyncClient, chain: Chain) -> None:
    id = await opened(api, chain)
    refused = await move(api, chain.analyst, "acknowledgeFollowUp", id)
    assert refused["errors"][0]["code"] == "forbidden"
    assert (await gql(api, chain.analyst, NOTE, id=id, text="hi"))["data"]["addFollowUpNote"]["errors"][0][
        "code"] == "forbidden"
    for member in (chain.analyst.membership.id,):
        body = await gql(api, chain.owner, ASSIGN, id=id, memberId=encode_id("Member", member))
        assert body["data"]["assignFollowUp"]["errors"] == [{"code": "invalid", "field": "memberId"}]
    body = await gql(api, chain.owner, NOTE, id=id, text=" ")
    assert body["data"]["addFollowUpNote"]["errors"] == [{"code": "invalid", "field": "text"}]
    anonymous = await gql(api, None, MOVE.format(name="acknowledgeFollowUp"), id=id)
    assert anonymous["data"]["acknowledgeFollowUp"]["errors"][0]["code"] == "unauthenticated"


async def test_a_store_manager_sees_and_works_only_their_stores(api: httpx.AsyncClient, chain: Chain) -> None:
    mine = await opened(api, chain)
    theirs = await opened(api, chain, store=chain.other_store)
    owner_view = nodes(await gql(api, chain.owner, FOLLOW_UPS), "followUps")
    assert {n["id"] for n in owner_view} == {mine, theirs}
    manager_view = nodes(await gql(api, chain.manager, FOLLOW_UPS), "followUps")
    assert [n["id"] for n in manager_view] == [mine]
    filtered = await gql(api, chain.manager, FOLLOW_UPS, storeIds=[encode_id("Store", chain.other_store.id)])
    assert nodes(filtered, "followUps") == []
    assert (await move(api, chain.manager, "acknowledgeFollowUp", theirs))["errors"][0]["code"] == "not_found"
    node = await gql(api, chain.manager, "query($id: ID!) { node(id: $id) { id } }", id=theirs)
    assert node["data"]["node"] is None
    assert (await gql(api, chain.manager, FOLLOW_UPS, status=["ACKNOWLEDGED"]))["data"]["followUps"]["edges"] == []


async def test_another_tenants_follow_ups_rules_and_exports_are_not_found(api: httpx.AsyncClient, chain: Chain,
                                                                          app: Any) -> None:
    id = await opened(api, chain)
    rule_id = (await gql(api, chain.owner, "{ alertRules { id } }"))["data"]["alertRules"][0]["id"]
    started = await gql(api, chain.owner, "mutation { startExport(format: CSV) { export { id } errors { code } } }")
    export_id = started["data"]["startExport"]["export"]["id"]

    other = await make_chain(app)
    for name in ("acknowledgeFollowUp", "resolveFollowUp", "reopenFollowUp"):
        assert (await move(api, other.owner, name, id))["errors"][0]["code"] == "not_found"
    assert (await gql(api, other.owner, NOTE, id=id, text="x"))["data"]["addFollowUpNote"]["errors"][0][
        "code"] == "not_found"
    assert (await gql(api, other.owner, ASSIGN, id=id, memberId=None))["data"]["assignFollowUp"]["errors"][0][
        "code"] == "not_found"
    update = """mutation($id: ID!) { updateAlertRule(id: $id, input: {name: "x", kind: OUTCOME_AT_MOST,
        threshold: 1}) { errors { code } } }"""
    assert (await gql(api, other.owner, update, id=rule_id))["data"]["updateAlertRule"]["errors"][0][
        "code"] == "not_found"
    delete = "mutation($id: ID!) { deleteAlertRule(id: $id) { errors { code } } }"
    assert (await gql(api, other.owner, delete, id=rule_id))["data"]["deleteAlertRule"]["errors"][0][
        "code"] == "not_found"
    for global_id in (id, rule_id, export_id):
        assert (await gql(api, other.owner, "query($id: ID!) { node(id: $id) { id } }", id=global_id))["data"][
            "node"] is None
    assert (await gql(api, other.owner, "query($id: ID!) { export(id: $id) { id } }", id=export_id))["data"][
        "export"] is None
    assert (await gql(api, other.owner, "query($id: ID!) { followUp(id: $id) { id } }", id=id))["data"][
        "followUp"] is None
    assert nodes(await gql(api, other.owner, FOLLOW_UPS), "followUps") == []
    # Asking for the first tenant by its slug is refused outright.
    reply = await api.post("/graphql", json={"query": "{ alertRules { id } }"},
                           headers={**other.owner.headers, "X-Pejling-Tenant": chain.tenant.slug})
    assert reply.status_code == 404

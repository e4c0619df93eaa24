"""Mutations settle who asks (authentication, tenant, role, the object's store) before they look anything up.

Otherwise the answer for an existing id differs from the answer for a made-up one, and a caller who may not
act learns which ids exist.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from pejling.core.followups.models import AlertRule, FollowUp, RuleKind
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.scope import tenant_scope

from .conftest import Chain, gql

ASSIGN = """mutation($id: ID!, $memberId: ID) { assignFollowUp(id: $id, memberId: $memberId) {
    followUp { id } errors { code field message } } }"""


async def _follow_up(chain: Chain, store: Any) -> str:
    with tenant_scope(chain.tenant.id):
        rule = await AlertRule.create(name="r", kind=RuleKind.OUTCOME_AT_MOST, threshold=3)
        follow_up = await FollowUp.create(rule=rule, store=store, reason="outcome 1", dedupe_key=f"{rule.id}:x")
    return encode_id("FollowUp", follow_up.id)


async def _anonymous(api: httpx.AsyncClient, chain: Chain, query: str, **variables: Any) -> dict[str, Any]:
    reply = await api.post("/graphql", json={"query": query, "variables": variables},
                           headers={"X-Pejling-Tenant": chain.tenant.slug})
    body: dict[str, Any] = reply.json()
    return body


async def test_assign_answers_alike_for_real_and_made_up_members_until_the_caller_may_assign(
        api: httpx.AsyncClient, chain: Chain) -> None:
    mine = await _follow_up(chain, chain.store)
    theirs = await _follow_up(chain, chain.other_store)
    real = encode_id("Member", chain.manager.membership.id)
    made_up = encode_id("Member", uuid.uuid4())

    # Nobody logged in, naming the tenant in the header.
    answers = [await _anonymous(api, chain, ASSIGN, id=mine, memberId=m) for m in (real, made_up)]
    assert answers[0] == answers[1]
    assert [e["code"] for e in answers[0]["data"]["assignFollowUp"]["errors"]] == ["unauthenticated"]

    # An analyst reads follow-ups but does not work them.
    answers = [await gql(api, chain.analyst, ASSIGN, id=mine, memberId=m) for m in (real, made_up)]
    assert answers[0] == answers[1]
    assert [e["code"] for e in answers[0]["data"]["assignFollowUp"]["errors"]] == ["forbidden"]

    # A store manager asking about another store's follow-up.
    answers = [await gql(api, chain.manager, ASSIGN, id=theirs, memberId=m) for m in (real, made_up)]
    assert answers[0] == answers[1]
    assert [(e["code"], e["field"]) for e in answers[0]["data"]["assignFollowUp"]["errors"]] == [("not_found", "id")]

    # Only then does the member id matter.
    fine = await gql(api, chain.manager, ASSIGN, id=mine, memberId=real)
    assert fine["data"]["assignFollowUp"]["errors"] == []
    unknown = await gql(api, chain.manager, ASSIGN, id=mine, memberId=made_up)
    assert [(e["code"], e["field"]) for e in unknown["data"]["assignFollowUp"]["errors"]] == [("not_found", "memberId")]


MUTATIONS = {
    "acknowledgeFollowUp": "mutation($id: ID!) { acknowledgeFollowUp(id: $id) { errors { code } } }",
    "addFollowUpNote": 'mutation($id: ID!) { addFollowUpNote(id: $id, text: "x") { errors { code } } }',
    "updateMember": "mutation($id: ID!) { updateMember(id: $id, role: ANALYST) { errors { code } } }",
    "removeMember": "mutation($id: ID!) { removeMember(id: $id) { errors { code } } }",
    "revokeInvitation": "mutation($id: ID!) { revokeInvitation(id: $id) { errors { code } } }",
    "deleteAlertRule": "mutation($id: ID!) { deleteAlertRule(id: $id) { errors { code } } }",
}


async def test_every_id_taking_mutation_here_refuses_outsiders_before_looking_up(api: httpx.AsyncClient,
                                                                               chain: Chain) -> None:
    real = {
        "acknowledgeFollowUp": await _follow_up(chain, chain.store),
        "addFollowUpNote": await _follow_up(chain, chain.store),
        "updateMember": encode_id("Member", chain.analyst.membership.id),
        "removeMember": encode_id("Member", chain.analyst.membership.id),
        "deleteAlertRule": encode_id("AlertRule", (await _rule(chain)).id),
    }
    real["revokeInvitation"] = await _invitation(api, chain)
    for name, query in MUTATIONS.items():
        kind = _type_of(name)
        answers = [await _anonymous(api, chain, query, id=i) for i in (real[name], encode_id(kind, uuid.uuid4()))]
        assert answers[0] == answers[1], name
        assert [e["code"] for e in answers[0]["data"][name]["errors"]] == ["unauthenticated"], name
        if name not in ("acknowledgeFollowUp", "addFollowUpNote"):  # analysts may not do any of the others
            answers = [await gql(api, chain.analyst, query, id=i) for i in (real[name], encode_id(kind, uuid.uuid4()))]
            assert answers[0] == answers[1], name
            assert [e["code"] for e in answers[0]["data"][name]["errors"]] == ["forbidden"], name


def _type_of(mutation: str) -> str:
    return {"updateMember": "Member", "removeMember": "Member", "revokeInvitation": "Invitation",
            "deleteAlertRule": "AlertRule"}.get(mutation, "FollowUp")


async def _rule(chain: Chain) -> AlertRule:
    with tenant_scope(chain.tenant.id):
        return await AlertRule.create(name="kept", kind=RuleKind.OUTCOME_AT_MOST, threshold=3)


async def _invitation(api: httpx.AsyncClient, chain: Chain) -> str:
    body = await gql(api, chain.owner, 'mutation { inviteMember(email: "later@example.com", role: ANALYST) '
                     "{ invitation { id } errors { code } } }")
    assert body["data"]["inviteMember"]["errors"] == [], body
    invitation_id: str = body["data"]["inviteMember"]["invitation"]["id"]
    return invitation_id

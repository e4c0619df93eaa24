"""A shopper who agreed to be contacted gets a reply by mail; everyone else stays anonymous."""

from __future__ import annotations

from typing import Any

import httpx

from pejling.core.followups.models import FollowUp, Reply
from pejling.core.followups.replies import REPLY_JOB
from pejling.core.jobs.models import Job
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.scope import tenant_scope

from .conftest import Chain, Jobs, gql, make_chain, unique
from .helpers import CREATE_RULE

REPLY = """mutation($responseId: ID!, $text: String!, $subject: String, $followUpId: ID) {
  replyToShopper(responseId: $responseId, text: $text, subject: $subject, followUpId: $followUpId) {
    reply { subject text } errors { code field message } } }"""


async def test_a_consenting_shopper_gets_the_reply_and_nothing_else(api: httpx.AsyncClient, chain: Chain,
                                                                    jobs: Jobs, smtp_server: Any) -> None:
    await gql(api, chain.owner, CREATE_RULE, input={"name": "Low", "kind": "OUTCOME_AT_MOST", "threshold": 4})
    shopper = f"{unique('shopper')}@example.com"
    response_id = await chain.submit(outcome=2, comment="Kassen var lukket", consent_email=shopper)
    with tenant_scope(chain.tenant.id):
        follow_up = await FollowUp.get(response_id=response_id)
    text = "Tak for din besked. Vi har åbnet en ekstra kasse om lørdagen."
    body = await gql(api, chain.manager, REPLY, responseId=encode_id("Response", response_id), text=text,
                     followUpId=encode_id("FollowUp", follow_up.id))
    assert body["data"]["replyToShopper"] == {
        "reply": {"subject": "Om dit besøg i Main street", "text": text}, "errors": []}
    await jobs.run()
    [mail] = await smtp_server.wait_for(shopper)
    assert mail["Subject"] == "Om dit besøg i Main street"
    content = mail.get_content()
    assert text in content and chain.tenant.name in content
    # Only the reply: not the shopper's own answers, nor the staff's addresses or notes.
    assert "Kassen var lukket" not in content and chain.manager.user.email not in content
    assert mail["To"] == shopper

    listed = await gql(api, chain.manager, "query($id: ID!) { followUp(id: $id) { replies { text } } }",
                       id=encode_id("FollowUp", follow_up.id))
    assert listed["data"]["followUp"]["replies"] == [{"text": text}]
    # The address is seen by owners and admins only.
    query = "query($id: ID!) { node(id: $id) { ... on Response { consentContact contactEmail } } }"
    assert (await gql(api, chain.owner, query, id=encode_id("Response", response_id)))["data"]["node"] == {
        "consentContact": True, "contactEmail": shopper}
    assert (await gql(api, chain.manager, query, id=encode_id("Response", response_id)))["data"]["node"] == {
        "consentContact": True, "contactEmail": None}


async def test_a_shopper_without_consent_cannot_be_contacted(api: httpx.AsyncClient, chain: Chain) -> None:
    response_id = await chain.submit(outcome=1, comment="Dårlig service")
    body = await gql(api, chain.owner, REPLY, responseId=encode_id("Response", response_id), text="Undskyld")
    assert body["data"]["replyToShopper"]["reply"] is None
    [error] = body["data"]["replyToShopper"]["errors"]
    assert error["code"] == "no_consent" and error["field"] == "responseId"
    with tenant_scope(chain.tenant.id):
        assert await Reply.all().count() == 0
    assert not await Job.filter(kind=REPLY_JOB, tenant_id=chain.tenant.id).exists()


async def test_replies_are_refused_for_other_stores_tenants_and_analysts(api: httpx.AsyncClient, chain: Chain,
                                                                         app: Any) -> None:
    shopper = f"{unique('shopper')}@example.com"
    response_id = encode_id("Response", await chain.submit(store=chain.other_store, consent_email=shopper))
    refused = await gql(api, chain.manager, REPLY, responseId=response_id, text="Hej")
    assert refused["data"]["replyToShopper"]["errors"][0]["code"] == "not_found"
    refused = await gql(api, chain.analyst, REPLY, responseId=response_id, text="Hej")
    assert refused["data"]["replyToShopper"]["errors"][0]["code"] == "forbidden"
    other = await make_chain(app)
    refused = await gql(api, other.owner, REPLY, responseId=response_id, text="Hej")
    assert refused["data"]["replyToShopper"]["errors"][0]["code"] == "not_found"
    refused = await gql(api, chain.owner, REPLY, responseId=response_id, text="  ")
    assert refused["data"]["replyToShopper"]["errors"][0] == {
        "code": "invalid", "field": "text", "message": "Write a reply of 1–5000 characters."}
    with tenant_scope(chain.tenant.id):
        assert await Reply.all().count() == 0


async def test_one_visit_gets_at_most_five_replies(api: httpx.AsyncClient, chain: Chain) -> None:
    response_id = encode_id("Response", await chain.submit(consent_email=f"{unique('s')}@example.com"))
    for number in range(5):
        body = await gql(api, chain.owner, REPLY, responseId=response_id, text=f"Reply {number}")
        assert body["data"]["replyToShopper"]["errors"] == []
    body = await gql(api, chain.owner, REPLY, responseId=response_id, text="One more")
    assert body["data"]["replyToShopper"]["errors"][0]["code"] == "invalid"
    with tenant_scope(chain.tenant.id):
        assert await Reply.all().count() == 5

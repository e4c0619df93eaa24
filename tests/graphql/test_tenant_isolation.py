"""A second tenant cannot read or change the first tenant's data through any query or mutation.

``test_every_root_field_is_walked`` fails when a query or mutation is added without a cross-tenant
probe here (or a stated reason why it cannot touch another tenant's data).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from pejling.core.auth.models import ApiToken
from pejling.core.surveys.models import Invitation, Response
from pejling.graphql.relay_ids import encode_id
from pejling.graphql.schema import build_schema
from pejling.tenants.models import Membership, Role, Store, Tenant, Zone
from pejling.tenants.scope import tenant_scope
from tests.audit.isolation_probes import AUDIT_PROBES
from tests.billing.isolation_probes import BILLING_PROBES
from tests.followups.isolation_probes import FOLLOWUP_PROBES
from tests.graphql.member_isolation_probes import MEMBER_PROBES
from tests.graphql.plugin_isolation_probes import PLUGIN_PROBES
from tests.insights.isolation_probes import INSIGHT_PROBES
from tests.sso.isolation_probes import SSO_PROBES
from tests.support.tenancy import TenantFixture, Walk, gql, make_tenant, member
from tests.surveys.code_isolation_probes import CODE_PROBES
from tests.surveys.device_isolation_probes import DEVICE_PROBES
from tests.surveys.import_isolation_probes import IMPORT_PROBES
from tests.webhooks.isolation_probes import WEBHOOK_PROBES


def _not_found(result: dict[str, Any], field: str) -> None:
    payload = result["data"][field]
    assert [e["code"] for e in payload["errors"]] == ["not_found"], payload


async def _node(w: Walk) -> None:
    for name in ("store", "zone", "member", "token"):
        result = await w.as_b("query($id: ID!) { node(id: $id) { id } }", id=w.ids[name])
        assert result["data"]["node"] is None


async def _tenant(w: Walk) -> None:
    result = await w.as_b("{ tenant { slug } }")
    assert result["data"]["tenant"]["slug"] == w.b.tenant.slug
    hijack = await gql(w.client, "{ tenant { slug } }", headers={**w.b.headers, "X-Pejling-Tenant": w.a.tenant.slug})
    assert hijack["_status"] == 404


async def _stores(w: Walk) -> None:
    result = await w.as_b("{ stores { edges { node { id } } } }")
    assert w.ids["store"] not in {e["node"]["id"] for e in result["data"]["stores"]["edges"]}


async def _store(w: Walk) -> None:
    result = await w.as_b("query($id: ID!) { store(id: $id) { name } }", id=w.ids["store"])
    assert result["data"]["store"] is None


async def _members(w: Walk) -> None:
    result = await w.as_b("{ members { edges { node { id email } } } }")
    assert w.a.owner.email not in {e["node"]["email"] for e in result["data"]["members"]["edges"]}


async def _create_store(w: Walk) -> None:
    result = await w.as_b('mutation { createStore(input: {name: "Mine", slug: "store-0"}) '
                          "{ store { id } errors { code } } }")
    # The slug is A's too, but each tenant has its own namespace: B's conflict is with B's own store-0.
    assert result["data"]["createStore"]["errors"][0]["code"] == "conflict"


async def _update_store(w: Walk) -> None:
    _not_found(await w.as_b('mutation($id: ID!) { updateStore(input: {id: $id, name: "x"}) { errors { code } } }',
                            id=w.ids["store"]), "updateStore")


async def _delete_store(w: Walk) -> None:
    _not_found(await w.as_b("mutation($id: ID!) { deleteStore(id: $id) { errors { code } } }", id=w.ids["store"]),
               "deleteStore")


async def _create_zone(w: Walk) -> None:
    result = await w.as_b('mutation($s: ID!) { createZone(input: {storeId: $s, name: "x"}) { errors { code } } }',
                          s=w.ids["store"])
    _not_found(result, "createZone")


async def _update_zone(w: Walk) -> None:
    _not_found(await w.as_b('mutation($id: ID!) { updateZone(input: {id: $id, name: "x"}) { errors { code } } }',
                            id=w.ids["zone"]), "updateZone")


async def _delete_zone(w: Walk) -> None:
    _not_found(await w.as_b("mutation($id: ID!) { deleteZone(id: $id) { errors { code } } }", id=w.ids["zone"]),
               "deleteZone")


async def _update_member(w: Walk) -> None:
    _not_found(await w.as_b("mutation($id: ID!) { updateMember(id: $id, role: ANALYST) { errors { code } } }",
                            id=w.ids["member"]), "updateMember")


async def _remove_member(w: Walk) -> None:
    _not_found(await w.as_b("mutation($id: ID!) { removeMember(id: $id) { errors { code } } }", id=w.ids["member"]),
               "removeMember")


async def _end_member_sessions(w: Walk) -> None:
    _not_found(await w.as_b("mutation($id: ID!) { endMemberSessions(memberId: $id) { errors { code } } }",
                            id=w.ids["member"]), "endMemberSessions")


async def _me(w: Walk) -> None:
    result = await w.as_b("{ me { email } }")
    assert result["data"]["me"]["email"] == w.b.owner.email


async def _api_tokens(w: Walk) -> None:
    result = await w.as_b("{ apiTokens { edges { node { id } } } }")
    assert w.ids["token"] not in {e["node"]["id"] for e in result["data"]["apiTokens"]["edges"]}


async def _revoke_api_token(w: Walk) -> None:
    _not_found(await w.as_b("mutation($id: ID!) { revokeApiToken(id: $id) { errors { code } } }", id=w.ids["token"]),
               "revokeApiToken")


async def _create_api_token(w: Walk) -> None:
    result = await w.as_b('mutation { createApiToken(input: {name: "b", scopes: [READ]}) { secret errors { code } } }')
    assert result["data"]["createApiToken"]["errors"] == []
    with tenant_scope(w.a.tenant.id):
        assert await ApiToken.filter(name="b").count() == 0


SURVEY = "{ survey { id activeVersion { id number } } }"


async def _survey(w: Walk) -> None:
    mine = (await w.as_b(SURVEY))["data"]["survey"]
    assert mine["id"] != w.ids["survey"] and mine["activeVersion"]["id"] != w.ids["survey_version"]


async def _statement_bank(w: Walk) -> None:
    bank = (await w.as_b("{ statementBank { id } }"))["data"]["statementBank"]
    assert "value.t-only-a" not in {s["id"] for s in bank}


async def _choose_survey_statements(w: Walk) -> None:
    result = await w.as_b('mutation { chooseSurveyStatements(statementIds: ["value.t-only-a"]) { errors { code } } }')
    assert result["data"]["chooseSurveyStatements"]["errors"]


async def _choose_survey_goals(w: Walk) -> None:
    result = await w.as_b('mutation { chooseSurveyGoals(goals: ["ease", "value"]) { version { id } errors { code } } }')
    assert result["data"]["chooseSurveyGoals"]["version"]["id"] != w.ids["survey_version"]


async def _add_survey_statement(w: Walk) -> None:
    # The same slug as A's own statement: tenants have separate namespaces, so this is B's, not a conflict.
    result = await w.as_b('mutation { addSurveyStatement(input: {goal: "value", slug: "only-a", da: "b", nb: "b", '
                          'sv: "b", en: "b"}) { statement { id } errors { code } } }')
    assert result["data"]["addSurveyStatement"]["errors"] == []


async def _shopper_data(w: Walk) -> None:
    result = await w.as_b("query($c: String!) { shopperData(receiptCode: $c) { comment } }", c=w.ids["receipt"])
    assert "errors" not in result and result["data"]["shopperData"] is None, result


async def _erase_shopper_response(w: Walk) -> None:
    _not_found(await w.as_b("mutation($c: String!) { eraseShopperResponse(receiptCode: $c) { erasedReceiptCode "
                            "errors { code } } }", c=w.ids["receipt"]), "eraseShopperResponse")
    with tenant_scope(w.a.tenant.id):
        assert await Response.filter(receipt_code=w.ids["receipt"]).count() == 1


async def _update_tenant(w: Walk) -> None:
    # A tenant mutation acts on the caller's own tenant only; there is no id to point at another one.
    result = await w.as_b('mutation { updateTenant(input: {name: "B renamed", brandColour: "#000000"}) '
                          "{ tenant { slug } errors { code } } }")
    assert result["data"]["updateTenant"]["tenant"]["slug"] == w.b.tenant.slug
    hijack = await gql(w.client, 'mutation { updateTenant(input: {name: "pwned"}) { errors { code } } }', {},
                       {**w.b.headers, "X-Pejling-Tenant": w.a.tenant.slug})
    assert hijack["_status"] == 404


async def _delete_tenant(w: Walk) -> None:
    # Only the caller's own tenant, confirmed by its own slug: A's slug from B deletes nothing.
    result = await w.as_b("mutation($s: String!) { deleteTenant(confirmSlug: $s) { deletedSlug errors { code } } }",
                          s=w.a.tenant.slug)
    assert result["data"]["deleteTenant"] == {"deletedSlug": None, "errors": [{"code": "invalid"}]}
    hijack = await gql(w.client, "mutation($s: String!) { deleteTenant(confirmSlug: $s) { errors { code } } }",
                       {"s": w.a.tenant.slug}, {**w.b.headers, "X-Pejling-Tenant": w.a.tenant.slug})
    assert hijack["_status"] == 404
    assert await Tenant.exists(id=w.a.tenant.id) and await Tenant.exists(id=w.b.tenant.id)


async def _set_tenant_logo(w: Walk) -> None:
    result = await w.as_b("mutation { setTenantLogo(dataUrl: null) { tenant { slug } errors { code } } }")
    assert result["data"]["setTenantLogo"]["tenant"]["slug"] == w.b.tenant.slug


async def _set_require_two_step(w: Walk) -> None:
    switch = ("mutation($r: Boolean!) { setRequireTwoStep(required: $r) "
              "{ tenant { slug requireTwoStep } errors { code } } }")
    result = await w.as_b(switch, r=True)
    assert result["data"]["setRequireTwoStep"]["tenant"] == {"slug": w.b.tenant.slug, "requireTwoStep": True}
    hijack = await gql(w.client, switch, {"r": True}, {**w.b.headers, "X-Pejling-Tenant": w.a.tenant.slug})
    assert hijack["_status"] == 404
    assert not (await Tenant.get(id=w.a.tenant.id)).require_two_step
    await w.as_b(switch, r=False)  # B's token is not held back by the rule, but leave B as it was


async def _invite_shoppers(w: Walk) -> None:
    invite = ("mutation($s: ID!, $z: ID) { inviteShoppers(storeId: $s, zoneId: $z, recipients: [\"x@example.com\"]) "
              "{ sent errors { code field } } }")
    result = await w.as_b(invite, s=w.ids["store"], z=None)
    assert result["data"]["inviteShoppers"] == {"sent": 0, "errors": [{"code": "not_found", "field": "storeId"}]}
    own = encode_id("Store", w.b.stores[0].id)
    result = await w.as_b(invite, s=own, z=w.ids["zone"])  # B's own store with A's zone
    assert result["data"]["inviteShoppers"]["errors"] == [{"code": "not_found", "field": "zoneId"}]
    for tenant in (w.a.tenant, w.b.tenant):
        with tenant_scope(tenant.id):
            assert not await Invitation.exists()


PROBES: dict[str, Callable[[Walk], Awaitable[None]]] = {
    "updateTenant": _update_tenant, "setTenantLogo": _set_tenant_logo, "deleteTenant": _delete_tenant,
    "setRequireTwoStep": _set_require_two_step,
    "survey": _survey, "statementBank": _statement_bank, "chooseSurveyStatements": _choose_survey_statements,
    "chooseSurveyGoals": _choose_survey_goals, "addSurveyStatement": _add_survey_statement,
    "shopperData": _shopper_data, "eraseShopperResponse": _erase_shopper_response, "inviteShoppers": _invite_shoppers,
    "node": _node, "tenant": _tenant, "stores": _stores, "store": _store, "members": _members,
    "createStore": _create_store, "updateStore": _update_store, "deleteStore": _delete_store,
    "createZone": _create_zone, "updateZone": _update_zone, "deleteZone": _delete_zone,
    "updateMember": _update_member, "removeMember": _remove_member,
    "endMemberSessions": _end_member_sessions,
    "me": _me, "apiTokens": _api_tokens, "createApiToken": _create_api_token, "revokeApiToken": _revoke_api_token,
    **FOLLOWUP_PROBES,
    **MEMBER_PROBES,
    **INSIGHT_PROBES,
    **DEVICE_PROBES,
    **CODE_PROBES,
    **IMPORT_PROBES,
    **PLUGIN_PROBES,
    **SSO_PROBES,
    **BILLING_PROBES,
    **WEBHOOK_PROBES,
    **AUDIT_PROBES,
}

#: Root fields that cannot reach another tenant's rows, and why.
NOT_TENANT_DATA = {
    "signup": "mails a link and creates nothing until confirmSignup; covered in tests/auth/test_signup.py",
    "login": "authenticates a user; no tenant data",
    "logout": "ends the caller's own session",
    "requestPasswordReset": "answers the same for every email; covered in tests/auth",
    "resetPassword": "takes a single-use token; covered in tests/auth",
    "submitResponse": "public shopper ingest addressed by tenant and store slug; another tenant's survey version, "
                      "zone or invitation is refused in tests/surveys",
    "changePassword": "changes the caller's own password; covered in tests/auth",
    "endSession": "ends one of the caller's own browser sessions, never another person's: "
                  "tests/auth/test_own_sessions.py",
    "startTotpEnrolment": "the caller's own two-step login (a person, no tenant): tests/auth/test_two_step_login.py",
    "confirmTotpEnrolment": "the caller's own two-step login: tests/auth/test_two_step_login.py",
    "disableTotp": "the caller's own two-step login, with their password: tests/auth/test_two_step_login.py",
    "completeLogin": "the second step of login, for the person its signed challenge names: "
                     "tests/auth/test_two_step_login.py",
}


def _root_fields() -> set[str]:
    schema = build_schema()._schema
    return set(schema.query_type.fields) | set(schema.mutation_type.fields if schema.mutation_type else {})


def test_every_root_field_is_walked() -> None:
    missing = _root_fields() - set(PROBES) - set(NOT_TENANT_DATA)
    assert not missing, f"add a cross-tenant probe for: {sorted(missing)}"


async def _a_receipt(client: httpx.AsyncClient, a: TenantFixture, version_id: str) -> str:
    """A shopper response of tenant A (through the public mutation): its receipt code."""
    asked = (await gql(client, "{ survey { activeVersion { statements { id } warmups { id } } } }",
                       headers=a.headers))["data"]["survey"]["activeVersion"]
    ids = [s["id"] for s in asked["warmups"]] + [s["id"] for s in asked["statements"]]
    started = datetime.now(UTC) - timedelta(minutes=5)
    answers = [{"statementId": sid, "value": 4, "position": n, "warmup": n < len(asked["warmups"])}
               for n, sid in enumerate(ids)]
    result = await gql(client, "mutation($i: ResponseInput!) { submitResponse(input: $i) { response { receiptCode } "
                       "errors { code } } }", {"i": {
                           "id": str(uuid.uuid4()), "tenantSlug": a.tenant.slug, "storeSlug": a.stores[0].slug,
                           "surveyVersionId": version_id, "startedAt": started.isoformat(),
                           "submittedAt": (started + timedelta(seconds=40)).isoformat(), "language": "en",
                           "answers": answers,
                           "outcome": 9, "comment": "Only A may see this."}})
    code: str = result["data"]["submitResponse"]["response"]["receiptCode"]
    return code


@pytest.fixture
async def walk(client: httpx.AsyncClient) -> Walk:
    a, b = await make_tenant(stores=1), await make_tenant(stores=1)
    manager = await member(a.tenant, Role.STORE_MANAGER, [str(a.stores[0].id)])
    with tenant_scope(a.tenant.id):
        membership = await Membership.get(user_id=manager.id)
        token = await ApiToken.all().first()
    assert token is not None
    ids = {"store": encode_id("Store", a.stores[0].id), "zone": encode_id("Zone", a.zones[0].id),
           "member": encode_id("Member", membership.id), "token": encode_id("ApiToken", token.id)}
    await gql(client, 'mutation { addSurveyStatement(input: {goal: "value", slug: "only-a", da: "a", nb: "a", sv: "a", '
              'en: "a"}) { errors { code } } }', headers=a.headers)
    survey = (await gql(client, SURVEY, headers=a.headers))["data"]["survey"]
    ids["survey"], ids["survey_version"] = survey["id"], survey["activeVersion"]["id"]
    ids["receipt"] = await _a_receipt(client, a, ids["survey_version"])
    return Walk(client=client, a=a, b=b, ids=ids)


async def test_second_tenant_cannot_read_or_change_the_first(walk: Walk) -> None:
    fields = _root_fields()
    for name, probe in PROBES.items():
        if name in fields:
            await probe(walk)
    a = walk.a
    tenant = await Tenant.get(id=a.tenant.id)
    assert (tenant.name, tenant.brand_colour) == (a.tenant.name, a.tenant.brand_colour)
    with tenant_scope(a.tenant.id):
        store = await Store.get(id=a.stores[0].id)
        zone = await Zone.get(id=a.zones[0].id)
        assert (store.name, zone.name) == ("Store 0", "Checkout")
        assert await Membership.filter(role=Role.STORE_MANAGER).count() == 1
        assert await ApiToken.filter(revoked_at__isnull=True).count() == 1
    survey = (await gql(walk.client, SURVEY, headers=a.headers))["data"]["survey"]
    assert survey["activeVersion"]["id"] == walk.ids["survey_version"]
    bank = (await gql(walk.client, '{ statementBank(goal: "value") { id text(language: "en") } }',
                      headers=a.headers))["data"]["statementBank"]
    assert {"id": "value.t-only-a", "text": "a"} in bank
    # A's token still works for A: nothing B did touched it.
    still = await gql(walk.client, "{ stores { edges { node { name } } } }", headers=a.headers)
    assert still["data"]["stores"]["edges"] == [{"node": {"name": "Store 0"}}]

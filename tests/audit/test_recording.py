"""What the audit trail records: every mutation (with its outcome), every read of shopper data, nothing else."""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from tortoise.exceptions import OperationalError

from graphql import GraphQLError
from pejling.core.audit.models import ActorKind, AuditEntry, AuditKind, AuditOutcome
from pejling.core.audit.recording import address_hash
from pejling.core.auth.models import secret_digest
from pejling.core.followups.exports import export_path
from pejling.core.followups.models import Export, ExportFormat, ExportStatus
from pejling.core.settings import Settings
from pejling.graphql.audit.recording import outcome_of
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.models import Invitation, Membership, Role
from pejling.tenants.scope import tenant_scope
from tests.audit.entries import entries_of, member_with_token, shopper_response, token_id_of
from tests.support.tenancy import PASSWORD, gql, make_tenant, token_for

#: The client address httpx's ASGI transport gives every request.
CLIENT = "127.0.0.1"

RENAME = """mutation RenameStore($input: StoreChanges!) { updateStore(input: $input) { store { name } } }"""
DELETE = """mutation DropStore($id: ID!) { deleteStore(id: $id) { deletedId } }"""


async def test_a_mutation_is_recorded_with_actor_ids_operation_and_a_keyed_address_hash(
        client: httpx.AsyncClient, database: Settings) -> None:
    a = await make_tenant()
    store_id = encode_id("Store", a.stores[0].id)
    body = await gql(client, RENAME, {"input": {"id": store_id, "name": "Renamed"}}, a.headers)
    assert body["data"]["updateStore"]["store"]["name"] == "Renamed", body

    [entry] = await entries_of(a.tenant)
    assert entry.kind is AuditKind.CHANGE and entry.outcome is AuditOutcome.OK and entry.error_codes == []
    assert (entry.actor_kind, entry.actor_id, entry.user_id) == (
        ActorKind.API_TOKEN, await token_id_of(a.tenant, a.owner), a.owner.id)
    assert entry.operation == "RenameStore" and entry.field_names == ["updateStore"]
    assert entry.object_ids == [f"Store:{a.stores[0].id}"]
    assert entry.address_hash == address_hash(database, a.tenant.id, CLIENT)
    assert len(entry.address_hash) == 32 and CLIENT not in entry.address_hash
    assert entry.address_hash != address_hash(database, (await make_tenant()).tenant.id, CLIENT), "keyed per tenant"


async def test_a_refused_mutation_is_recorded_with_its_error_codes_even_when_errors_are_not_selected(
        client: httpx.AsyncClient) -> None:
    a = await make_tenant()
    _, analyst = await member_with_token(a, Role.ANALYST)
    body = await gql(client, DELETE, {"id": encode_id("Store", a.stores[0].id)}, analyst)
    assert body["data"]["deleteStore"]["deletedId"] is None, body

    [entry] = await entries_of(a.tenant)
    assert entry.outcome is AuditOutcome.REFUSED and entry.error_codes == ["forbidden"]
    assert entry.operation == "DropStore" and entry.object_ids == [f"Store:{a.stores[0].id}"]


async def test_a_token_without_the_write_scope_is_recorded_as_refused(client: httpx.AsyncClient) -> None:
    a = await make_tenant()
    read_only = {"Authorization": f"Bearer {await token_for(a.tenant, a.owner, scopes=('read',))}"}
    body = await gql(client, 'mutation { createStore(input: {name: "Nope", slug: "nope"}) { store { id } } }', None,
                     read_only)
    assert body["data"]["createStore"]["store"] is None, body
    [entry] = await entries_of(a.tenant)
    assert entry.outcome is AuditOutcome.REFUSED and entry.error_codes == ["forbidden"]
    assert entry.field_names == ["createStore"] and entry.operation == ""


async def test_a_refused_read_of_shopper_data_is_recorded_with_the_error_code(client: httpx.AsyncClient) -> None:
    a = await make_tenant()
    manager, headers = await member_with_token(a, Role.STORE_MANAGER)
    body = await gql(client, '{ shopperData(receiptCode: "ABC-DEF") { comment contactEmail } }', None, headers)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    [entry] = await entries_of(a.tenant)
    assert entry.kind is AuditKind.READ and entry.outcome is AuditOutcome.REFUSED
    assert entry.error_codes == ["FORBIDDEN"] and entry.user_id == manager.id
    assert entry.shopper_fields == ["ShopperData.comment", "ShopperData.contactEmail"]


async def test_a_read_of_responses_is_one_entry_with_the_fields_and_the_ids_read(client: httpx.AsyncClient) -> None:
    a = await make_tenant()
    response, _ = await shopper_response(a)
    query = "query Inbox { responses(first: 10) { edges { node { id comment contactEmail outcome } } } }"
    body = await gql(client, query, None, a.headers)
    assert len(body["data"]["responses"]["edges"]) == 1, body

    [entry] = await entries_of(a.tenant)
    assert entry.kind is AuditKind.READ and entry.operation == "Inbox" and entry.field_names == ["responses"]
    assert entry.shopper_fields == ["Response.comment", "Response.contactEmail", "Response.id", "Response.outcome"]
    assert entry.object_ids == [f"Response:{response.id}"]

    one = "query One($id: ID!) { node(id: $id) { ... on Response { comment } } }"
    body = await gql(client, one, {"id": encode_id("Response", response.id)}, a.headers)
    assert body["data"]["node"]["comment"] == "slow checkout", body
    latest = (await entries_of(a.tenant))[0]
    assert (latest.operation, latest.field_names, latest.shopper_fields) == ("One", ["node"], ["Response.comment"])
    assert latest.object_ids == [f"Response:{response.id}"]


async def test_a_read_of_follow_ups_through_a_fragment_is_recorded(client: httpx.AsyncClient) -> None:
    a = await make_tenant()
    response, item = await shopper_response(a, follow_up=True)
    assert item is not None
    query = """query Work($id: ID!) { followUp(id: $id) { ...Item } }
      fragment Item on FollowUp { reason response { id comment } }"""
    body = await gql(client, query, {"id": encode_id("FollowUp", item.id)}, a.headers)
    assert body["data"]["followUp"]["response"]["comment"] == "slow checkout", body

    [entry] = await entries_of(a.tenant)
    assert entry.kind is AuditKind.READ and entry.field_names == ["followUp"]
    assert entry.shopper_fields == ["FollowUp.reason", "FollowUp.response", "Response.comment", "Response.id"]
    assert set(entry.object_ids) == {f"FollowUp:{item.id}", f"Response:{response.id}"}


async def test_queries_without_shopper_data_are_not_recorded(client: httpx.AsyncClient) -> None:
    a = await make_tenant()
    await shopper_response(a)
    for query in ("{ me { email memberships { role } } }", "{ stores { edges { node { id name } } } }",
                  "{ responses { pageInfo { hasNextPage } } }", "{ node(id: \"x\") { id } }"):
        body = await gql(client, query, None, a.headers)
        assert "errors" not in body, body
    assert await entries_of(a.tenant) == []


async def test_a_login_is_recorded_for_the_person_in_each_of_their_tenants(client: httpx.AsyncClient) -> None:
    a, other = await make_tenant(), await make_tenant()
    with tenant_scope(other.tenant.id):
        await Membership.create(user=a.owner, role=Role.ANALYST, store_ids=[])
    login = "mutation SignIn($email: String!, $password: String!) { login(email: $email, password: $password) { " \
            "errors { code } } }"

    right = await gql(client, login, {"email": a.owner.email, "password": PASSWORD})
    assert right["data"]["login"]["errors"] == [], right
    client.cookies.clear()
    [entry] = await entries_of(a.tenant)
    assert (entry.actor_kind, entry.actor_id, entry.operation) == (ActorKind.USER, a.owner.id, "SignIn")
    assert entry.field_names == ["login"] and entry.outcome is AuditOutcome.OK
    [elsewhere] = await entries_of(other.tenant)
    assert (elsewhere.actor_id, elsewhere.operation, elsewhere.tenant_id) == (a.owner.id, "SignIn", other.tenant.id)


async def test_a_download_of_a_response_export_is_recorded(client: httpx.AsyncClient) -> None:
    a = await make_tenant()
    with tenant_scope(a.tenant.id):
        export = await Export.create(format=ExportFormat.CSV, status=ExportStatus.SUCCEEDED, include_contact=True,
                                     requested_by=a.owner)
    path = export_path(export)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("receipt_code,comment\nABC-DEF,slow\n")
    download = await client.get(f"/api/exports/{export.id}/download", headers=a.headers)
    assert download.status_code == 200 and "ABC-DEF" in download.text
    [entry] = await entries_of(a.tenant)
    assert entry.kind is AuditKind.DOWNLOAD and entry.field_names == ["responseExport"]
    assert entry.object_ids == [f"Export:{export.id}"]
    assert entry.shopper_fields == ["Export.file", "Response.contactEmail"]
    missing = await client.get(f"/api/exports/{uuid.uuid4()}/download", headers=a.headers)
    assert missing.status_code == 404 and len(await entries_of(a.tenant)) == 1


async def test_public_shopper_submissions_are_not_recorded(client: httpx.AsyncClient) -> None:
    a = await make_tenant()
    body = await gql(client, "mutation { submitResponse(input: {surveyVersionId: \"x\", storeId: \"y\", "
                     "answers: []}) { errors { code } } }", None, a.headers)
    assert "data" in body, body
    assert await entries_of(a.tenant) == []


async def test_a_failed_write_is_logged_without_values_and_the_answer_is_unchanged(
        client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    a = await make_tenant()

    async def database_refuses(self: AuditEntry, *args: object, **kwargs: object) -> None:
        raise OperationalError(f"value too long: {self.object_ids}")  # a driver's message may quote the row

    monkeypatch.setattr(AuditEntry, "save", database_refuses)
    with caplog.at_level(logging.ERROR, logger="pejling.core.audit.recording"):
        body = await gql(client, RENAME, {"input": {"id": encode_id("Store", a.stores[0].id), "name": "Secret"}},
                         a.headers)
    monkeypatch.undo()
    assert body["data"]["updateStore"]["store"]["name"] == "Secret" and "errors" not in body, body
    [message] = [r.getMessage() for r in caplog.records if "audit entry not written" in r.getMessage()]
    assert "RenameStore" in message and "OperationalError" in message
    assert str(a.stores[0].id) not in message and "Secret" not in message
    assert await entries_of(a.tenant) == []


def test_outcomes_ok_refused_and_failed() -> None:
    assert outcome_of(None, []) == (AuditOutcome.OK, [])
    assert outcome_of(None, ["forbidden"]) == (AuditOutcome.REFUSED, ["forbidden"])
    coded = GraphQLError("read only", extensions={"code": "BILLING_READ_ONLY"})
    assert outcome_of([coded], []) == (AuditOutcome.REFUSED, ["BILLING_READ_ONLY"])
    assert outcome_of([coded, GraphQLError("boom")], []) == (AuditOutcome.FAILED, ["BILLING_READ_ONLY", "UNEXPECTED"])


async def test_an_accepted_invitation_is_recorded_in_the_tenant_it_let_the_person_into(
        client: httpx.AsyncClient) -> None:
    a = await make_tenant()
    token = secrets.token_urlsafe(32)
    with tenant_scope(a.tenant.id):
        await Invitation.create(email=f"{uuid.uuid4().hex[:8]}@example.com", role=Role.ANALYST, store_ids=[],
                                token_hash=secret_digest(token), invited_by=a.owner,
                                expires_at=datetime.now(UTC) + timedelta(days=1))
    accept = "mutation Join($token: String!, $password: String) { acceptInvitation(token: $token, " \
             "password: $password) { role errors { code } } }"
    body = await gql(client, accept, {"token": token, "password": "a long and fresh passphrase"})
    client.cookies.clear()
    assert body["data"]["acceptInvitation"]["errors"] == [], body
    with tenant_scope(a.tenant.id):
        joined = await Membership.get(role=Role.ANALYST)
    [entry] = await entries_of(a.tenant)
    assert (entry.actor_kind, entry.actor_id, entry.operation) == (ActorKind.USER, joined.user_id, "Join")
    assert entry.field_names == ["acceptInvitation"] and entry.outcome is AuditOutcome.OK


async def test_a_change_made_without_naming_a_tenant_is_recorded_in_each_of_the_persons_tenants(
        client: httpx.AsyncClient) -> None:
    a, other = await make_tenant(), await make_tenant()
    with tenant_scope(other.tenant.id):
        await Membership.create(user=a.owner, role=Role.ADMIN, store_ids=[])
    login = await gql(client, "mutation($email: String!, $password: String!) { login(email: $email, "
                      "password: $password) { me { csrfToken } errors { code } } }",
                      {"email": a.owner.email, "password": PASSWORD})
    csrf = {"X-CSRF-Token": login["data"]["login"]["me"]["csrfToken"]}
    change = "mutation NewPassword($old: String!, $new: String!) { changePassword(currentPassword: $old, " \
             "newPassword: $new) { ok errors { code } } }"
    body = await gql(client, change, {"old": PASSWORD, "new": PASSWORD + " and more"}, csrf)
    client.cookies.clear()
    assert body["data"]["changePassword"]["ok"] is True, body
    for tenant in (a.tenant, other.tenant):
        latest = (await entries_of(tenant))[0]
        assert (latest.operation, latest.field_names, latest.actor_id) == ("NewPassword", ["changePassword"],
                                                                           a.owner.id)

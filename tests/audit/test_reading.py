"""Reading the audit log: owners and admins only, own tenant only, newest first, filters, CSV; append-only."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from tortoise.exceptions import OperationalError

from pejling.core.audit.models import AuditEntry, AuditEntryImmutable
from pejling.core.audit.reading import CSV_COLUMNS
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.models import Role
from pejling.tenants.scope import AppendOnlyRefused, all_tenants_sql, tenant_scope, tenant_sql
from tests.audit.entries import entries_of, member_with_token, token_id_of
from tests.support.tenancy import TenantFixture, gql, make_tenant

LOG = """query Log($first: Int, $after: String, $actor: ID, $operation: String, $since: DateTime, $until: DateTime) {
  auditLog(first: $first, after: $after, actor: $actor, operation: $operation, since: $since, until: $until) {
    edges { cursor node { id at kind actorKind actorId userId actorEmail operation fields shopperFields objectIds
      outcome errorCodes addressHash } }
    pageInfo { hasNextPage endCursor } } }"""


async def rename(client: httpx.AsyncClient, a: TenantFixture, operation: str, name: str,
                 headers: dict[str, str] | None = None) -> None:
    query = f"mutation {operation}($input: StoreChanges!) {{ updateStore(input: $input) {{ errors {{ code }} }} }}"
    body = await gql(client, query, {"input": {"id": encode_id("Store", a.stores[0].id), "name": name}},
                     headers or a.headers)
    assert "errors" not in body, body


def nodes(body: dict[str, object]) -> list[dict[str, object]]:
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"]["auditLog"]["edges"]]  # type: ignore[index]


async def test_owners_and_admins_read_their_log_newest_first_with_filters_and_pages(
        client: httpx.AsyncClient) -> None:
    a = await make_tenant()
    admin, admin_headers = await member_with_token(a, Role.ADMIN)
    await rename(client, a, "First", "One")
    await rename(client, a, "Second", "Two", admin_headers)
    await rename(client, a, "Third", "Three")

    everything = nodes(await gql(client, LOG, None, admin_headers))
    assert [n["operation"] for n in everything] == ["Third", "Second", "First"]
    second = everything[1]
    assert second["actorKind"] == "API_TOKEN" and second["actorId"] == str(await token_id_of(a.tenant, admin))
    assert second["userId"] == str(admin.id) and second["actorEmail"] == admin.email
    assert second["kind"] == "CHANGE" and second["outcome"] == "OK" and second["fields"] == ["updateStore"]
    assert second["objectIds"] == [encode_id("Store", a.stores[0].id)] and len(str(second["addressHash"])) == 32

    by_admin = nodes(await gql(client, LOG, {"actor": str(admin.id)}, a.headers))
    assert [n["operation"] for n in by_admin] == ["Second"]
    with tenant_scope(a.tenant.id):
        from pejling.tenants.models import Membership

        owner_membership = await Membership.get(user_id=a.owner.id)
    by_owner = nodes(await gql(client, LOG, {"actor": encode_id("Member", owner_membership.id)}, a.headers))
    assert [n["operation"] for n in by_owner] == ["Third", "First"]
    assert nodes(await gql(client, LOG, {"operation": "First"}, a.headers))[0]["operation"] == "First"
    assert nodes(await gql(client, LOG, {"until": str(everything[2]["at"])}, a.headers)) == []
    assert [n["operation"] for n in nodes(await gql(client, LOG, {"since": str(everything[0]["at"])},
                                                       a.headers))] == ["Third"]

    page = await gql(client, LOG, {"first": 2}, a.headers)
    assert [n["operation"] for n in nodes(page)] == ["Third", "Second"]
    assert page["data"]["auditLog"]["pageInfo"]["hasNextPage"] is True
    rest = await gql(client, LOG, {"first": 2, "after": page["data"]["auditLog"]["pageInfo"]["endCursor"]},
                     a.headers)
    assert [n["operation"] for n in nodes(rest)] == ["First"]


@pytest.mark.parametrize("role", [Role.ANALYST, Role.STORE_MANAGER])
async def test_analysts_and_store_managers_cannot_read_the_log(client: httpx.AsyncClient, role: Role) -> None:
    a = await make_tenant()
    await rename(client, a, "Visible", "One")
    _, headers = await member_with_token(a, role)
    body = await gql(client, LOG, None, headers)
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    download = await client.get("/api/audit-log.csv", headers=headers)
    assert download.status_code == 403 and "Visible" not in download.text
    anonymous = await client.get("/api/audit-log.csv")
    assert anonymous.status_code == 401


async def test_a_tenant_never_sees_another_tenants_entries(client: httpx.AsyncClient) -> None:
    a, b = await make_tenant(), await make_tenant()
    await rename(client, a, "OfA", "A")
    await rename(client, b, "OfB", "B")
    assert [n["operation"] for n in nodes(await gql(client, LOG, None, a.headers))] == ["OfA"]
    assert [n["operation"] for n in nodes(await gql(client, LOG, None, b.headers))] == ["OfB"]
    b_token = str(await token_id_of(b.tenant, b.owner))
    assert nodes(await gql(client, LOG, {"actor": b_token}, a.headers)) == []
    download = await client.get("/api/audit-log.csv", headers=a.headers)
    assert "OfA" in download.text and "OfB" not in download.text
    with tenant_scope(a.tenant.id):
        assert {e.tenant_id for e in await AuditEntry.all()} == {a.tenant.id}


async def test_the_csv_export_holds_the_entries_and_logs_itself(client: httpx.AsyncClient) -> None:
    a = await make_tenant()
    await rename(client, a, "Exported", "One")
    download = await client.get("/api/audit-log.csv", headers=a.headers)
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    assert [(r["kind"], r["operation"], r["fields"]) for r in rows] == [
        ("download", "", "auditLogCsv"), ("change", "Exported", "updateStore")]
    change = rows[1]
    assert change["object_ids"] == f"Store:{a.stores[0].id}" and change["outcome"] == "ok"
    assert change["actor_kind"] == "api_token" and change["user_id"] == str(a.owner.id)
    assert "127.0.0.1" not in download.text
    only = await client.get("/api/audit-log.csv", params={"operation": "Exported"}, headers=a.headers)
    assert [r["operation"] for r in csv.DictReader(io.StringIO(only.text))] == ["Exported"]
    assert (await client.get("/api/audit-log.csv", params={"since": "yesterday"}, headers=a.headers)).status_code == 400
    later = await client.get("/api/audit-log.csv?since=2999-01-01T00:00:00+00:00", headers=a.headers)
    assert later.status_code == 200 and later.text.strip() == ",".join(CSV_COLUMNS)


async def test_entries_cannot_be_changed_or_deleted(client: httpx.AsyncClient) -> None:
    a = await make_tenant()
    await rename(client, a, "Kept", "One")
    [entry] = await entries_of(a.tenant)
    with tenant_scope(a.tenant.id):
        entry.operation = "Rewritten"
        with pytest.raises(AuditEntryImmutable):
            await entry.save()
        with pytest.raises(AuditEntryImmutable):
            await entry.delete()
        with pytest.raises(AuditEntryImmutable):
            await AuditEntry.filter(id=entry.id).update(operation="Rewritten")
        with pytest.raises(AuditEntryImmutable):
            await AuditEntry.filter(id=entry.id).delete()
        with pytest.raises(AuditEntryImmutable):
            await AuditEntry.all().delete()
        with pytest.raises(AuditEntryImmutable):
            await AuditEntry.bulk_update([entry], fields=["operation"])
        with pytest.raises(AuditEntryImmutable):
            await AuditEntry.bulk_create([entry], update_fields=["operation"], on_conflict=["tenant_id", "id"])
        with pytest.raises(OperationalError):  # a stored id cannot be inserted again either
            await AuditEntry.create(**{**_columns(entry), "operation": "Rewritten"})
        with pytest.raises(AppendOnlyRefused):
            tenant_sql("UPDATE audit_entry SET operation = ? WHERE tenant_id = {tenant}")
        with pytest.raises(AppendOnlyRefused):
            tenant_sql('DELETE FROM "audit_entry" WHERE tenant_id = {tenant} AND id = ?')
        with pytest.raises(AppendOnlyRefused):
            all_tenants_sql("TRUNCATE TABLE audit_entry")
        with pytest.raises(AppendOnlyRefused):
            all_tenants_sql("WITH gone AS (DELETE FROM audit_entry RETURNING id) SELECT count(*) FROM gone")
        assert len(await tenant_sql("SELECT id FROM audit_entry WHERE tenant_id = {tenant}").rows()) == 1
    [again] = await entries_of(a.tenant)
    assert (again.id, again.operation, again.field_names) == (entry.id, "Kept", ["updateStore"])


def _columns(entry: AuditEntry) -> dict[str, object]:
    return {name: getattr(entry, name) for name in entry._meta.db_fields if name != "tenant_id"} | {
        "tenant_id": entry.tenant_id}

"""Failed logins in the audit log: against the account's tenants when the email has one, against no tenant when it
has none; never the password, the email or the address in clear, and the answer is the same either way."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pejling.core.audit.models import ActorKind, AuditOutcome, InstanceAuditEntry
from pejling.core.audit.recording import address_hash, instance_hash
from pejling.core.settings import Settings
from pejling.tenants.models import Membership, Role
from pejling.tenants.scope import tenant_scope
from tests.audit.entries import entries_of
from tests.conftest import unique
from tests.support.tenancy import make_tenant

LOGIN = "mutation SignIn($email: String!, $password: String!) { login(email: $email, password: $password) { " \
        "errors { code message } } }"
CLIENT = "127.0.0.1"


async def _login(client: httpx.AsyncClient, email: str, password: str) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": LOGIN, "variables": {"email": email, "password": password}})
    return dict(response.json())


async def _instance_entries(email_hash: str) -> list[InstanceAuditEntry]:
    return list(await InstanceAuditEntry.filter(email_hash=email_hash).order_by("at"))


def _row_text(row: Any) -> str:
    return " ".join(str(value) for value in row.__dict__.values())


async def test_a_wrong_password_is_recorded_in_each_tenant_of_the_account(client: httpx.AsyncClient,
                                                                          database: Settings) -> None:
    a, other = await make_tenant(), await make_tenant()
    with tenant_scope(other.tenant.id):
        await Membership.create(user=a.owner, role=Role.ANALYST, store_ids=[])
    password = f"wrong {unique()}"
    answer = await _login(client, a.owner.email, password)
    assert answer["data"]["login"]["errors"][0]["code"] == "invalid_credentials"
    [entry] = await entries_of(a.tenant)
    assert (entry.actor_kind, entry.actor_id, entry.user_id) == (ActorKind.USER, a.owner.id, a.owner.id)
    assert (entry.field_names, entry.outcome, entry.error_codes) == (["login"], AuditOutcome.REFUSED,
                                                                     ["invalid_credentials"])
    assert entry.address_hash == address_hash(database, a.tenant.id, CLIENT)
    [elsewhere] = await entries_of(other.tenant)
    assert elsewhere.error_codes == ["invalid_credentials"] and elsewhere.user_id == a.owner.id
    for row in (entry, elsewhere):
        text = _row_text(row)
        assert password not in text and CLIENT not in text and a.owner.email not in text
    assert await _instance_entries(instance_hash(database, "email", a.owner.email)) == []


async def test_an_unknown_email_answers_alike_and_is_recorded_against_no_tenant(client: httpx.AsyncClient,
                                                                                database: Settings) -> None:
    a = await make_tenant()
    email = f"{unique('nobody')}@example.com"
    password = f"guess {unique()}"
    unknown = await _login(client, email, password)
    known = await _login(client, a.owner.email, password)
    assert unknown == known, "the answer must not tell whether the account exists"
    [entry] = await _instance_entries(instance_hash(database, "email", email))
    assert (entry.operation, entry.outcome, entry.error_codes) == ("login", AuditOutcome.REFUSED,
                                                                   ["invalid_credentials"])
    assert entry.address_hash == instance_hash(database, "address", CLIENT) != ""
    text = _row_text(entry)
    assert email not in text and password not in text and CLIENT not in text
    # The account's tenant saw only its own member's attempt; no tenant saw the unknown address.
    assert [e.user_id for e in await entries_of(a.tenant)] == [a.owner.id]
    # Upper case and spaces are the same email.
    await _login(client, f"  {email.upper()} ", password)
    assert len(await _instance_entries(instance_hash(database, "email", email))) == 2


async def test_paused_attempts_are_not_recorded_one_by_one(client: httpx.AsyncClient, database: Settings) -> None:
    a = await make_tenant()
    for _ in range(database.login_max_failures + 3):
        await _login(client, a.owner.email, "not the password at all")
    entries = await entries_of(a.tenant)
    assert [e.error_codes for e in entries] == [["invalid_credentials"]] * database.login_max_failures


async def test_instance_entries_cannot_be_changed_or_deleted(database: Settings) -> None:
    from pejling.core.audit.models import AuditEntryImmutable

    entry = await InstanceAuditEntry.create(operation="login", error_codes=["invalid_credentials"])
    entry.operation = "forged"
    with pytest.raises(AuditEntryImmutable):
        await entry.save()
    with pytest.raises(AuditEntryImmutable):
        await entry.delete()


@pytest.mark.postgres_only
async def test_the_application_role_cannot_rewrite_the_entries_of_no_tenant(database: Settings) -> None:
    from tortoise import connections

    table = InstanceAuditEntry._meta.db_table
    await InstanceAuditEntry.create(operation="login", error_codes=["invalid_credentials"])
    client = connections.get("default")
    for sql in (f'UPDATE "{table}" SET operation = operation', f'DELETE FROM "{table}"', f'TRUNCATE "{table}"'):
        with pytest.raises(Exception, match="permission denied"):
            await client.execute_script(sql)
    # It has no tenant column, so no tenant policy: the application reads and adds entries without a scope.
    assert await InstanceAuditEntry.filter(operation="login").exists()

"""Failed logins of no tenant are kept 90 days: the hourly account housekeeping deletes older ones, never newer."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from pejling.core.audit.models import InstanceAuditEntry
from pejling.core.audit.retention import INSTANCE_RETENTION, purge_old_instance_entries
from pejling.core.auth.housekeeping import purge_expired_account_data
from pejling.core.settings import Settings
from pejling.tenants.scope import all_tenants, all_tenants_sql

# ``at`` is set on insert by the ORM, and the entries cannot be updated, so old ones are written by hand.
_INSERT = all_tenants_sql(
    "INSERT INTO audit_instance_entry (id, at, operation, outcome, error_codes, email_hash, address_hash) "
    "VALUES (?, ?, 'login', 'refused', '[]', ?, '')"
)


async def _entry_aged(days: float, marker: str) -> None:
    with all_tenants():
        await _INSERT.execute([uuid.uuid4(), datetime.now(UTC) - timedelta(days=days), marker])


async def _left(marker: str) -> int:
    return await InstanceAuditEntry.filter(email_hash=marker).count()


async def test_housekeeping_deletes_entries_of_no_tenant_older_than_90_days_only(database: Settings) -> None:
    old, recent = secrets.token_hex(8), secrets.token_hex(8)
    await _entry_aged(91, old)
    await _entry_aged(200, old)
    await _entry_aged(89, recent)
    await InstanceAuditEntry.create(operation="login", email_hash=recent)  # just now
    assert INSTANCE_RETENTION == timedelta(days=90)

    counts = await purge_expired_account_data(database)
    assert counts["instance_audit_entries"] >= 2
    assert await _left(old) == 0
    assert await _left(recent) == 2
    await purge_old_instance_entries()  # once more: still nothing recent goes
    assert await _left(recent) == 2


@pytest.mark.postgres_only
async def test_the_database_itself_keeps_entries_younger_than_90_days(database: Settings) -> None:
    from tortoise import connections

    recent, old = secrets.token_hex(8), secrets.token_hex(8)
    await _entry_aged(30, recent)
    await _entry_aged(120, old)
    client = connections.get("default")
    # A process that asks for everything up to next year still cannot delete a recent entry...
    await client.execute_query_dict("SELECT pejling_purge_audit_instance_entries($1)",
                                    [datetime.now(UTC) + timedelta(days=365)])
    assert await _left(recent) == 1 and await _left(old) == 0
    # ...and the table itself stays closed to the application's own DELETE.
    with pytest.raises(Exception, match="permission denied"):
        await client.execute_script("DELETE FROM audit_instance_entry")

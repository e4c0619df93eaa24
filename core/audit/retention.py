"""How long failed logins of no tenant (:class:`pejling.core.audit.models.InstanceAuditEntry`) are kept: 90 days.

Tenants' own entries (``audit_entry``) stay as long as their tenant. The entries of no tenant name nobody a tenant
could ask about, and are only useful to an operator looking at recent credential stuffing, so they go after
:data:`INSTANCE_RETENTION`, in the hourly ``accounts.purge_expired`` job (:mod:`pejling.core.auth.housekeeping`).

The log stays append-only for the application: on PostgreSQL its role may not delete from ``audit_instance_entry``
at all; it calls ``pejling_purge_audit_instance_entries(cutoff)``, a ``SECURITY DEFINER`` function made by the
migration role (``core/audit/migrations/0004_instance_retention.py``) that deletes only entries older than the
cutoff **and** older than 90 days by the database's own clock, so even a compromised process cannot remove a recent
entry. On SQLite (one process, no roles) the same cutoff is applied through the ORM.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise import connections

from pejling.core.audit.models import InstanceAuditEntry
from pejling.core.database import is_postgres
from pejling.tenants.scope import all_tenants, all_tenants_sql

INSTANCE_RETENTION = timedelta(days=90)
"""Failed logins of no tenant older than this are deleted (the PostgreSQL function holds the same 90 days)."""
_PURGE = all_tenants_sql("SELECT pejling_purge_audit_instance_entries(?) AS gone")


async def purge_old_instance_entries(now: datetime | None = None) -> int:
    """Delete the entries of no tenant older than :data:`INSTANCE_RETENTION`; returns how many went."""
    cutoff = (now or datetime.now(UTC)) - INSTANCE_RETENTION
    if is_postgres(connections.get("default")):
        with all_tenants():  # the table has no tenant; the function names none
            rows = await _PURGE.rows([cutoff])
        return int(rows[0]["gone"])
    return int(await InstanceAuditEntry.filter(at__lt=cutoff).delete())

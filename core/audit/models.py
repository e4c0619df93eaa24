"""The audit log: one entry per recorded operation — who changed or read what, when, from which (hashed) address.

Every entry belongs to one tenant (see :mod:`pejling.tenants.scope`). The log is **append-only from the
application's point of view**: an entry is written once and never changed or deleted by the app. Saving a stored
entry, deleting one, and the bulk paths (``update``, ``delete``, ``bulk_update``, an upsert through
``bulk_create``) raise :class:`AuditEntryImmutable` before any SQL is sent, and raw SQL that would update, delete or
truncate the table is refused (:func:`pejling.tenants.scope.append_only`). Rows go only when their tenant is
deleted (the foreign key cascades). On PostgreSQL the restricted application role is to get ``INSERT`` and
``SELECT`` on ``audit_entry`` and no ``UPDATE``/``DELETE`` (see docs/security.md, "Audit log").
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any, NoReturn

from tortoise import fields
from tortoise.models import Model
from tortoise.queryset import MODEL, BulkCreateQuery

from pejling.tenants.scope import TenantManager, TenantModel, TenantQuerySet, append_only


class AuditEntryImmutable(RuntimeError):
    """An audit entry was about to be changed or deleted: the audit log is append-only."""


def _refuse(what: str) -> NoReturn:
    raise AuditEntryImmutable(f"the audit log is append-only: {what} is refused")


class AuditKind(enum.StrEnum):
    """What kind of operation an entry records."""

    CHANGE = "change"
    """A GraphQL mutation (successful or not)."""
    READ = "read"
    """A GraphQL query that returned shopper data (responses, comments, follow-ups, contact emails, replies…)."""
    DOWNLOAD = "download"
    """A file downloaded over HTTP: a response export, or the audit log itself as CSV."""


class ActorKind(enum.StrEnum):
    """Who acted: a person logged in to the portal, or an integrator's API token."""

    USER = "user"
    API_TOKEN = "api_token"  # noqa: S105 - a kind of actor, not a secret


class AuditOutcome(enum.StrEnum):
    """How the operation ended."""

    OK = "ok"
    REFUSED = "refused"
    """A typed error (a mutation's ``errors``, or an error with a code such as ``FORBIDDEN``): nothing was done."""
    FAILED = "failed"
    """An unexpected error (masked in the answer, logged)."""


class AuditQuerySet(TenantQuerySet[MODEL]):
    """The queries of the audit log: reads and inserts only."""

    def update(self, **kwargs: Any) -> Any:
        _refuse("update")

    def delete(self) -> Any:
        _refuse("delete")

    def bulk_update(self, objects: Iterable[MODEL], fields: Iterable[str], batch_size: int | None = None) -> Any:
        _refuse("bulk_update")

    def bulk_create(
        self, objects: Iterable[MODEL], batch_size: int | None = None, ignore_conflicts: bool = False,
        update_fields: Iterable[str] | None = None, on_conflict: Iterable[str] | None = None,
    ) -> BulkCreateQuery[MODEL]:
        """New entries only: an upsert (``update_fields``) would overwrite stored ones."""
        if update_fields is not None:
            _refuse("an upsert through bulk_create")
        return super().bulk_create(objects, batch_size, ignore_conflicts, update_fields, on_conflict)


class AuditManager(TenantManager):
    """Tenant-scoped like every tenant model, on :class:`AuditQuerySet`."""

    queryset_class = AuditQuerySet


class AuditEntry(TenantModel):
    """Who changed or read what: one GraphQL operation or download. Append-only, and no raw client address."""

    id = fields.UUIDField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True)
    kind = fields.CharEnumField(AuditKind, max_length=16)
    actor_kind = fields.CharEnumField(ActorKind, max_length=16)
    actor_id = fields.UUIDField(description="The user id, or the API token id.")
    user_id = fields.UUIDField(null=True, description="The person: the user, or the member who made the API token.")
    operation = fields.CharField(max_length=200, default="", description="The GraphQL operation name, if given.")
    field_names: Any = fields.JSONField(default=list,
                                        description="The top-level fields of the operation (or the route's name).")
    shopper_fields: Any = fields.JSONField(default=list,
                                           description="Shopper data read, as Type.field (Response.comment…).")
    object_ids: Any = fields.JSONField(default=list, description="Objects named or read, as Type:uuid.")
    outcome = fields.CharEnumField(AuditOutcome, max_length=16, default=AuditOutcome.OK)
    error_codes: Any = fields.JSONField(default=list, description="The error codes answered, when not ok.")
    address_hash = fields.CharField(
        max_length=32, default="", description="A keyed hash of the client address, rotated monthly, never the address."
    )

    class Meta:
        table = "audit_entry"
        indexes = (("tenant_id", "at"),)

    async def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert a new entry; a stored entry cannot be saved again."""
        if self._saved_in_db:
            _refuse("changing a stored entry")
        await super().save(*args, **kwargs)

    async def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse("delete")


# TenantModelMeta gave the model a plain TenantManager; the audit log's refuses changes. Raw SQL may not either.
AuditEntry._meta.manager = AuditManager(AuditEntry)
append_only(AuditEntry._meta.db_table)


class InstanceAuditEntry(Model):
    """An audit entry that belongs to no tenant: a failed login whose account is not known.

    That is a password login for an email with no account (or an inactive one in no tenant), or a single sign-on
    page of no tenant.

    Like :class:`AuditEntry`, append-only and without the raw email or client address: both are keyed hashes,
    rotated monthly (:func:`pejling.core.audit.recording.instance_hash`). Operators read it with SQL; no tenant ever
    sees it (it names none), so a tenant's log never tells whether an address has an account elsewhere.
    """

    id = fields.UUIDField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True)
    operation = fields.CharField(max_length=64, description="What was attempted: login or ssoLogin.")
    outcome = fields.CharEnumField(AuditOutcome, max_length=16, default=AuditOutcome.REFUSED)
    error_codes: Any = fields.JSONField(default=list, description="The error codes answered.")
    email_hash = fields.CharField(max_length=32, default="",
                                  description="A keyed hash of the email tried, rotated monthly, never the email.")
    address_hash = fields.CharField(
        max_length=32, default="", description="A keyed hash of the client address, rotated monthly, never the address."
    )

    class Meta:
        table = "audit_instance_entry"
        indexes = (("at",),)

    async def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert a new entry; a stored entry cannot be saved again."""
        if self._saved_in_db:
            _refuse("changing a stored entry")
        await super().save(*args, **kwargs)

    async def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse("delete")


append_only(InstanceAuditEntry._meta.db_table)

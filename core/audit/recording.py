"""Writing audit entries: one INSERT per recorded operation, after the operation, never breaking its answer.

An entry is written *after* the operation, on its own (autocommit) statement, not inside the operation's
transaction: the codebase has no request-wide transaction to join (each service function opens its own, e.g.
:mod:`pejling.core.followups.workflow`), and a mutation can be refused before any transaction opens. The price is a
small window: a process that dies between a mutation's commit and the entry's INSERT leaves that mutation
unlogged. A failure to write is logged (the exception's type and the operation's name, never values) and the
caller's answer goes out unchanged.

The client address is never stored: :func:`address_hash` keys it with the instance secret, the tenant and the
month (UTC), so entries of one month can be compared ("the same address?") but not across tenants or months, and
the address cannot be recovered without the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pejling.core.audit.models import ActorKind, AuditEntry, AuditKind, AuditOutcome, InstanceAuditEntry
from pejling.core.auth.actor import Actor
from pejling.core.settings import Settings
from pejling.tenants.models import Membership, Tenant
from pejling.tenants.scope import all_tenants, tenant_scope

log = logging.getLogger(__name__)

#: At most this many object ids are kept per entry (a page of 100 responses lists each; more are left out).
MAX_OBJECT_IDS = 100
#: The actor id of an entry whose person is not known: a single sign-on refused before the provider named anyone.
NOBODY = UUID(int=0)


def address_hash(settings: Settings, tenant_id: UUID, address: str, moment: datetime | None = None) -> str:
    """The keyed hash of a client address in the audit log of ``tenant_id`` (hex, 32 characters), rotated monthly.
    Empty for no address."""
    if not address:
        return ""
    month = (moment or datetime.now(UTC)).strftime("%Y-%m")
    message = f"audit-address:{tenant_id}:{month}|{address.strip().lower()}".encode()
    return hmac.new(settings.secret_bytes(), message, hashlib.sha256).hexdigest()[:32]


def instance_hash(settings: Settings, what: str, value: str, moment: datetime | None = None) -> str:
    """The keyed hash (hex, 32 characters, rotated monthly) of an email or address (``what``) in the entries that
    belong to no tenant (:class:`~pejling.core.audit.models.InstanceAuditEntry`). Empty for no value."""
    if not value:
        return ""
    month = (moment or datetime.now(UTC)).strftime("%Y-%m")
    message = f"audit-instance-{what}:{month}|{value.strip().lower()}".encode()
    return hmac.new(settings.secret_bytes(), message, hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class Subject:
    """Who acted, as the log records it."""

    kind: ActorKind
    id: UUID
    user_id: UUID | None

    @classmethod
    def of(cls, actor: Actor) -> Subject | None:
        """The subject of an authenticated actor; None for an anonymous one."""
        if actor.token_id is not None:
            return cls(ActorKind.API_TOKEN, actor.token_id, actor.user_id)
        if actor.user_id is not None:
            return cls(ActorKind.USER, actor.user_id, actor.user_id)
        return None

    @classmethod
    def user(cls, user_id: UUID) -> Subject:
        return cls(ActorKind.USER, user_id, user_id)

    @classmethod
    def nobody(cls) -> Subject:
        """No person known (actor id :data:`NOBODY`, no user): a refused single sign-on."""
        return cls(ActorKind.USER, NOBODY, None)


@dataclass
class Record:
    """What one entry says, before it has a tenant."""

    kind: AuditKind
    subject: Subject
    operation: str = ""
    field_names: list[str] = field(default_factory=list)
    shopper_fields: list[str] = field(default_factory=list)
    object_ids: list[str] = field(default_factory=list)
    outcome: AuditOutcome = AuditOutcome.OK
    error_codes: list[str] = field(default_factory=list)
    address: str = ""

    def entry(self, settings: Settings, tenant_id: UUID) -> AuditEntry:
        return AuditEntry(
            tenant_id=tenant_id, kind=self.kind, actor_kind=self.subject.kind, actor_id=self.subject.id,
            user_id=self.subject.user_id, operation=self.operation[:200], field_names=self.field_names,
            shopper_fields=self.shopper_fields, object_ids=self.object_ids[:MAX_OBJECT_IDS],
            outcome=self.outcome, error_codes=self.error_codes,
            address_hash=address_hash(settings, tenant_id, self.address),
        )


async def record(settings: Settings, tenant_id: UUID, entry: Record) -> bool:
    """Write ``entry`` in the log of ``tenant_id`` (one INSERT). False, logged, when it could not be written."""
    try:
        with tenant_scope(tenant_id):
            await entry.entry(settings, tenant_id).save()
    except Exception as exc:  # noqa: BLE001 - the audit log never breaks the answer; the failure is logged
        if not await _tenant_exists(tenant_id):  # the operation deleted its tenant, and the log went with it
            log.info("no audit entry for %s: tenant %s is deleted", entry.operation or "-", tenant_id)
            return False
        _not_written(entry, exc)
        return False
    return True


async def record_for_user(settings: Settings, entry: Record) -> bool:
    """Write ``entry`` in the log of every tenant the subject's person is a member of (one SELECT, one INSERT): for
    what a person does outside any one tenant, such as logging in. Nothing when they are in none."""
    user_id = entry.subject.user_id
    if user_id is None:
        return False
    try:
        with all_tenants():
            rows: Sequence[Any] = await Membership.filter(user_id=user_id).values_list("tenant_id", flat=True)
            tenants = [UUID(str(t)) for t in rows]
            if tenants:
                await AuditEntry.bulk_create([entry.entry(settings, t) for t in tenants])
    except Exception as exc:  # noqa: BLE001 - as in record()
        _not_written(entry, exc)
        return False
    return bool(tenants)


async def record_login_failure(settings: Settings, *, operation: str, codes: Sequence[str], email: str = "",
                               address: str = "", user_id: UUID | None = None, tenant_id: UUID | None = None) -> bool:
    """Log a refused login (``operation``: ``login`` or ``ssoLogin``), never the password, the email or the address
    in clear.

    The entry goes to the log of ``tenant_id`` when the login page was that tenant's (single sign-on: the person
    if known, else :meth:`Subject.nobody`); else to each tenant of the account ``user_id``; else — no account known,
    or one in no tenant — to the entries of no tenant, under keyed hashes of the email and the address. So a
    tenant's log shows attempts on its own members, and nothing tells a tenant about addresses that are not theirs.
    """
    entry = Record(kind=AuditKind.CHANGE, subject=Subject.user(user_id) if user_id else Subject.nobody(),
                   field_names=[operation], outcome=AuditOutcome.REFUSED, error_codes=list(codes), address=address)
    if tenant_id is not None:
        return await record(settings, tenant_id, entry)
    if user_id is not None and await record_for_user(settings, entry):
        return True
    try:
        await InstanceAuditEntry.create(operation=operation[:64], outcome=AuditOutcome.REFUSED,
                                        error_codes=list(codes), email_hash=instance_hash(settings, "email", email),
                                        address_hash=instance_hash(settings, "address", address))
    except Exception as exc:  # noqa: BLE001 - as in record()
        _not_written(entry, exc)
        return False
    return True


async def _tenant_exists(tenant_id: UUID) -> bool:
    try:
        return await Tenant.exists(id=tenant_id)
    except Exception:  # noqa: BLE001 - the database itself failed: report the entry as not written
        return True


def _not_written(entry: Record, exc: BaseException) -> None:
    # The type only: a driver's message may quote the values of the row.
    log.error("audit entry not written (%s %s, fields %s): %s", entry.kind.value, entry.operation or "-",
              ",".join(entry.field_names[:10]), type(exc).__name__)


async def record_download(settings: Settings, tenant_id: UUID, actor: Actor, *, address: str, name: str,
                          object_ids: Sequence[str] = (), shopper_fields: Sequence[str] = ()) -> bool:
    """Log a file download over HTTP by ``actor`` (``name``: what was downloaded, e.g. ``responseExport``)."""
    subject = Subject.of(actor)
    if subject is None:
        return False
    return await record(settings, tenant_id, Record(kind=AuditKind.DOWNLOAD, subject=subject, field_names=[name],
                                                    shopper_fields=list(shopper_fields), object_ids=list(object_ids),
                                                    address=address))

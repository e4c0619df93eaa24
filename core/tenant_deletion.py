"""Deleting a tenant: every row and file Pejling holds for it, and the accounts that were only its members.

:func:`delete_tenant` runs in one transaction:

1. every tenant-owned table (core's and plugins', found through Tortoise's registry) is emptied of the tenant's rows
   in the scope of the tenant, children before the tables they reference (so no foreign key, ``RESTRICT`` included,
   stands in the way);
2. the tenant's jobs (their payloads may hold addresses) are deleted, except one running now (it finds its tenant
   gone and stops);
3. the people who were members of this tenant only lose their account (sessions go with it); members of other
   tenants keep theirs;
4. the tenant's row goes; append-only tables (the audit log, :func:`pejling.tenants.scope.append_only`) follow it by
   the database's ``ON DELETE CASCADE``, the only way their rows ever go.

After the commit the tenant's export files (``<var_dir>/exports/<tenant id>/``) and the ``.eml`` copies to its
former members are removed. What third parties hold (Stripe customers, a Shopify app install) is theirs to delete; a
tenant with a live paid subscription is refused before anything happens (GraphQL ``deleteTenant``).
"""

from __future__ import annotations

import asyncio
import graphlib
import logging
import shutil
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from tortoise.transactions import in_transaction

from pejling.core.followups.exports import exports_dir
from pejling.core.followups.tenant_export import tenant_models
from pejling.core.jobs.models import Job, JobStatus
from pejling.core.mail import forget_mail_files, mail_to_files
from pejling.core.settings import Settings
from pejling.tenants.models import Membership, Tenant, User
from pejling.tenants.scope import all_tenants, is_append_only, tenant_scope

log = logging.getLogger(__name__)


@dataclass
class DeletionReport:
    """What a deletion removed: rows per table, accounts, files."""

    rows: dict[str, int] = field(default_factory=dict)
    accounts: int = 0
    files: int = 0


def deletion_order(models: list[Any]) -> list[Any]:
    """``models`` with every model before the models it references (children first)."""
    names = {model._meta.db_table: model for model in models}
    before: dict[str, set[str]] = {name: set() for name in names}  # table -> tables to empty before it
    for name, model in names.items():
        for fk in model._meta.fk_fields:
            target = model._meta.fields_map[fk].related_model._meta.db_table
            if target in names and target != name:
                before[target].add(name)
    return [names[name] for name in graphlib.TopologicalSorter(before).static_order()]


async def delete_tenant(tenant: Tenant, settings: Settings) -> DeletionReport:
    """Delete ``tenant`` with everything Pejling holds for it (see the module's description)."""
    report = DeletionReport()
    with tenant_scope(tenant.id):
        member_ids = list(await Membership.all().values_list("user_id", flat=True))
    async with in_transaction():
        with tenant_scope(tenant.id):
            for model in deletion_order(tenant_models()):
                if is_append_only(model._meta.db_table):
                    continue
                report.rows[model._meta.db_table] = await model.all().delete()
        with all_tenants():
            report.rows["job"] = await Job.filter(tenant_id=tenant.id).exclude(status=JobStatus.RUNNING).delete()
            elsewhere = set(await Membership.filter(user_id__in=member_ids).values_list("user_id", flat=True))
            gone = [user_id for user_id in member_ids if user_id not in elsewhere]
            addresses = {str(email) for email in await User.filter(id__in=gone).values_list("email", flat=True)}
            report.accounts = await User.filter(id__in=gone).delete()
            await Tenant.filter(id=tenant.id).delete()
    report.files = await asyncio.to_thread(_remove_files, settings, tenant.id, addresses)
    log.info("tenant %s deleted: %d rows, %d accounts, %d files", tenant.id, sum(report.rows.values()),
             report.accounts, report.files)
    return report


def _remove_files(settings: Settings, tenant_id: UUID, addresses: set[str]) -> int:
    folder = exports_dir(settings.var_dir, tenant_id)
    removed = sum(1 for path in folder.iterdir() if path.is_file()) if folder.is_dir() else 0
    shutil.rmtree(folder, ignore_errors=True)
    if mail_to_files(settings):
        removed += forget_mail_files(settings.mail_dir, addresses)
    return removed

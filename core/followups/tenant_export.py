"""The tenant export: everything Pejling holds for a tenant, as one ZIP made by a job with progress.

An owner or admin starts it (GraphQL ``startTenantExport``); it is an :class:`~pejling.core.followups.models.Export`
of format ``zip`` (with contact details), so progress, the download route, the 7-day purge and the reach of an
erasure are those of every export. The ZIP holds:

* ``manifest.json``: the tenant, when the export was made, and each table with its row count;
* ``tenant.json``: the tenant's own row (its logo as base64);
* ``members.json``: the people with a role in the tenant (id, email, name, role, stores — no password hashes);
* ``<table>.jsonl``: every row of every tenant-owned table, one JSON object per line (ids and times as text);
* ``responses.csv``: the responses with their answers as columns, as the CSV response export writes them.

Secrets never leave: sealed columns (each model's ``SEALED_FIELDS``), token hashes and device secrets are written as
``null``, and sealed values inside plugin settings as ``"[sealed]"``. Rows are read a page at a time (keyset on
``id``), so memory does not grow with the tenant.
"""

from __future__ import annotations

import base64
import io
import json
import os
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from tortoise import Tortoise

from pejling.core.followups.exports import export_path, finish, run_export_job, write_responses
from pejling.core.followups.models import Export, ExportFormat, ExportStatus
from pejling.core.followups.response_filters import ResponseFilter
from pejling.core.jobs import enqueue, register_job
from pejling.core.key_rotation import FERNET_PREFIX, pages_by_id
from pejling.core.surveys.models import Response
from pejling.tenants.models import Membership, Tenant, User
from pejling.tenants.scope import TenantModel, current_tenant_id

TENANT_EXPORT_JOB = "privacy.tenant_export"
PAGE = 1000
#: Columns never exported, whatever the table (hashes of tokens, device secrets).
SECRET_COLUMNS = frozenset({"token_hash", "secret", "password_hash", "key_hash"})


def tenant_models() -> list[Any]:
    """Every registered tenant-owned model, by table name."""
    found = {model for app in Tortoise.apps.values() for model in app.values()
             if issubclass(model, TenantModel) and not model._meta.abstract}
    return sorted(found, key=lambda model: model._meta.db_table)


def _plain(value: Any) -> Any:
    """A stored value as JSON: ids, times and decimals as text, bytes as base64, sealed strings hidden."""
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, str) and value.startswith(FERNET_PREFIX):
        return "[sealed]"
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _columns(model: Any) -> tuple[list[str], set[str]]:
    """The model's columns (foreign keys by their ``_id``), and those written as null."""
    meta = model._meta
    columns = sorted(meta.fields_db_projection)
    hidden = {c for c in columns if c in SECRET_COLUMNS} | set(getattr(model, "SEALED_FIELDS", ()))
    return columns, hidden


async def start_tenant_export(*, requested_by: UUID | None) -> Export:
    """Queue the current tenant's export (see the module's description)."""
    export = await Export.create(format=ExportFormat.ZIP, include_contact=True, requested_by_id=requested_by)
    await enqueue(TENANT_EXPORT_JOB, {"export_id": str(export.id)}, tenant_id=export.tenant_id,
                  idempotency_key=f"{TENANT_EXPORT_JOB}:{export.id}", max_attempts=3)
    return export


@register_job(TENANT_EXPORT_JOB, timeout_seconds=3600)
async def run_tenant_export(payload: dict[str, Any]) -> None:
    """Job: write the ZIP, recording progress after every page."""
    await run_export_job(payload, _write)


async def _write(export: Export) -> None:
    models = tenant_models()
    counts = {model._meta.db_table: await model.all().count() for model in models}
    responses = await Response.all().count()
    total = sum(counts.values()) + responses
    await Export.filter(id=export.id).update(status=ExportStatus.RUNNING, rows_total=total, rows_done=0, error=None)
    tenant = await Tenant.get(id=current_tenant_id())
    path = export_path(export)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".part")
    done = 0

    async def progress(more: int) -> None:
        await Export.filter(id=export.id).update(rows_done=done + more)

    with partial.open("wb") as raw:
        os.chmod(partial, 0o600)
        with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            manifest = {"tenant": {"id": str(tenant.id), "slug": tenant.slug, "name": tenant.name},
                        "made_at": datetime.now(UTC).isoformat(), "tables": {**counts, "responses.csv": responses}}
            archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
            tenant_row = {name: _plain(getattr(tenant, name)) for name in sorted(Tenant._meta.fields_db_projection)}
            archive.writestr("tenant.json", json.dumps(tenant_row, indent=2, ensure_ascii=False))
            archive.writestr("members.json", json.dumps(await _members(), indent=2, ensure_ascii=False))
            for model in models:
                columns, hidden = _columns(model)
                with archive.open(f"{model._meta.db_table}.jsonl", "w") as member:
                    async for rows in pages_by_id(model, columns, PAGE):
                        for row in rows:
                            line = {c: None if c in hidden else _plain(row[c]) for c in columns}
                            member.write((json.dumps(line, ensure_ascii=False) + "\n").encode())
                        done += len(rows)
                        await progress(0)
            with archive.open("responses.csv", "w") as member, io.TextIOWrapper(member, "utf-8", newline="") as text:
                written = await write_responses(text, ExportFormat.CSV, ResponseFilter(), contact=True,
                                                progress=progress)
            done += written
    await finish(export, partial, done, total)


async def _members() -> list[dict[str, Any]]:
    memberships = await Membership.all().order_by("created_at")
    users = {u.id: u for u in await User.filter(id__in=[m.user_id for m in memberships])}
    return [{"user_id": str(m.user_id), "email": users[m.user_id].email, "name": users[m.user_id].name,
             "role": str(m.role), "store_ids": m.store_ids, "since": m.created_at.isoformat()}
            for m in memberships if m.user_id in users]

"""The CSV import of invitations (``pejling invite``): read the addresses of a file and invite each once.

The file is UTF-8 (a byte-order mark is fine) with the addresses in the column named ``--column`` (default
``email``); a file without that header is read as one address per line in the first column. Addresses are sent in
calls of at most :data:`~pejling.core.surveys.invitations.MAX_RECIPIENTS`, each once, and a progress line shows how
far it is.
"""

from __future__ import annotations

import asyncio
import csv
import io
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from pejling.core.loaded_plugins import Plugins
from pejling.core.surveys.channels import channel_registry
from pejling.core.surveys.invitations import MAX_RECIPIENTS, InvitationBatch, InvitationRefused, invite_recipients
from pejling.tenants.models import Store, Tenant, Zone
from pejling.tenants.scope import all_tenants, tenant_scope


class ImportRefused(Exception):
    """The import cannot start (unknown tenant, store or zone, unreadable file); nothing was sent."""


async def file_place(tenant_slug: str, store_slug: str, zone_name: str | None) -> tuple[Tenant, Store, Zone | None]:
    """The tenant, store and zone (by name, optional) a CLI import names; raises :class:`ImportRefused` for any it
    cannot find. Used by the CSV imports of invitations and of responses."""
    with all_tenants():
        tenant = await Tenant.get_or_none(slug=tenant_slug)
    if tenant is None:
        raise ImportRefused(f"no tenant {tenant_slug!r}")
    with tenant_scope(tenant.id):
        store = await Store.get_or_none(slug=store_slug)
        if store is None:
            raise ImportRefused(f"no store {store_slug!r} in {tenant_slug}")
        zone = None
        if zone_name is not None:
            zone = await Zone.get_or_none(store_id=store.id, name=zone_name)
            if zone is None:
                raise ImportRefused(f"no zone {zone_name!r} in {store_slug}")
    return tenant, store, zone


def read_addresses(text: str, column: str = "email") -> list[str]:
    """The addresses of a CSV text: the ``column`` of a file with a header, else the first column of every row."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        return []
    header = [cell.strip().lower() for cell in rows[0]]
    if column.lower() in header:
        index = header.index(column.lower())
        body = rows[1:]
    else:
        index, body = 0, rows
    return [row[index].strip() for row in body if len(row) > index and row[index].strip()]


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def progress_line(total: int, out: TextIO = sys.stderr) -> Callable[[int], None]:
    """A callback that keeps one line on ``out`` up to date: ``done / total`` and a bar."""
    def show(done: int) -> None:
        width = 30
        filled = width * done // total if total else width
        out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            out.write("\n")
        out.flush()
    return show


def _shifted(show: Callable[[int], None], offset: int) -> Callable[[int], None]:
    return lambda done: show(offset + done)


async def import_invitations(
    plugins: Plugins, *, tenant_slug: str, store_slug: str, path: Path, base_url: str, channel: str = "email",
    column: str = "email", zone_name: str | None = None, language: str | None = None, out: TextIO = sys.stderr,
) -> InvitationBatch:
    """Invite every address of the file to the store's survey; raises :class:`ImportRefused` before sending any."""
    try:
        addresses = read_addresses(await asyncio.to_thread(path.read_text, encoding="utf-8"), column)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ImportRefused(f"cannot read {path}: {exc}") from None
    tenant, store, zone = await file_place(tenant_slug, store_slug, zone_name)
    with tenant_scope(tenant.id):
        channels = await channel_registry(plugins).for_tenant(tenant.id)
        show = progress_line(len(addresses), out)
        sent = suppressed = done = 0
        refused: list[tuple[str, str]] = []
        try:
            for chunk in _chunks(addresses, MAX_RECIPIENTS):
                batch = await invite_recipients(
                    channels, store, chunk, channel=channel, zone=zone, language=language or store.default_language,
                    base_url=base_url, progress=_shifted(show, done),
                )
                done += len(chunk)
                sent, suppressed = sent + batch.sent, suppressed + batch.suppressed
                refused.extend(batch.refused)
        except InvitationRefused as exc:
            raise ImportRefused(exc.message) from None
        if not addresses:
            show(0)
    return InvitationBatch(sent, suppressed, tuple(refused))

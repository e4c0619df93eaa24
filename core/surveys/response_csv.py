"""The CSV import of historical responses (``pejling import-responses --csv``), with a progress line.

One response per row. Columns (a header row is required, names case-insensitive): ``id`` (a UUID; rows without one
get a UUID derived from the file's row, so importing the same file again stores nothing twice), ``submitted_at``
(ISO 8601 with an offset), optionally ``started_at``, ``outcome``, ``comment``, ``language`` and ``channel``, and
one column per answered statement or model question, named by its id (``ease.found-way``), holding the value;
an empty cell is an unanswered statement. Rows go to
:func:`~pejling.core.surveys.response_import.import_responses` in batches of
:data:`~pejling.core.surveys.response_import.MAX_BATCH`, checked and stored exactly like the API's import.
"""

from __future__ import annotations

import asyncio
import csv
import io
import sys
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from pejling.core.loaded_plugins import Plugins
from pejling.core.surveys.channels import channel_registry
from pejling.core.surveys.invitation_import import ImportRefused, file_place, progress_line
from pejling.core.surveys.response_import import MAX_BATCH, ItemResult, import_responses
from pejling.core.surveys.survey import active_survey
from pejling.tenants.scope import tenant_scope

FIELDS = ("id", "submitted_at", "started_at", "outcome", "comment", "language", "channel")
_ROW_IDS = uuid.UUID("6b0c2f1e-8d4e-4c61-9d8f-2f3c5a7e9b10")


def _number(text: str) -> Any:
    """A whole number when the cell is one, else the text (the import refuses it with the field's name)."""
    try:
        return int(text)
    except ValueError:
        return text


def read_rows(text: str, source: str = "") -> list[tuple[int, dict[str, Any]]]:
    """The responses of a CSV text, in the import's shape (see the module docstring), each with its line number."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        return []
    header = [cell.strip() for cell in rows[0]]
    lowered = [cell.lower() for cell in header]
    if "submitted_at" not in lowered:
        raise ImportRefused("the CSV needs a header row with a submitted_at column")
    items = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        item: dict[str, Any] = {"answers": []}
        for name, key, cell in zip(header, lowered, row, strict=False):
            value = cell.strip()
            if key in FIELDS:
                if value:
                    item[key] = _number(value) if key == "outcome" else value
            elif name and value:
                item["answers"].append({"statement_id": name, "value": _number(value)})
        item.setdefault("id", str(uuid.uuid5(_ROW_IDS, f"{source}|{number}")))
        items.append((number, item))
    return items


async def import_response_file(
    plugins: Plugins, *, tenant_slug: str, store_slug: str, path: Path, zone_name: str | None = None,
    out: TextIO = sys.stderr,
) -> list[ItemResult]:
    """Import every row of the file into the store's active survey version; one result per row, whose ``index`` is
    its line in the file. Raises :class:`ImportRefused` before storing any (unreadable file, unknown place)."""
    try:
        text = await asyncio.to_thread(path.read_text, encoding="utf-8")
        rows = read_rows(text, source=path.name)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ImportRefused(f"cannot read {path}: {exc}") from None
    tenant, store, zone = await file_place(tenant_slug, store_slug, zone_name)
    with tenant_scope(tenant.id):
        active = await active_survey()
        assert active is not None
        items = [item for _, item in rows]
        show = progress_line(len(items), out)
        results: list[ItemResult] = []
        for start in range(0, len(items), MAX_BATCH):
            batch = await import_responses(items[start:start + MAX_BATCH], store=store, zone=zone,
                                           version=active.version, channels=channel_registry(plugins).keys,
                                           now=datetime.now(UTC), plugins=plugins)
            results.extend(ItemResult(rows[start + r.index][0], r.id, r.status, r.code, r.message, r.field)
                           for r in batch)
            show(len(results))
        if not items:
            show(0)
    return results


def summary(results: Sequence[ItemResult]) -> str:
    """One line of counts, then one line per invalid row (its line in the file, code and message)."""
    counts = Counter(r.status for r in results)
    lines = [f"stored {counts['stored']}, duplicates {counts['duplicate']}, invalid {counts['invalid']}"]
    lines += [f"line {r.index}: {r.code} ({r.field}): {r.message}" for r in results if r.status == "invalid"]
    return "\n".join(lines)

"""Fixtures of the survey tests: a fresh tenant with a store and zones, and a valid submission to vary."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pejling.core.plugin_manager import Plugins, load_plugins
from pejling.core.surveys import group_commit
from pejling.core.surveys.group_commit import GroupCommit
from pejling.core.surveys.ingest import IngestRefused, IngestResult, ingest_response
from pejling.core.surveys.survey import active_survey, statements_of
from pejling.tenants.models import Store, Tenant, Zone
from pejling.tenants.scope import tenant_scope
from pejling.tenants.signup import create_tenant_with_owner


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


#: When the fixture submissions start: a few days ago at noon UTC, so they stay inside the ingest's time window
#: (``ingest.MAX_TIME_AGE``) whenever the suite runs.
STARTED = (datetime.now(UTC) - timedelta(days=3)).replace(hour=12, minute=0, second=0, microsecond=0)


@dataclass
class Shop:
    tenant: Tenant
    store: Store
    zone: Zone
    other_store: Store
    version_id: str
    statement_ids: list[str]
    warmup_ids: list[str]

    def payload(self, **changes: Any) -> dict[str, Any]:
        """A valid JSON submission for this shop; keyword arguments replace top-level keys."""
        started = STARTED
        answers = []
        ids = [*self.warmup_ids, *self.statement_ids]
        for position, sid in enumerate(ids):
            answers.append(
                {
                    "statement_id": sid,
                    "value": 2 + position % 4,
                    "position": position,
                    "reaction_ms": 700 + 137 * position,
                    "warmup": sid in self.warmup_ids,
                }
            )
        body: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "survey_version_id": self.version_id,
            "invitation": None,
            "zone_id": str(self.zone.id),
            "channel": "qr",
            "language": "da",
            "started_at": started.isoformat(),
            "submitted_at": (started + timedelta(seconds=40)).isoformat(),
            "answers": answers,
            "outcome": 8,
            "comment": "Kassen gik hurtigt.",
            "consent": {"contact": False, "email": None},
            "client": {"viewport_width": 390, "touch": True, "js": True},
        }
        body.update(changes)
        return body


async def make_shop() -> Shop:
    tenant, _ = await create_tenant_with_owner(
        tenant_name="Survey Shop",
        tenant_slug=unique("shop"),
        email=f"{unique('o')}@example.com",
        password="correct horse battery staple 42",
    )
    with tenant_scope(tenant.id):
        store = await Store.create(name="Main street", slug="main", default_language="da")
        other = await Store.create(name="Harbour", slug="harbour", default_language="sv")
        zone = await Zone.create(store=store, name="Checkout", kind="checkout")
        current = await active_survey()
        assert current is not None
        await statements_of(current.version)
    return Shop(
        tenant,
        store,
        zone,
        other,
        str(current.version.id),
        list(current.version.statement_ids),
        list(current.version.warmup_ids),
    )


@pytest.fixture
async def shop(database: Any) -> Shop:
    return await make_shop()


@pytest.fixture(scope="session")
async def plugins(database: Any) -> Plugins:
    """The installed plugins as the app loads them: they bring the channels (the built-in qr, nfc, email …)."""
    return await load_plugins(database)


@pytest.fixture
async def batches() -> AsyncIterator[GroupCommit]:
    """A group-commit collector for this test's event loop that waits long enough for every concurrent submission to
    join (a test sets ``max_batch`` to the number it sends)."""
    loop = asyncio.get_running_loop()
    before = group_commit._collectors.get(loop)
    collector = group_commit._collectors[loop] = GroupCommit(window_seconds=30.0)
    yield collector
    if before is None:
        del group_commit._collectors[loop]
    else:
        group_commit._collectors[loop] = before


async def submit_as(shop: Shop, plugins: Plugins, payload: dict[str, Any], n: int, *,
                    network: str = "10.1") -> IngestResult | IngestRefused:
    """Ingest ``payload`` as the ``n``-th client of ``network`` (each its own address); a refusal is returned."""
    try:
        return await ingest_response(
            payload, tenant_slug=shop.tenant.slug, store_slug=shop.store.slug,
            client_address=f"{network}.{n // 250}.{n % 250}", user_agent="", via="json", plugins=plugins,
        )
    except IngestRefused as refused:
        return refused

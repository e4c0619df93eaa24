"""The load of the fault bench (:mod:`tests.bench.fault_bench`): shoppers that send complete responses and send each
again, with the same id and body, until it is accepted; and what they saw.

Also the few things the bench needs to start and find the server (its environment, the ``pejling`` command, the
seeded site), kept here so the fault bench depends on nothing but the ``pejling`` commands and the database.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.bench.server_site import asyncpg_url

ROOT = Path(__file__).resolve().parents[2]
MAX_ATTEMPTS = 15
"""How often a client sends one submission before it gives up (each address stays far under its rate limit)."""
REQUEST_TIMEOUT = 10.0
USER_AGENT = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148 Safari/604.1"


@dataclass(frozen=True)
class Site:
    """The seeded tenant's first store, zone and active survey version, and the running server."""

    base: str
    tenant_id: str
    tenant_slug: str
    store_slug: str
    version_id: str
    zone_id: str
    warmup_ids: list[str]
    statement_ids: list[str]

    @property
    def ingest_path(self) -> str:
        return f"/s/{self.tenant_slug}/{self.store_slug}/responses"

    @property
    def taps(self) -> int:
        return len(self.warmup_ids) + len(self.statement_ids)


async def read_site(database_url: str, base: str, tenant_slug: str) -> Site:
    """The :class:`Site` of the tenant ``tenant_slug``, read from the database."""
    import asyncpg

    connection = await asyncpg.connect(asyncpg_url(database_url))
    try:
        tenant_id = await connection.fetchval("SELECT id FROM tenant WHERE slug = $1", tenant_slug)
        store = await connection.fetchrow("SELECT id, slug FROM store WHERE tenant_id = $1 ORDER BY slug LIMIT 1",
                                          tenant_id)
        zone_id = await connection.fetchval("SELECT id FROM zone WHERE store_id = $1 ORDER BY id LIMIT 1", store["id"])
        version = await connection.fetchrow(
            "SELECT id, statement_ids, warmup_ids FROM survey_version WHERE tenant_id = $1 AND active", tenant_id)
    finally:
        await connection.close()
    return Site(base=base, tenant_id=str(tenant_id), tenant_slug=tenant_slug, store_slug=store["slug"],
                version_id=str(version["id"]), zone_id=str(zone_id),
                warmup_ids=list(json.loads(version["warmup_ids"])),
                statement_ids=list(json.loads(version["statement_ids"])))


@dataclass
class Tally:
    """What the clients saw."""

    submitted: set[str] = field(default_factory=set)
    accepted: set[str] = field(default_factory=set)
    accepted_as_resend: set[str] = field(default_factory=set)
    """Accepted with ``duplicate: true``: an earlier attempt was stored but its answer never reached the client."""
    given_up: set[str] = field(default_factory=set)
    refused: dict[str, str] = field(default_factory=dict)
    """Answered with a 4xx (other than 429): a submission the server will not store (never expected here)."""
    attempts: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    """Failed attempts by what went wrong (``503``, ``ReadError``, …)."""


# -- the load ------------------------------------------------------------------------------------------------------

def new_payload(site: Site, rng: random.Random, now: datetime) -> dict[str, Any]:
    """A complete response (warm-up taps, every statement, an outcome) with a fresh id, some days back, in the
    store's zone or in none."""
    submitted = now - timedelta(days=rng.randrange(3), minutes=1 + rng.randrange(600))
    started = submitted - timedelta(seconds=30 + rng.randrange(30))
    taps = [*site.warmup_ids, *site.statement_ids]
    answers = [{"statement_id": statement, "value": 5 if statement in site.warmup_ids else rng.randint(1, 5),
                "position": position, "reaction_ms": rng.randint(650, 2600), "warmup": statement in site.warmup_ids}
               for position, statement in enumerate(taps)]
    return {
        "id": str(uuid.uuid4()), "survey_version_id": site.version_id, "invitation": None,
        "zone_id": site.zone_id if rng.random() < 0.7 else None, "channel": "qr", "language": "da",
        "started_at": started.isoformat(), "submitted_at": submitted.isoformat(), "answers": answers,
        "outcome": rng.randint(0, 10), "comment": "", "consent": {"contact": False, "email": None},
        "client": {"viewport_width": 390, "touch": True, "js": True},
    }


async def submit_until_accepted(client: httpx.AsyncClient, site: Site, payload: dict[str, Any], address: str,
                                tally: Tally) -> None:
    """Send ``payload`` until it is accepted: the same id and body each time, with a growing pause between."""
    response_id = payload["id"]
    tally.submitted.add(response_id)
    body = json.dumps(payload)
    headers = {"Content-Type": "application/json", "X-Forwarded-For": address,
               "User-Agent": USER_AGENT}
    for attempt in range(MAX_ATTEMPTS):
        tally.attempts += 1
        try:
            answer = await client.post(site.ingest_path, content=body, headers=headers)
        except httpx.TransportError as error:
            tally.failures[type(error).__name__] += 1
        else:
            if answer.status_code in (200, 201):
                tally.accepted.add(response_id)
                if answer.json().get("duplicate"):
                    tally.accepted_as_resend.add(response_id)
                return
            tally.failures[str(answer.status_code)] += 1
            if 400 <= answer.status_code < 500 and answer.status_code != 429:
                tally.refused[response_id] = f"{answer.status_code} {answer.text[:200]}"
                return
        await asyncio.sleep(min(2.0, 0.05 * 1.6**attempt))
    tally.given_up.add(response_id)


async def clients_until(site: Site, *, clients: int, stop_at: float, tally: Tally) -> None:
    """``clients`` shoppers, each sending new responses one after the other until ``stop_at`` (monotonic)."""
    rng = random.Random(secrets.randbits(32))
    addresses = iter(range(1, 1 << 24))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    timeout = httpx.Timeout(REQUEST_TIMEOUT)
    async with httpx.AsyncClient(base_url=site.base, limits=limits, timeout=timeout) as client:

        async def shopper() -> None:
            while time.monotonic() < stop_at:
                n = next(addresses)
                address = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
                await submit_until_accepted(client, site, new_payload(site, rng, datetime.now(UTC)), address, tally)

        await asyncio.gather(*(shopper() for _ in range(clients)))



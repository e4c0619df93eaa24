"""The database ceiling of the ingest bench: complete responses inserted with raw asyncpg, no application between."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta

from tests.bench.load import Run, percentiles_ms
from tests.bench.server_site import Site, asyncpg_url

INSERT_RESPONSE = """
INSERT INTO survey_response (id, tenant_id, store_id, zone_id, survey_version_id, channel, via, language,
  device_class, started_at, submitted_at, received_at, duration_ms, outcome, comment, consent_contact, quality_flags,
  receipt_code, client_key, submission_digest)
VALUES ($1, $2, $3, $4, $5, 'qr', 'json', 'da', 'phone', $6, $7, now(), 40000, $8, '', false, '[]'::jsonb, $9, $10,
  $11)
"""
INSERT_ANSWERS = """
INSERT INTO survey_answer (id, tenant_id, response_id, store_id, submitted_at, statement_id, goal, polarity, value,
  position, reaction_ms, warmup)
SELECT gen_random_uuid(), $1, $2, $3, $4, a.statement_id, a.goal, 1, a.value, a.position, a.reaction_ms, a.warmup
FROM unnest($5::text[], $6::text[], $7::smallint[], $8::smallint[], $9::int[], $10::bool[])
  AS a(statement_id, goal, value, position, reaction_ms, warmup)
"""


async def database_ceiling(url: str, site: Site, *, connections: int, seconds: float) -> Run:
    """Insert complete responses (the row and its answers, one transaction each) with raw asyncpg for ``seconds``."""
    import asyncpg

    goals = site.statement_goals or {}
    taps = [*site.warmup_ids, *site.statement_ids]
    tenant, store, zone, version = (uuid.UUID(site.tenant_id), uuid.UUID(site.store_id), uuid.UUID(site.zone_id),
                                    uuid.UUID(site.version_id))
    latencies: list[float] = []
    pool = await asyncpg.create_pool(asyncpg_url(url), min_size=connections, max_size=connections)
    # Receipt codes are unique per tenant: counted from a random start, not drawn at random (8 random hex
    # characters collide by the birthday bound in a few percent of runs of some 20 000 rows).
    codes = itertools.count(secrets.randbelow(2**32))
    started = time.perf_counter()
    stop = started + seconds

    async def insert_until_stopped() -> None:
        async with pool.acquire() as connection:
            while (begun := time.perf_counter()) < stop:
                submitted = datetime.now(UTC) - timedelta(minutes=1)
                response_id = uuid.uuid4()
                async with connection.transaction():
                    await connection.execute(
                        INSERT_RESPONSE, response_id, tenant, store, zone, version, submitted - timedelta(seconds=40),
                        submitted, secrets.randbelow(11), f"{next(codes) % 2**32:08x}", secrets.token_hex(16),
                        hashlib.sha256(response_id.bytes).hexdigest(),
                    )
                    await connection.execute(
                        INSERT_ANSWERS, tenant, response_id, store, submitted, taps,
                        [goals.get(statement, "warmup") for statement in taps],
                        [5 if statement in site.warmup_ids else 1 + secrets.randbelow(5) for statement in taps],
                        list(range(len(taps))), [650 + secrets.randbelow(2000) for _ in taps],
                        [statement in site.warmup_ids for statement in taps],
                    )
                latencies.append(time.perf_counter() - begun)

    try:
        await asyncio.gather(*(insert_until_stopped() for _ in range(connections)))
    finally:
        await pool.close()
    elapsed = time.perf_counter() - started
    return Run(requests=len(latencies), seconds=elapsed, **percentiles_ms(latencies))

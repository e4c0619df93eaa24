"""Measure the two storage shapes for survey answers (run by hand; pytest does not collect this file).

    .venv/bin/python -m tests.bench.survey_storage                # SQLite (a temporary file)
    PEJLING_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python -m tests.bench.survey_storage

(a) rows:  one ``answer`` row per tap (inserted with one multi-row INSERT per response, as ``bulk_create`` does);
(b) json:  the answers as one JSON column on the response row.

Ingest: responses per second, each in its own transaction (as the endpoint stores them). Aggregation: count and
mean value per goal for one store over 90 days, computed in the database (``json_each`` / ``jsonb_array_elements``
for the JSON shape) and, for (b), also by decoding the JSON in Python. The result is written up in docs/surveys.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import secrets
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

GOALS = ("security", "ease", "autonomy", "recognition", "enjoyment", "discovery", "value")
STORES = [str(uuid.uuid4()) for _ in range(5)]
INGEST_RESPONSES = int(os.environ.get("BENCH_INGEST", "1500"))
AGGREGATE_RESPONSES = int(os.environ.get("BENCH_AGGREGATE", "30000"))
REPEAT = 5


def fake_response(now: datetime) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    submitted = now - timedelta(seconds=random.randint(0, 90 * 86400))
    answers = [
        {
            "statement_id": "warmup.visited-today",
            "goal": "warmup",
            "value": 5,
            "position": 0,
            "reaction_ms": random.randint(300, 1500),
            "warmup": True,
        }
    ]
    for position, goal in enumerate(GOALS, start=1):
        answers.append(
            {
                "statement_id": f"{goal}.statement",
                "goal": goal,
                "value": random.randint(1, 5),
                "position": position,
                "reaction_ms": random.randint(300, 4000),
                "warmup": False,
            }
        )
    response = {
        "id": str(uuid.uuid4()),
        "store_id": random.choice(STORES),
        "submitted_at": submitted,
        "outcome": random.randint(0, 10),
    }
    return response, answers


class Db:
    """The few operations the bench needs, on SQLite (aiosqlite) or PostgreSQL (asyncpg)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.pg = url.startswith("postgres")
        self.conn: Any = None
        self.admin_name: str | None = None

    async def open(self) -> None:
        if self.pg:
            import asyncpg

            self.admin_name = f"pejling_bench_{secrets.token_hex(4)}"
            admin = await asyncpg.connect(self.url.replace("postgres://", "postgresql://", 1))
            await admin.execute(f'CREATE DATABASE "{self.admin_name}"')
            await admin.close()
            parts = urlsplit(self.url.replace("postgres://", "postgresql://", 1))
            self.conn = await asyncpg.connect(urlunsplit(parts._replace(path=f"/{self.admin_name}")))
        else:
            import aiosqlite

            path = Path(tempfile.mkdtemp()) / "bench.sqlite3"
            self.conn = await aiosqlite.connect(path)
            await self.conn.execute("PRAGMA journal_mode=WAL")
            await self.conn.execute("PRAGMA synchronous=NORMAL")  # as Tortoise configures SQLite with WAL

    async def close(self) -> None:
        await self.conn.close()
        if self.pg and self.admin_name:
            import asyncpg

            admin = await asyncpg.connect(self.url.replace("postgres://", "postgresql://", 1))
            await admin.execute(f'DROP DATABASE IF EXISTS "{self.admin_name}" WITH (FORCE)')
            await admin.close()

    def sql(self, text: str) -> str:
        if not self.pg:
            return text
        out, n = [], 0
        for ch in text:
            if ch == "?":
                n += 1
                out.append(f"${n}")
            else:
                out.append(ch)
        return "".join(out)

    async def script(self, text: str) -> None:
        if self.pg:
            await self.conn.execute(text)
        else:
            await self.conn.executescript(text)

    async def many(self, text: str, rows: list[tuple[Any, ...]]) -> None:
        await self.conn.executemany(self.sql(text), rows)

    async def transaction(self, work: Callable[[], Awaitable[None]]) -> None:
        if self.pg:
            async with self.conn.transaction():
                await work()
        else:
            await self.conn.execute("BEGIN")
            await work()
            await self.conn.commit()

    async def execute(self, text: str, *args: Any) -> None:
        if self.pg:
            await self.conn.execute(self.sql(text), *args)
        else:
            await self.conn.execute(text, args)

    async def fetch(self, text: str, *args: Any) -> list[tuple[Any, ...]]:
        if self.pg:
            return [tuple(r) for r in await self.conn.fetch(self.sql(text), *args)]
        cursor = await self.conn.execute(text, args)
        return list(await cursor.fetchall())


SCHEMA_SQLITE = """
CREATE TABLE r_response (id CHAR(36) PRIMARY KEY, store_id CHAR(36) NOT NULL, submitted_at TIMESTAMP NOT NULL,
    outcome SMALLINT);
CREATE INDEX r_response_store ON r_response (store_id, submitted_at);
CREATE TABLE r_answer (id CHAR(36) PRIMARY KEY, response_id CHAR(36) NOT NULL REFERENCES r_response (id),
    statement_id VARCHAR(100) NOT NULL, goal VARCHAR(20) NOT NULL, value SMALLINT NOT NULL, position SMALLINT NOT NULL,
    reaction_ms INT, warmup BOOLEAN NOT NULL, UNIQUE (response_id, statement_id));
CREATE TABLE d_answer (id CHAR(36) PRIMARY KEY, response_id CHAR(36) NOT NULL REFERENCES r_response (id),
    store_id CHAR(36) NOT NULL, submitted_at TIMESTAMP NOT NULL,
    statement_id VARCHAR(100) NOT NULL, goal VARCHAR(20) NOT NULL, value SMALLINT NOT NULL, position SMALLINT NOT NULL,
    reaction_ms INT, warmup BOOLEAN NOT NULL, UNIQUE (response_id, statement_id));
CREATE INDEX d_answer_store ON d_answer (store_id, submitted_at);
CREATE TABLE j_response (id CHAR(36) PRIMARY KEY, store_id CHAR(36) NOT NULL, submitted_at TIMESTAMP NOT NULL,
    outcome SMALLINT, answers TEXT NOT NULL);
CREATE INDEX j_response_store ON j_response (store_id, submitted_at);
"""
SCHEMA_PG = (
    SCHEMA_SQLITE.replace("CHAR(36)", "UUID")
    .replace("TIMESTAMP", "TIMESTAMPTZ")
    .replace("answers TEXT", "answers JSONB")
)

AGG_ROWS = """SELECT a.goal, COUNT(*), AVG(a.value) FROM r_answer a JOIN r_response r ON r.id = a.response_id
WHERE r.store_id = ? AND r.submitted_at >= ? AND NOT a.warmup GROUP BY a.goal"""
AGG_DENORMALISED = """SELECT goal, COUNT(*), AVG(value) FROM d_answer
WHERE store_id = ? AND submitted_at >= ? AND NOT warmup GROUP BY goal"""
AGG_JSON_SQLITE = """SELECT json_extract(e.value, '$.goal'), COUNT(*), AVG(json_extract(e.value, '$.value'))
FROM j_response r, json_each(r.answers) e WHERE r.store_id = ? AND r.submitted_at >= ?
AND NOT json_extract(e.value, '$.warmup') GROUP BY 1"""
AGG_JSON_PG = """SELECT e->>'goal', COUNT(*), AVG((e->>'value')::int) FROM j_response r,
jsonb_array_elements(r.answers) e WHERE r.store_id = ? AND r.submitted_at >= ? AND NOT (e->>'warmup')::boolean
GROUP BY 1"""
FETCH_JSON = "SELECT answers FROM j_response WHERE store_id = ? AND submitted_at >= ?"


def _id(db: Db, value: str) -> Any:
    return uuid.UUID(value) if db.pg else value


def _time(db: Db, value: datetime) -> Any:
    return value if db.pg else value.isoformat()


async def insert_rows(db: Db, response: dict[str, Any], answers: list[dict[str, Any]]) -> None:
    await db.execute(
        "INSERT INTO r_response (id, store_id, submitted_at, outcome) VALUES (?, ?, ?, ?)",
        _id(db, response["id"]),
        _id(db, response["store_id"]),
        _time(db, response["submitted_at"]),
        response["outcome"],
    )
    placeholders = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?)"] * len(answers))
    args: list[Any] = []
    for a in answers:
        args += [
            _id(db, str(uuid.uuid4())),
            _id(db, response["id"]),
            a["statement_id"],
            a["goal"],
            a["value"],
            a["position"],
            a["reaction_ms"],
            a["warmup"],
        ]
    await db.execute(
        "INSERT INTO r_answer (id, response_id, statement_id, goal, value, position, reaction_ms, warmup) "
        f"VALUES {placeholders}",
        *args,
    )


async def insert_denormalised(db: Db, response: dict[str, Any], answers: list[dict[str, Any]]) -> None:
    await db.execute(
        "INSERT INTO r_response (id, store_id, submitted_at, outcome) VALUES (?, ?, ?, ?)",
        _id(db, response["id"]),
        _id(db, response["store_id"]),
        _time(db, response["submitted_at"]),
        response["outcome"],
    )
    placeholders = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(answers))
    args: list[Any] = []
    for a in answers:
        args += [
            _id(db, str(uuid.uuid4())),
            _id(db, response["id"]),
            _id(db, response["store_id"]),
            _time(db, response["submitted_at"]),
            a["statement_id"],
            a["goal"],
            a["value"],
            a["position"],
            a["reaction_ms"],
            a["warmup"],
        ]
    await db.execute(
        "INSERT INTO d_answer (id, response_id, store_id, submitted_at, statement_id, goal, value, position, "
        f"reaction_ms, warmup) VALUES {placeholders}",
        *args,
    )


def _fresh(samples: list[Any]) -> list[Any]:
    return [({**r, "id": str(uuid.uuid4())}, a) for r, a in samples]


async def insert_json(db: Db, response: dict[str, Any], answers: list[dict[str, Any]]) -> None:
    await db.execute(
        "INSERT INTO j_response (id, store_id, submitted_at, outcome, answers) VALUES (?, ?, ?, ?, ?)",
        _id(db, response["id"]),
        _id(db, response["store_id"]),
        _time(db, response["submitted_at"]),
        response["outcome"],
        json.dumps(answers),
    )


async def timed_ingest(db: Db, insert: Callable[..., Awaitable[None]], samples: list[Any]) -> float:
    start = time.perf_counter()
    for response, answers in samples:

        async def work(response: dict[str, Any] = response, answers: list[dict[str, Any]] = answers) -> None:
            await insert(db, response, answers)

        await db.transaction(work)
    return len(samples) / (time.perf_counter() - start)


async def timed(call: Callable[[], Awaitable[Any]]) -> float:
    runs = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        await call()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs) * 1000


async def run(url: str) -> dict[str, float]:
    db = Db(url)
    await db.open()
    try:
        await db.script(SCHEMA_PG if db.pg else SCHEMA_SQLITE)
        now = datetime.now(UTC)
        random.seed(7)
        samples = [fake_response(now) for _ in range(INGEST_RESPONSES)]
        rows_rate = await timed_ingest(db, insert_rows, samples)
        json_rate = await timed_ingest(db, insert_json, samples)
        denorm_rate = await timed_ingest(db, insert_denormalised, _fresh(samples))
        # Bulk-load more history for the aggregation (not timed).
        for _ in range(0, AGGREGATE_RESPONSES - INGEST_RESPONSES, 2000):
            batch = [fake_response(now) for _ in range(2000)]

            async def load(batch: list[Any] = batch) -> None:
                for response, answers in batch:
                    await insert_rows(db, response, answers)
                    await insert_json(db, response, answers)
                    await insert_denormalised(db, {**response, "id": str(uuid.uuid4())}, answers)

            await db.transaction(load)
        if db.pg:
            await db.execute("ANALYZE")
        store, since = _id(db, STORES[0]), _time(db, now - timedelta(days=90))
        agg_rows = await timed(lambda: db.fetch(AGG_ROWS, store, since))
        agg_denorm = await timed(lambda: db.fetch(AGG_DENORMALISED, store, since))
        agg_json_db = await timed(lambda: db.fetch(AGG_JSON_PG if db.pg else AGG_JSON_SQLITE, store, since))

        async def json_in_python() -> dict[str, list[int]]:
            totals: dict[str, list[int]] = {}
            for (raw,) in await db.fetch(FETCH_JSON, store, since):
                for a in json.loads(raw) if isinstance(raw, str) else raw:
                    if not a["warmup"]:
                        total = totals.setdefault(a["goal"], [0, 0])
                        total[0] += 1
                        total[1] += a["value"]
            return totals

        agg_json_py = await timed(json_in_python)
        check_rows = sorted((g, n) for g, n, _ in await db.fetch(AGG_ROWS, store, since))
        check_json = sorted(
            (g, n) for g, n, _ in await db.fetch(AGG_JSON_PG if db.pg else AGG_JSON_SQLITE, store, since)
        )
        assert check_rows == check_json, "both shapes must give the same aggregate"
        return {
            "ingest_rows_per_s": rows_rate,
            "ingest_json_per_s": json_rate,
            "ingest_denormalised_per_s": denorm_rate,
            "aggregate_denormalised_ms": agg_denorm,
            "aggregate_rows_ms": agg_rows,
            "aggregate_json_db_ms": agg_json_db,
            "aggregate_json_python_ms": agg_json_py,
        }
    finally:
        await db.close()


def main() -> None:
    url = os.environ.get("PEJLING_BENCH_DATABASE_URL", "sqlite")
    result = asyncio.run(run(url))
    backend = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(
        f"{backend}: {INGEST_RESPONSES} responses ingested one transaction each; aggregate over "
        f"{AGGREGATE_RESPONSES} responses x 8 answers, one store of {len(STORES)}, median of {REPEAT}"
    )
    print(
        f"  ingest  (a) rows: {result['ingest_rows_per_s']:8.0f} responses/s "
        f"({result['ingest_rows_per_s'] * 8:.0f} answer rows/s)"
    )
    print(f"  ingest  (b) json: {result['ingest_json_per_s']:8.0f} responses/s")
    print(f"  ingest  (a') rows + store/time: {result['ingest_denormalised_per_s']:8.0f} responses/s")
    print(f"  ingest ratio json/rows: {result['ingest_json_per_s'] / result['ingest_rows_per_s']:.2f}")
    print(f"  aggregate (a) rows, SQL:        {result['aggregate_rows_ms']:8.1f} ms")
    print(f"  aggregate (a') rows, no join:   {result['aggregate_denormalised_ms']:8.1f} ms")
    print(f"  aggregate (b) json, SQL:        {result['aggregate_json_db_ms']:8.1f} ms")
    print(f"  aggregate (b) json, in Python:  {result['aggregate_json_python_ms']:8.1f} ms")
    print(f"  aggregate ratio json(SQL)/rows: {result['aggregate_json_db_ms'] / result['aggregate_rows_ms']:.2f}")


if __name__ == "__main__":
    main()

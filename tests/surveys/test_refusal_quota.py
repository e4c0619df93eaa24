"""Refused submissions do not use the shopper's quota of stored responses; a flood of them is still stopped."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from pejling.core.surveys import rate_limit
from pejling.core.surveys.models import Answer, Response
from pejling.tenants.scope import tenant_scope

from .conftest import Shop

UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148"


async def post(client: httpx.AsyncClient, shop: Shop, payload: Any) -> httpx.Response:
    return await client.post(f"/s/{shop.tenant.slug}/{shop.store.slug}/responses", json=payload,
                             headers={"user-agent": UA})


async def stored(shop: Shop) -> int:
    with tenant_scope(shop.tenant.id):
        return await Response.all().count()


@pytest.fixture(autouse=True)
def fresh_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Empty counters for each test (every request comes from the same test address)."""
    monkeypatch.setattr(rate_limit, "_limiters", {})


async def test_refused_submissions_do_not_keep_the_real_one_out(client: httpx.AsyncClient, shop: Shop) -> None:
    limit = rate_limit.SUBMISSION_LIMIT.count
    for n in range(limit + 5):  # more refusals than the whole quota of stored responses
        bad = shop.payload(outcome=11) if n % 2 else shop.payload(language="xx")
        assert (await post(client, shop, bad)).status_code == 422
    reply = await post(client, shop, shop.payload())
    assert reply.status_code == 201, reply.text
    assert await stored(shop) == 1


async def test_only_stored_responses_use_the_quota_and_a_resend_needs_none(
    client: httpx.AsyncClient, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rate_limit, "SUBMISSION_LIMIT", rate_limit.Limit(count=2, window_seconds=3600))
    first, second = shop.payload(), shop.payload()
    assert (await post(client, shop, first)).status_code == 201
    assert (await post(client, shop, {**first, "outcome": 0})).status_code == 409  # a conflict stores nothing
    assert (await post(client, shop, second)).status_code == 201
    refused = await post(client, shop, shop.payload())
    assert refused.status_code == 429 and refused.json()["error"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 3600
    replay = await post(client, shop, first)  # the outbox sends a stored one again: its receipt, not a 429
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    assert await stored(shop) == 2


async def test_a_flood_of_garbage_is_still_limited_and_stores_nothing(
    client: httpx.AsyncClient, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rate_limit, "REFUSED_MIN", 6)
    monkeypatch.setattr(rate_limit, "REFUSED_FACTOR", 1)
    monkeypatch.setattr(rate_limit, "SUBMISSION_LIMIT", rate_limit.Limit(count=3, window_seconds=3600))
    statuses = [(await post(client, shop, shop.payload(outcome=99))).status_code for _ in range(9)]
    assert statuses == [422] * 6 + [429] * 3
    # Once the "not stored" budget is spent even a valid submission waits: the flood cannot go on by mixing in
    # good ones, and nothing was stored.
    reply = await post(client, shop, shop.payload())
    assert reply.status_code == 429 and reply.json()["error"] == "rate_limited"
    assert await stored(shop) == 0
    with tenant_scope(shop.tenant.id):
        assert await Answer.all().count() == 0


async def test_the_not_stored_budget_is_ten_times_the_stored_one_and_at_least_the_floor() -> None:
    assert rate_limit.refused_limit(rate_limit.Limit(count=50, window_seconds=600)).count == 500
    small = rate_limit.refused_limit(rate_limit.Limit(count=1, window_seconds=600))
    assert small.count == rate_limit.REFUSED_MIN and small.window_seconds == 600


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[rate_limit.Limiter]:
    if request.param == "memory":
        yield rate_limit.MemoryLimiter()
        return
    redis_limiter = rate_limit.RedisLimiter("redis://127.0.0.1:6379/0", prefix=f"pejling-test:{secrets.token_hex(6)}")
    try:
        yield redis_limiter
    finally:
        keys = [k async for k in redis_limiter._redis.scan_iter(match=f"{redis_limiter.prefix}:*")]
        if keys:
            await redis_limiter._redis.delete(*keys)
        await redis_limiter.close()


async def test_a_limiter_peeks_without_counting_and_refunds_without_going_below_zero(
    limiter: rate_limit.Limiter,
) -> None:
    limit = rate_limit.Limit(count=2, window_seconds=600)
    assert await limiter.peek("k", limit) is None
    assert await limiter.peek("k", limit) is None  # peeking counts nothing
    assert await limiter.hit("k", limit) is None and await limiter.hit("k", limit) is None
    retry = await limiter.peek("k", limit)
    assert retry is not None and 1 <= retry <= 600
    await limiter.refund("k", limit)
    assert await limiter.peek("k", limit) is None
    for _ in range(3):  # more refunds than hits left: the count stays at zero, it never goes negative
        await limiter.refund("k", limit)
    assert [await limiter.hit("k", limit) for _ in range(3)][:2] == [None, None]
    assert await limiter.peek("k", limit) is not None
    await limiter.refund("never-hit", limit)
    assert await limiter.peek("never-hit", limit) is None

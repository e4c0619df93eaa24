"""Pub/sub: the in-process broker, and two Redis brokers (two processes' worth) through the real local Redis."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator

import pytest

from pejling.core.pubsub import MemoryBroker, PubSubUnavailable, RedisBroker

REDIS_URL = os.environ.get("PEJLING_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


async def _redis_answers(url: str) -> str | None:
    import redis.asyncio as redis

    client = redis.from_url(url, socket_connect_timeout=1)
    try:
        await client.ping()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means: no Redis to test against
        return f"Redis at {url} unreachable ({type(exc).__name__})"
    finally:
        await client.aclose()


@pytest.fixture
async def two_brokers() -> AsyncIterator[tuple[RedisBroker, RedisBroker]]:
    """Two brokers on their own prefix, as two app processes would have them."""
    reason = await _redis_answers(REDIS_URL)
    if reason:
        pytest.skip(reason)
    prefix = f"pejling-test:{secrets.token_hex(4)}:"
    first, second = RedisBroker(REDIS_URL, prefix), RedisBroker(REDIS_URL, prefix)
    yield first, second
    await first.close()
    await second.close()


async def test_an_event_published_by_one_process_reaches_the_listeners_of_every_process(
    two_brokers: tuple[RedisBroker, RedisBroker],
) -> None:
    first, second = two_brokers
    here = await first.subscribe("responses:a")
    there = await second.subscribe("responses:a")
    elsewhere = await second.subscribe("responses:b")
    await first.publish("responses:a", {"id": "r1", "n": 1})
    assert await there.get(5) == {"id": "r1", "n": 1}
    assert await here.get(5) == {"id": "r1", "n": 1}
    assert await elsewhere.get(0.3) is None  # another tenant's topic hears nothing
    there.close()
    assert second.listeners("responses:a") == 0 and second.listeners("responses:b") == 1
    await first.publish("responses:a", {"id": "r2"})
    assert await here.get(5) == {"id": "r2"}
    assert await there.get(0.1) is None


async def test_closing_a_broker_ends_its_listeners() -> None:
    broker = MemoryBroker()
    listener = await broker.subscribe("t")
    waiting = asyncio.create_task(listener.get())
    await asyncio.sleep(0)
    await broker.close()
    assert await asyncio.wait_for(waiting, 2) is None and listener.closed


async def test_a_slow_listener_loses_the_oldest_events_not_memory() -> None:
    broker = MemoryBroker()
    listener = await broker.subscribe("t")
    for number in range(300):
        await broker.publish("t", {"n": number})
    assert listener.dropped == 300 - 256
    assert (await listener.get(0)) == {"n": 300 - 256}


async def test_without_redis_a_subscription_is_refused_in_time() -> None:
    import pejling.core.pubsub as pubsub

    broker = RedisBroker("redis://127.0.0.1:9/0")  # the discard port: nothing answers
    saved, pubsub.SUBSCRIBE_SECONDS = pubsub.SUBSCRIBE_SECONDS, 0.5
    try:
        with pytest.raises(PubSubUnavailable):
            await broker.subscribe("t")
        assert broker.listeners("t") == 0
    finally:
        pubsub.SUBSCRIBE_SECONDS = saved
        await broker.close()

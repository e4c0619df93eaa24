"""Pub/sub between Pejling processes: small JSON events on named topics, at most once, for whoever listens now.

With ``PEJLING_REDIS_URL`` set, :func:`broker_for` gives a :class:`RedisBroker`: :meth:`~RedisBroker.publish` is one
Redis ``PUBLISH``, and each process keeps **one** Redis connection that pattern-subscribes to every Pejling topic and
hands each message to the listeners of this process (so a thousand open live feeds cost one Redis connection, not a
thousand). Without Redis, a :class:`MemoryBroker` delivers inside this process only (the embedded, one-process
set-up).

Delivery is at most once: an event published while a listener is not subscribed, while the Redis connection is
being re-made, or when a slow listener's queue is full (the oldest waiting event is dropped and counted) is lost.
The database stays the truth; pub/sub only tells listeners sooner. Nothing here may make a caller fail: a publish
that cannot reach Redis is logged and forgotten (:func:`publish`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Any, Protocol
from weakref import WeakKeyDictionary

from pejling.core.settings import Settings, get_settings

log = logging.getLogger(__name__)

QUEUE_SIZE = 256
"""Events waiting per listener; beyond that the oldest is dropped (a stalled browser must not grow memory)."""
PREFIX = "pejling:pubsub:"
"""The Redis channel of a topic is this prefix + the topic."""
RECONNECT_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)
"""The waits between attempts to re-make a lost Redis subscription (the last one repeats)."""
SUBSCRIBE_SECONDS = 5.0
"""How long :meth:`RedisBroker.subscribe` waits for Redis to confirm before raising :class:`PubSubUnavailable`."""


class PubSubUnavailable(RuntimeError):
    """The broker cannot take a subscription now (Redis unreachable)."""


class Subscription:
    """The events of one topic for one listener, in the order they arrived. Close it (or use ``async with``)."""

    def __init__(self, broker: LocalFanout, topic: str, size: int = QUEUE_SIZE) -> None:
        self.topic = topic
        self.dropped = 0
        """Events lost because this listener did not keep up."""
        self._broker = broker
        self._queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(size)
        self.closed = False

    def put(self, event: dict[str, Any] | None) -> None:
        """Queue ``event`` (``None`` ends the subscription), dropping the oldest waiting event when full."""
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(event)

    async def get(self, wait_seconds: float | None = None) -> dict[str, Any] | None:
        """The next event; ``None`` after ``wait_seconds`` without one, or once the subscription is closed."""
        if not self._queue.empty():
            return self._queue.get_nowait()
        if self.closed:
            return None
        try:
            return await asyncio.wait_for(self._queue.get(), wait_seconds)
        except TimeoutError:
            return None

    def close(self) -> None:
        """Stop receiving; a waiting :meth:`get` returns ``None``."""
        if not self.closed:
            self.closed = True
            self._broker.forget(self)
            self.put(None)

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


class Broker(Protocol):
    """What the rest of Pejling uses: publish an event, subscribe to a topic, close at shutdown."""

    async def publish(self, topic: str, event: Mapping[str, Any]) -> None:
        """Send ``event`` (JSON-serialisable) to every current listener of ``topic`` in every process."""

    async def subscribe(self, topic: str) -> Subscription:
        """Listen to ``topic``; events published after this returns are delivered. Raises :class:`PubSubUnavailable`."""

    def listeners(self, topic: str) -> int:
        """How many subscriptions of this process listen to ``topic``."""

    async def close(self) -> None:
        """End every subscription of this process and release connections."""


class LocalFanout:
    """The listeners of this process, per topic; both brokers deliver through it."""

    def __init__(self) -> None:
        self._topics: dict[str, set[Subscription]] = {}

    def add(self, topic: str) -> Subscription:
        subscription = Subscription(self, topic)
        self._topics.setdefault(topic, set()).add(subscription)
        return subscription

    def forget(self, subscription: Subscription) -> None:
        listeners = self._topics.get(subscription.topic)
        if listeners is not None:
            listeners.discard(subscription)
            if not listeners:
                del self._topics[subscription.topic]

    def deliver(self, topic: str, event: dict[str, Any]) -> None:
        for subscription in list(self._topics.get(topic, ())):
            subscription.put(event)

    def listeners(self, topic: str) -> int:
        return len(self._topics.get(topic, ()))

    def close_all(self) -> None:
        for listeners in list(self._topics.values()):
            for subscription in list(listeners):
                subscription.close()


class MemoryBroker(LocalFanout):
    """Pub/sub inside this process only (no Redis configured)."""

    async def publish(self, topic: str, event: Mapping[str, Any]) -> None:
        # Through JSON like Redis, so a listener never shares (or sees anything Redis would not carry of) the dict.
        self.deliver(topic, json.loads(json.dumps(event)))

    async def subscribe(self, topic: str) -> Subscription:
        return self.add(topic)

    async def close(self) -> None:
        self.close_all()


class RedisBroker(LocalFanout):
    """Pub/sub through Redis: one publishing client and one pattern subscription per process, fanned out locally."""

    def __init__(self, url: str, prefix: str = PREFIX) -> None:
        super().__init__()
        from pejling.core.redis_connection import redis_from_url

        self.prefix = prefix
        self._redis: Any = redis_from_url(url)
        self._reader: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self.reconnects = 0
        """How often the subscription was lost and made again."""

    async def publish(self, topic: str, event: Mapping[str, Any]) -> None:
        await self._redis.publish(self.prefix + topic, json.dumps(event, separators=(",", ":")))

    async def subscribe(self, topic: str) -> Subscription:
        subscription = self.add(topic)
        if self._reader is None:
            self._reader = asyncio.create_task(self._read(), name="pejling-pubsub-reader")
        if not self._subscribed.is_set():
            try:
                await asyncio.wait_for(self._subscribed.wait(), SUBSCRIBE_SECONDS)
            except TimeoutError:
                subscription.close()
                raise PubSubUnavailable("Redis did not confirm the subscription") from None
        return subscription

    async def _read(self) -> None:
        attempt = 0
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.psubscribe(self.prefix + "*")
                async for message in pubsub.listen():
                    if message.get("type") == "psubscribe":  # Redis confirmed: events published from now on arrive
                        attempt = 0
                        self._subscribed.set()
                    else:
                        self._handle(message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Redis went away: listeners wait, the subscription is re-made
                self.reconnects += 1
                wait = RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)]
                attempt += 1
                log.warning("pub/sub subscription lost (%s); subscribing again in %.1f s", type(exc).__name__, wait)
                await asyncio.sleep(wait)
            finally:
                self._subscribed.clear()
                try:
                    await pubsub.aclose()
                except Exception:  # noqa: BLE001, S110 - closing a broken connection
                    pass

    def _handle(self, message: Mapping[str, Any]) -> None:
        if message.get("type") != "pmessage":
            return
        channel = message["channel"]
        channel = channel.decode() if isinstance(channel, bytes) else str(channel)
        try:
            event = json.loads(message["data"])
        except (TypeError, ValueError):
            log.warning("pub/sub message on %s is not JSON; ignored", channel)
            return
        if isinstance(event, dict) and channel.startswith(self.prefix):
            self.deliver(channel.removeprefix(self.prefix), event)

    async def close(self) -> None:
        self.close_all()
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except asyncio.CancelledError:
                pass
            self._reader = None
        await self._redis.aclose()


_brokers: WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Broker]] = WeakKeyDictionary()
_pending: set[asyncio.Task[None]] = set()
_settings: Settings | None = None


def broker_for(settings: Settings) -> Broker:
    """The broker of these settings in the running event loop: Redis when ``redis_url`` is set, else in-process."""
    loop = asyncio.get_running_loop()
    brokers = _brokers.setdefault(loop, {})
    found = brokers.get(settings.redis_url)
    if found is None:
        found = brokers[settings.redis_url] = RedisBroker(settings.redis_url) if settings.redis_url else MemoryBroker()
    return found


def use_settings(settings: Settings) -> None:
    """Make ``settings`` the ones :func:`publish` uses (the app does at start-up; otherwise the environment's)."""
    global _settings
    _settings = settings


def current_broker() -> Broker:
    """The broker :func:`publish` sends to in the running event loop."""
    return broker_for(_settings or get_settings())


def publish(topic: str, event: Mapping[str, Any]) -> None:
    """Publish ``event`` in the background: the caller (a shopper waiting for their thank-you) never waits for Redis,
    and a failure is only logged."""
    task = asyncio.create_task(_publish(current_broker(), topic, event))
    _pending.add(task)
    task.add_done_callback(_pending.discard)


async def _publish(broker: Broker, topic: str, event: Mapping[str, Any]) -> None:
    try:
        await broker.publish(topic, event)
    except Exception as exc:  # noqa: BLE001 - a lost event costs a late live feed, never a response
        log.warning("could not publish to %s (%s)", topic.split(":", 1)[0], type(exc).__name__)


async def close_brokers() -> None:
    """At shutdown: wait for events being published, then close this event loop's brokers (ending every listener)."""
    if _pending:
        await asyncio.wait(set(_pending), timeout=2)
    for broker in list(_brokers.pop(asyncio.get_running_loop(), {}).values()):
        await broker.close()

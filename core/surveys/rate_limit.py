"""Rate limits on survey submissions, per hashed client address and store.

The client address is never kept: :func:`client_key` turns it into a keyed HMAC (the key is the instance
secret) that includes the UTC date, so the same address gives an unrelated key the next day. Counters are
fixed windows, in Redis when ``settings.redis_url`` is set (shared by every process) and in process memory
otherwise.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from pejling.core.settings import Settings


@dataclass(frozen=True)
class Limit:
    """At most ``count`` submissions per ``window_seconds`` from one client key at one store.

    A submission is any request the ingest takes for a known store: a new response, a refused one, a resend of a
    stored one and an id conflict alike (a resend answers with a receipt code, so it must not be free).
    """

    count: int = 20
    window_seconds: int = 600


#: The submission limit in force. A busy shop wifi shares one address: keep it generous.
SUBMISSION_LIMIT = Limit()

#: The limit of one registered kiosk (a tablet on a stand answered by shopper after shopper), counted per device
#: instead of per address: one response every 5 seconds on average is more than a queue of shoppers can give.
KIOSK_LIMIT = Limit(count=120, window_seconds=600)


def client_key(settings: Settings, address: str, day: date | None = None) -> str:
    """The keyed, daily-rotated hash of a client address (hex, 32 characters). The address itself is not kept."""
    day = day or datetime.now(UTC).date()
    message = f"{day.isoformat()}|{address.strip().lower()}".encode()
    return hmac.new(settings.secret_bytes(), message, hashlib.sha256).hexdigest()[:32]


class Limiter(Protocol):
    async def hit(self, key: str, limit: Limit) -> int | None:
        """Count one event for ``key``; ``None`` when allowed, else the seconds until the window resets."""


class MemoryLimiter:
    """Fixed-window counters in this process (the default without Redis)."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = asyncio.Lock()

    async def hit(self, key: str, limit: Limit) -> int | None:
        now = time.time()
        window = int(now // limit.window_seconds)
        async with self._lock:
            if len(self._counts) > 50_000:
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= window}
            count = self._counts.get((key, window), 0) + 1
            self._counts[(key, window)] = count
        if count > limit.count:
            return max(1, math.ceil((window + 1) * limit.window_seconds - now))
        return None


class RedisLimiter:
    """Fixed-window counters in Redis (INCR + EXPIRE in one transaction), shared by every Pejling process."""

    def __init__(self, url: str, prefix: str = "pejling:survey-rate") -> None:
        import redis.asyncio as redis

        self._redis: Any = redis.from_url(url)
        self.prefix = prefix

    async def hit(self, key: str, limit: Limit) -> int | None:
        now = time.time()
        window = int(now // limit.window_seconds)
        name = f"{self.prefix}:{key}:{window}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, limit.window_seconds + 5)
            count, _ = await pipe.execute()
        if int(count) > limit.count:
            return max(1, math.ceil((window + 1) * limit.window_seconds - now))
        return None

    async def close(self) -> None:
        await self._redis.aclose()


_limiters: dict[str, Limiter] = {}


def limiter_for(settings: Settings) -> Limiter:
    """The limiter for these settings: Redis when configured, else one in-process limiter."""
    key = settings.redis_url or ""
    limiter = _limiters.get(key)
    if limiter is None:
        limiter = RedisLimiter(settings.redis_url) if settings.redis_url else MemoryLimiter()
        _limiters[key] = limiter
    return limiter


async def check_submission(
    settings: Settings, key: str, store_id: str, *, limiter: Limiter | None = None, limit: Limit = SUBMISSION_LIMIT
) -> int | None:
    """Count one submission (new, resent or conflicting) of a client key at a store; the Retry-After seconds when
    over the limit, else None."""
    return await (limiter or limiter_for(settings)).hit(f"{key}:{store_id}", limit)

"""Rate limits on survey submissions, per hashed client address and store.

The client address is never kept: :func:`client_key` turns it into a keyed HMAC (the key is the instance
secret) that includes the UTC date, so the same address gives an unrelated key the next day. Counters are
fixed windows, in Redis when ``settings.redis_url`` is set (shared by every process) and in process memory
otherwise.

Two budgets per client key and store (:class:`SubmissionQuota`): the *stored* budget counts only the responses that
were stored (the store's :func:`submission_limit`: a store setting, else a tenant setting, else
:data:`SUBMISSION_LIMIT`), so a shopper whose first tries were refused still gets their real one in; the *not stored*
budget (:func:`refused_limit`, ten times as generous) counts refusals and replays of a stored response, so a flood of
garbage is still stopped before it reaches the database.
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

from pejling.core.security_events import refused_address
from pejling.core.settings import Settings
from pejling.core.surveys.refusals import IngestRefused


@dataclass(frozen=True)
class Limit:
    """At most ``count`` events per ``window_seconds`` for one key (a client key at one store, a device, a token)."""

    count: int = 20
    window_seconds: int = 600


#: The default limit of stored responses per client key and store, when neither the store nor the tenant sets one
#: (``submission_limit``). A busy shop wifi shares one address: keep it generous.
SUBMISSION_LIMIT = Limit()

#: The bounds of a tenant's or store's own ``submission_limit`` (stored responses per window).
SETTING_MIN, SETTING_MAX = 1, 1000

#: The "not stored" budget (refusals and replays) is this many times the stored one, and at least REFUSED_MIN.
REFUSED_FACTOR = 10
REFUSED_MIN = 200

#: What one API token (or session) may import through ``importResponses``: calls per window (each up to 1 000
#: responses). Separate from the shoppers' limits.
IMPORT_LIMIT = Limit(count=30, window_seconds=600)

#: The limit of one registered kiosk (a tablet on a stand answered by shopper after shopper), counted per device
#: instead of per address: one response every 5 seconds on average is more than a queue of shoppers can give.
KIOSK_LIMIT = Limit(count=120, window_seconds=600)


def client_key(settings: Settings, address: str, day: date | None = None) -> str:
    """The keyed, daily-rotated hash of a client address (hex, 32 characters). The address itself is not kept."""
    day = day or datetime.now(UTC).date()
    message = f"{day.isoformat()}|{address.strip().lower()}".encode()
    return hmac.new(settings.secret_bytes(), message, hashlib.sha256).hexdigest()[:32]


def submission_limit(tenant_limit: int | None, store_limit: int | None) -> Limit:
    """The limit of stored responses per client key at a store: the store's setting, else the tenant's, else the
    default (:data:`SUBMISSION_LIMIT`). The window is always the default's."""
    count = store_limit if store_limit is not None else tenant_limit
    return SUBMISSION_LIMIT if count is None else Limit(count=count, window_seconds=SUBMISSION_LIMIT.window_seconds)


def refused_limit(stored: Limit) -> Limit:
    """The budget of submissions that store nothing (refused, or a replay of a stored one) beside ``stored``."""
    return Limit(count=max(REFUSED_MIN, stored.count * REFUSED_FACTOR), window_seconds=stored.window_seconds)


def _retry_after(window: int, limit: Limit, now: float) -> int:
    return max(1, math.ceil((window + 1) * limit.window_seconds - now))


class Limiter(Protocol):
    async def hit(self, key: str, limit: Limit, amount: int = 1) -> int | None:
        """Count ``amount`` events for ``key``; ``None`` when allowed, else the seconds until the window resets."""

    async def peek(self, key: str, limit: Limit) -> int | None:
        """Count nothing; ``None`` while ``key`` has room for one more event, else the seconds until it has."""

    async def refund(self, key: str, limit: Limit) -> None:
        """Take back one event counted by :meth:`hit` in the current window (never below zero)."""


class MemoryLimiter:
    """Fixed-window counters in this process (the default without Redis)."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = asyncio.Lock()

    async def hit(self, key: str, limit: Limit, amount: int = 1) -> int | None:
        now = time.time()
        window = int(now // limit.window_seconds)
        async with self._lock:
            if len(self._counts) > 50_000:
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= window}
            count = self._counts.get((key, window), 0) + amount
            self._counts[(key, window)] = count
        if count > limit.count:
            return _retry_after(window, limit, now)
        return None

    async def peek(self, key: str, limit: Limit) -> int | None:
        now = time.time()
        window = int(now // limit.window_seconds)
        if self._counts.get((key, window), 0) >= limit.count:
            return _retry_after(window, limit, now)
        return None

    async def refund(self, key: str, limit: Limit) -> None:
        window = int(time.time() // limit.window_seconds)
        async with self._lock:
            count = self._counts.get((key, window), 0)
            if count > 0:
                self._counts[(key, window)] = count - 1


#: Decrement a counter only while it is above zero (an expired one stays gone).
_REFUND = "local n = tonumber(redis.call('GET', KEYS[1]) or '0') if n > 0 then redis.call('DECR', KEYS[1]) end return n"


class RedisLimiter:
    """Fixed-window counters in Redis (INCR + EXPIRE in one transaction), shared by every Pejling process."""

    def __init__(self, url: str, prefix: str = "pejling:survey-rate") -> None:
        from pejling.core.redis_connection import redis_from_url

        self._redis: Any = redis_from_url(url)
        self.prefix = prefix

    async def hit(self, key: str, limit: Limit, amount: int = 1) -> int | None:
        now = time.time()
        window = int(now // limit.window_seconds)
        name = f"{self.prefix}:{key}:{window}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incrby(name, amount)
            pipe.expire(name, limit.window_seconds + 5)
            count, _ = await pipe.execute()
        if int(count) > limit.count:
            return _retry_after(window, limit, now)
        return None

    async def peek(self, key: str, limit: Limit) -> int | None:
        now = time.time()
        window = int(now // limit.window_seconds)
        count = await self._redis.get(f"{self.prefix}:{key}:{window}")
        if count is not None and int(count) >= limit.count:
            return _retry_after(window, limit, now)
        return None

    async def refund(self, key: str, limit: Limit) -> None:
        window = int(time.time() // limit.window_seconds)
        await self._redis.eval(_REFUND, 1, f"{self.prefix}:{key}:{window}")

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


def rate_limited(retry_after: int) -> IngestRefused:
    """The refusal of a submission over a limit."""
    return IngestRefused(
        429, "rate_limited", "Too many responses from this device; try again later.", None, retry_after=retry_after
    )


@dataclass
class SubmissionQuota:
    """One submission's claim on its client's budgets at one store (see the module docstring).

    :meth:`check_room` checks, without counting, that the "not stored" budget has room (before any query of the
    submission); :meth:`reserve` takes one from the stored budget (atomically, so concurrent submissions cannot
    overshoot it); :meth:`not_stored` gives that one back and counts the submission against the "not stored" budget
    instead. A reservation not given back is the stored response's.
    """

    limiter: Limiter
    stored_key: str
    refused_key: str
    limit: Limit
    reserved: bool = False
    address: str | None = None
    """The client address, only to count a refusal as a security event (hashed there)."""

    @classmethod
    def of(cls, settings: Settings, limit_key: str, client: str, store_id: str, limit: Limit,
           address: str | None = None) -> SubmissionQuota:
        """The quota of a submission counted against ``limit_key`` (the client key, or a kiosk's) at a store; the
        "not stored" budget is always the client address's."""
        return cls(limiter_for(settings), f"{limit_key}:{store_id}", f"refused:{client}:{store_id}", limit,
                   address=address)

    async def check_room(self) -> None:
        """Raises the 429 refusal (counting nothing) when the "not stored" budget is spent."""
        retry_after = await self.limiter.peek(self.refused_key, refused_limit(self.limit))
        if retry_after is not None:
            refused_address("rate_limited", self.address, "submission")
            raise rate_limited(retry_after)

    async def reserve(self) -> None:
        """Take one from the stored budget; raises the 429 refusal (counting nothing) when it is spent."""
        retry_after = await self.limiter.hit(self.stored_key, self.limit)
        if retry_after is not None:
            await self.limiter.refund(self.stored_key, self.limit)
            refused_address("rate_limited", self.address, "submission")
            raise rate_limited(retry_after)
        self.reserved = True

    async def not_stored(self, *, counted: bool = True) -> None:
        """The submission stored nothing (refused, or a replay): give back its reservation and, when ``counted``
        (not for our own fault, a 5xx), count it against the "not stored" budget."""
        if self.reserved:
            self.reserved = False
            await self.limiter.refund(self.stored_key, self.limit)
        if counted:
            await self.limiter.hit(self.refused_key, refused_limit(self.limit))

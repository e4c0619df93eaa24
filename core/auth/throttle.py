"""Login throttling: too many failed logins for one email, or from one client address, pause further tries.

Failures are counted in a sliding window (``login_failure_window_seconds``) in the database, so every
app process sees the same counts. Emails and addresses are filed under keyed hashes, never in clear.
The limit per email is ``login_max_failures``; one address (an office behind NAT, a shop Wi-Fi) may
fail :data:`ADDRESS_FACTOR` times as often before it is paused.

Second-factor codes (two-step login, :mod:`pejling.core.auth.two_step`) are counted the same way, per person
(rows under a ``code:`` key) and against the address's login allowance.

Sign-up attempts are counted the same way (rows under a ``signup:`` key): at most :data:`SIGNUPS_PER_ADDRESS`
attempts per client address per :data:`SIGNUP_WINDOW`, refused and accepted ones alike.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from uuid import UUID

from pejling.core.auth.models import LoginFailure
from pejling.core.security_events import refused_address
from pejling.core.settings import Settings

ADDRESS_FACTOR = 5
SIGNUPS_PER_ADDRESS = 10
SIGNUP_WINDOW = timedelta(hours=1)


class Throttled(Exception):
    """Too many attempts; ``retry_after`` seconds until the next try is accepted."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message

    @property
    def message(self) -> str:
        return f"Too many attempts, try again in {self.retry_after} s."


def _key(settings: Settings, kind: str, value: str) -> str:
    digest = hmac.new(settings.secret_bytes(), f"login-{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"{kind}:{digest}"


def email_key(settings: Settings, email: str) -> str:
    return _key(settings, "email", email.strip().lower())


def address_key(settings: Settings, address: str) -> str:
    return _key(settings, "addr", address)


def _limits(settings: Settings, email: str, address: str | None) -> list[tuple[str, int]]:
    limits = [(email_key(settings, email), settings.login_max_failures)]
    if address:
        limits.append((address_key(settings, address), settings.login_max_failures * ADDRESS_FACTOR))
    return limits


async def _retry_after(key: str, limit: int, window: timedelta, now: datetime) -> int:
    failures = await LoginFailure.filter(key=key, failed_at__gt=now - window).order_by("-failed_at").limit(limit)
    failures_at = [failure.failed_at for failure in failures]
    if len(failures_at) < limit:
        return 0
    # Paused until the oldest of the last ``limit`` failures leaves the window.
    return max(1, math.ceil((failures_at[-1] + window - now).total_seconds()))


async def reserve_login_attempt(
    settings: Settings, email: str, address: str | None, now: datetime | None = None
) -> list[UUID]:
    """Take one attempt from the email's and the address's allowance *before* the password is checked.

    The attempt is written first, as a failure, and counted after: of any number of concurrent attempts
    (in one process or many) at most the limit see a count within it, so at most the limit are verified.
    Raises :class:`Throttled` (and takes nothing) when the allowance is spent. Returns the rows reserved:
    a failed login leaves them as its record, a successful one gives them back
    (:func:`release_login_attempt`).
    """
    return await _reserve(settings, _limits(settings, email, address), now, address, "login")


async def _reserve(settings: Settings, limits: list[tuple[str, int]], now: datetime | None, address: str | None,
                   detail: str) -> list[UUID]:
    now = now or datetime.now(UTC)
    window = timedelta(seconds=settings.login_failure_window_seconds)
    reserved: list[UUID] = []
    for key, limit in limits:
        await LoginFailure.filter(key=key, failed_at__lte=now - window).delete()
        reserved.append((await LoginFailure.create(key=key, failed_at=now)).id)
        if await LoginFailure.filter(key=key, failed_at__gt=now - window).count() > limit:
            await LoginFailure.filter(id__in=reserved).delete()
            refused_address("login_throttled", address, detail)
            raise Throttled(max(1, await _retry_after(key, limit, window, now)))
    return reserved


def code_key(settings: Settings, user_id: UUID) -> str:
    """The key of a person's second-factor (two-step login) failures."""
    return _key(settings, "code", str(user_id))


async def reserve_code_attempt(
    settings: Settings, user_id: UUID, address: str | None, now: datetime | None = None
) -> list[UUID]:
    """Take one second-factor try (a TOTP or recovery code) from the person's allowance (``login_max_failures``)
    and the address's login allowance, as :func:`reserve_login_attempt` does for passwords. Give it back with
    :func:`release_login_attempt` when the code is accepted."""
    limits = [(code_key(settings, user_id), settings.login_max_failures)]
    if address:
        limits.append((address_key(settings, address), settings.login_max_failures * ADDRESS_FACTOR))
    return await _reserve(settings, limits, now, address, "code")


async def clear_code_failures(settings: Settings, user_id: UUID) -> None:
    """Forget a person's second-factor failures after an accepted code."""
    await LoginFailure.filter(key=code_key(settings, user_id)).delete()


async def release_login_attempt(reserved: list[UUID]) -> None:
    """Give back the attempt of a successful login (it does not count against the address)."""
    await LoginFailure.filter(id__in=reserved).delete()


class _Verifications:
    """In-process caps on password checks running at once: argon2 costs 64 MiB and tens of ms of CPU each.

    One email may have :data:`PER_EMAIL` checks in flight and one address :data:`PER_ADDRESS`; more are refused
    at once (``retry_after`` 1 s). All checks together queue on a semaphore of :data:`AT_ONCE`, so a flood
    of guesses at many accounts cannot exhaust memory.
    """

    PER_EMAIL = 1
    PER_ADDRESS = 4
    AT_ONCE = max(2, os.cpu_count() or 2)

    def __init__(self) -> None:
        self.in_flight: Counter[str] = Counter()
        self._semaphore: asyncio.Semaphore | None = None

    @property
    def semaphore(self) -> asyncio.Semaphore:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.AT_ONCE)
        return self._semaphore

    @contextmanager
    def slot(self, settings: Settings, email: str, address: str | None) -> Iterator[None]:
        keys = [(email_key(settings, email), self.PER_EMAIL)]
        if address:
            keys.append((address_key(settings, address), self.PER_ADDRESS))
        if any(self.in_flight[key] >= cap for key, cap in keys):
            refused_address("login_throttled", address, "concurrent")
            raise Throttled(1)
        for key, _cap in keys:
            self.in_flight[key] += 1
        try:
            yield
        finally:
            for key, _cap in keys:
                self.in_flight[key] -= 1
                if self.in_flight[key] <= 0:
                    del self.in_flight[key]


verifications = _Verifications()


async def clear_login_failures(settings: Settings, email: str) -> None:
    """Forget the failures of an email after a successful login or a password reset (the address keeps its count)."""
    await LoginFailure.filter(key=email_key(settings, email)).delete()


async def purge_old_failures(settings: Settings, now: datetime | None = None) -> int:
    """Delete every failure older than the window (for a periodic clean-up job). Returns how many."""
    window = timedelta(seconds=settings.login_failure_window_seconds)
    return await LoginFailure.filter(failed_at__lte=(now or datetime.now(UTC)) - window).delete()


async def check_signup_allowed(settings: Settings, address: str | None, now: datetime | None = None) -> None:
    """Raise :class:`Throttled` when this client address has tried to sign up too often lately."""
    if not address:
        return
    wait = await _retry_after(_key(settings, "signup", address), SIGNUPS_PER_ADDRESS, SIGNUP_WINDOW,
                              now or datetime.now(UTC))
    if wait:
        refused_address("login_throttled", address, "signup")
        raise Throttled(wait)


async def record_signup(settings: Settings, address: str | None, now: datetime | None = None) -> None:
    """Count one sign-up attempt from this address (older ones leave the window)."""
    if not address:
        return
    now = now or datetime.now(UTC)
    key = _key(settings, "signup", address)
    await LoginFailure.filter(key=key, failed_at__lte=now - SIGNUP_WINDOW).delete()
    await LoginFailure.create(key=key, failed_at=now)


async def reserve_signup_attempt(settings: Settings, address: str | None, now: datetime | None = None) -> None:
    """Count one sign-up attempt from this address *before* anything is checked, so refused ones count too.

    Written first and counted after, like :func:`reserve_login_attempt`: concurrent attempts cannot overrun
    the limit. Raises :class:`Throttled` (and counts nothing) once :data:`SIGNUPS_PER_ADDRESS` attempts fall
    in the window.
    """
    if not address:
        return
    now = now or datetime.now(UTC)
    key = _key(settings, "signup", address)
    await LoginFailure.filter(key=key, failed_at__lte=now - SIGNUP_WINDOW).delete()
    row = await LoginFailure.create(key=key, failed_at=now)
    if await LoginFailure.filter(key=key, failed_at__gt=now - SIGNUP_WINDOW).count() > SIGNUPS_PER_ADDRESS:
        await LoginFailure.filter(id=row.id).delete()
        refused_address("login_throttled", address, "signup")
        raise Throttled(max(1, await _retry_after(key, SIGNUPS_PER_ADDRESS, SIGNUP_WINDOW, now)))

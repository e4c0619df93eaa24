"""Parallel guesses cannot overrun the login throttle, nor run more password checks at once than the caps allow.

The landed code counted, then verified, then recorded: 50 parallel wrong guesses were all verified. Now each
attempt is reserved before its password is checked.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from auth_helpers import LOGIN, PASSWORD, browser, fresh_address, make_owner

from pejling.core.auth import accounts
from pejling.core.auth.accounts import LoginRefused, authenticate
from pejling.core.auth.passwords import verify_password
from pejling.core.auth.throttle import Throttled, reserve_login_attempt, verifications
from pejling.core.settings import Settings

GUESSES = 50


class CountingVerifier:
    """Wraps the argon2 check: how many ran, and the most that ran at the same moment."""

    def __init__(self) -> None:
        self.calls = 0
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def __call__(self, password_hash: str, password: str) -> bool:
        with self._lock:
            self.calls += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            return verify_password(password_hash, password)
        finally:
            with self._lock:
                self.running -= 1


@pytest.fixture
def verifier(monkeypatch: pytest.MonkeyPatch) -> CountingVerifier:
    spy = CountingVerifier()
    monkeypatch.setattr(accounts, "_verify", spy)
    return spy


async def _guess(settings: Settings, email: str, address: str) -> str:
    try:
        await authenticate(settings, email, "not the password, a guess", address)
    except LoginRefused as refused:
        return refused.code
    return "logged_in"


async def test_parallel_wrong_guesses_at_one_account_verify_at_most_the_limit(
    database: Settings, verifier: CountingVerifier
) -> None:
    _, owner = await make_owner()
    codes = await asyncio.gather(*(_guess(database, owner.email, fresh_address()) for _ in range(GUESSES)))
    checked = codes.count("invalid_credentials")
    assert 1 <= checked <= database.login_max_failures
    assert verifier.calls == checked
    assert set(codes) == {"invalid_credentials", "throttled"}
    # Bursts go on until the allowance is spent: never more checks than the limit, then even the right
    # password is paused.
    for _ in range(database.login_max_failures):
        await asyncio.gather(*(_guess(database, owner.email, fresh_address()) for _ in range(GUESSES)))
    assert verifier.calls == database.login_max_failures
    with pytest.raises(LoginRefused) as paused:
        await authenticate(database, owner.email, PASSWORD, fresh_address())
    assert paused.value.code == "throttled"


async def test_parallel_guesses_through_graphql_are_capped_the_same(app: object, database: Settings,
                                                                    verifier: CountingVerifier) -> None:
    _, owner = await make_owner()

    async def guess() -> str:
        async with browser(app) as client:
            response = await client.post("/graphql", json={"query": LOGIN, "variables": {
                "email": owner.email, "password": "a wrong guess again"}})
            return str(response.json()["data"]["login"]["errors"][0]["code"])

    codes = await asyncio.gather(*(guess() for _ in range(GUESSES)))
    assert 1 <= codes.count("invalid_credentials") <= database.login_max_failures
    assert verifier.calls <= database.login_max_failures


async def test_reservations_from_many_processes_never_exceed_the_limit(database: Settings) -> None:
    """Without the in-process caps (another app process each), the database reservation alone holds the line."""
    _, owner = await make_owner()

    async def reserve() -> bool:
        try:
            await reserve_login_attempt(database, owner.email, fresh_address())
        except Throttled as throttled:
            assert throttled.retry_after >= 1
            return False
        return True

    granted = await asyncio.gather(*(reserve() for _ in range(GUESSES)))
    # A burst may starve itself (all counted before any gave back): safe, never more than the limit.
    assert sum(granted) <= database.login_max_failures
    # Refused attempts take nothing: one at a time, exactly the rest of the allowance is granted.
    later = [await reserve() for _ in range(database.login_max_failures + 2)]
    assert sum(granted) + sum(later) == database.login_max_failures
    assert later[-1] is False


async def test_guesses_at_many_accounts_run_only_a_few_password_checks_at_once(
    database: Settings, verifier: CountingVerifier
) -> None:
    emails = [f"nobody-{n}-{fresh_address()}@example.com" for n in range(GUESSES)]
    codes = await asyncio.gather(*(_guess(database, email, fresh_address()) for email in emails))
    assert codes == ["invalid_credentials"] * GUESSES
    assert verifier.calls == GUESSES
    assert verifier.most_at_once <= verifications.AT_ONCE


async def test_one_address_may_not_check_many_passwords_at_once(database: Settings,
                                                                verifier: CountingVerifier) -> None:
    address = fresh_address()
    emails = [f"spray-{n}-{fresh_address()}@example.com" for n in range(GUESSES)]
    codes = await asyncio.gather(*(_guess(database, email, address) for email in emails))
    assert codes.count("invalid_credentials") <= database.login_max_failures * 5
    assert "throttled" in codes
    assert not verifications.in_flight

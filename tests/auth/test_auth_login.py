from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from auth_helpers import PASSWORD, fresh_address, make_owner

from pejling.core.auth import accounts
from pejling.core.auth.accounts import INVALID_CREDENTIALS, LoginRefused, authenticate, change_password, log_in
from pejling.core.auth.models import LoginFailure, Session
from pejling.core.auth.passwords import DUMMY_HASH, verify_password
from pejling.core.auth.throttle import (
    ADDRESS_FACTOR,
    SIGNUP_WINDOW,
    SIGNUPS_PER_ADDRESS,
    Throttled,
    address_key,
    check_signup_allowed,
    email_key,
    record_signup,
)
from pejling.core.settings import Settings
from pejling.tenants.models import User


async def test_login_with_the_right_password_opens_a_session(database: Settings) -> None:
    _, owner = await make_owner()
    user, session, secret = await log_in(
        database, owner.email.upper(), PASSWORD, address=fresh_address(), user_agent="Firefox " * 40
    )
    assert user.id == owner.id
    stored = await Session.get(id=session.id)
    assert stored.user_id == owner.id and secret not in stored.token_hash and len(stored.user_agent) == 120
    lifetime = stored.expires_at - stored.created_at
    assert abs(lifetime - timedelta(seconds=database.session_max_age_seconds)) < timedelta(minutes=1)
    assert (await User.get(id=owner.id)).last_login_at is not None


async def test_wrong_password_and_unknown_email_get_the_same_answer(database: Settings) -> None:
    _, owner = await make_owner()
    address = fresh_address()
    with pytest.raises(LoginRefused) as wrong:
        await authenticate(database, owner.email, "not the password at all", address)
    with pytest.raises(LoginRefused) as unknown:
        await authenticate(database, f"nobody-{owner.email}", PASSWORD, address)
    assert wrong.value.code == unknown.value.code == "invalid_credentials"
    assert str(wrong.value) == str(unknown.value) == INVALID_CREDENTIALS


async def test_unknown_email_is_checked_against_the_dummy_hash(
    database: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []

    def spy(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return verify_password(password_hash, password)

    monkeypatch.setattr(accounts, "_verify", spy)
    with pytest.raises(LoginRefused):
        await authenticate(database, "nobody-at-all@example.com", PASSWORD, fresh_address())
    assert checked == [DUMMY_HASH]


async def test_inactive_user_cannot_log_in(database: Settings) -> None:
    _, owner = await make_owner()
    await User.filter(id=owner.id).update(is_active=False)
    with pytest.raises(LoginRefused) as refused:
        await authenticate(database, owner.email, PASSWORD, fresh_address())
    assert refused.value.code == "invalid_credentials"


async def test_too_many_failures_for_an_email_pause_its_logins_then_recover(database: Settings) -> None:
    _, owner = await make_owner()
    for _ in range(database.login_max_failures):
        with pytest.raises(LoginRefused) as refused:
            await authenticate(database, owner.email, "wrong password!", fresh_address())
        assert refused.value.code == "invalid_credentials"
    # Even the right password, from another address, is paused now.
    with pytest.raises(LoginRefused) as paused:
        await authenticate(database, owner.email, PASSWORD, fresh_address())
    assert paused.value.code == "throttled"
    assert 0 < paused.value.retry_after <= database.login_failure_window_seconds
    assert str(paused.value) == f"Too many attempts, try again in {paused.value.retry_after} s."
    # The window passes (the failures are moved back in time): the right password works again.
    past = datetime.now(UTC) - timedelta(seconds=database.login_failure_window_seconds + 1)
    await LoginFailure.filter(key=email_key(database, owner.email)).update(failed_at=past)
    assert (await authenticate(database, owner.email, PASSWORD, fresh_address())).id == owner.id
    assert not await LoginFailure.filter(key=email_key(database, owner.email)).exists()


async def test_too_many_failures_from_one_address_pause_it(database: Settings) -> None:
    database = database.model_copy(update={"login_max_failures": 2})
    _, owner = await make_owner()
    address = fresh_address()
    for attempt in range(database.login_max_failures * ADDRESS_FACTOR):
        with pytest.raises(LoginRefused) as refused:
            await authenticate(database, f"guess-{attempt}@example.com", "wrong password!", address)
        assert refused.value.code == "invalid_credentials"
    with pytest.raises(LoginRefused) as paused:
        await authenticate(database, owner.email, PASSWORD, address)
    assert paused.value.code == "throttled"
    # Another address is not affected, and the addresses are stored as keyed hashes only.
    assert (await authenticate(database, owner.email, PASSWORD, fresh_address())).id == owner.id
    stored = await LoginFailure.filter(key=address_key(database, address)).count()
    assert stored == database.login_max_failures * ADDRESS_FACTOR
    assert not await LoginFailure.filter(key__contains=address).exists()


async def test_change_password_checks_the_current_one_and_ends_other_sessions(database: Settings) -> None:
    _, owner = await make_owner()
    _, kept, _ = await log_in(database, owner.email, PASSWORD, address=fresh_address())
    _, other, _ = await log_in(database, owner.email, PASSWORD, address=fresh_address())
    with pytest.raises(accounts.PasswordChangeRefused) as wrong:
        await change_password(owner.id, "not it at all", "a new long password", keep_session=kept.id)
    assert wrong.value.field == "currentPassword"
    with pytest.raises(accounts.PasswordChangeRefused) as weak:
        await change_password(owner.id, PASSWORD, "short", keep_session=kept.id)
    assert weak.value.field == "newPassword"
    assert await Session.filter(user_id=owner.id).count() == 2
    await change_password(owner.id, PASSWORD, "a new long password", keep_session=kept.id)
    assert [s.id for s in await Session.filter(user_id=owner.id)] == [kept.id]
    assert other.id != kept.id
    assert (await authenticate(database, owner.email, "a new long password", fresh_address())).id == owner.id


async def test_signup_counting_per_address_recovers_after_the_window(database: Settings) -> None:
    address = fresh_address()
    start = datetime.now(UTC)
    for _ in range(SIGNUPS_PER_ADDRESS):
        await check_signup_allowed(database, address, now=start)
        await record_signup(database, address, now=start)
    with pytest.raises(Throttled) as paused:
        await check_signup_allowed(database, address, now=start + timedelta(minutes=1))
    assert paused.value.retry_after == int((SIGNUP_WINDOW - timedelta(minutes=1)).total_seconds())
    await check_signup_allowed(database, fresh_address(), now=start)
    await check_signup_allowed(database, address, now=start + SIGNUP_WINDOW + timedelta(seconds=1))


async def test_housekeeping_removes_only_what_has_expired(database: Settings) -> None:
    from pejling.core.auth.housekeeping import purge_expired_account_data
    from pejling.core.auth.models import PasswordResetToken

    _, owner = await make_owner()
    _, live, _ = await log_in(database, owner.email, PASSWORD, address=fresh_address())
    _, old, _ = await log_in(database, owner.email, PASSWORD, address=fresh_address())
    now = datetime.now(UTC)
    await Session.filter(id=old.id).update(expires_at=now - timedelta(seconds=1))
    await PasswordResetToken.create(token_hash="e" * 64, user_id=owner.id, expires_at=now - timedelta(seconds=1))
    await PasswordResetToken.create(token_hash="f" * 64, user_id=owner.id, expires_at=now + timedelta(hours=1))
    address = fresh_address()
    await record_signup(database, address, now=now)
    await record_signup(database, address, now=now - SIGNUP_WINDOW - timedelta(seconds=1))
    counts = await purge_expired_account_data(database, now=now)
    assert counts["sessions"] >= 1 and counts["reset_tokens"] >= 1 and counts["throttle_rows"] >= 1
    assert [s.id for s in await Session.filter(user_id=owner.id)] == [live.id]
    assert [t.token_hash for t in await PasswordResetToken.filter(user_id=owner.id)] == ["f" * 64]

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from auth_helpers import PASSWORD, fresh_address, make_owner, token_in

from pejling.core.auth.accounts import authenticate, log_in
from pejling.core.auth.models import LoginFailure, PasswordResetToken, Session, secret_digest
from pejling.core.auth.password_reset import (
    MAX_REQUESTS,
    ResetRefused,
    request_password_reset,
    reset_password,
    send_welcome,
)
from pejling.core.auth.throttle import email_key, reserve_login_attempt
from pejling.core.settings import Settings
from tests.support.smtp import SmtpSink

NEW_PASSWORD = "a brand new passphrase"


async def reset_mail_token(settings: Settings, smtp: SmtpSink, email: str, count: int = 1) -> str:
    await request_password_reset(settings, email, background=False)
    mails = await smtp.wait_for(email, count)
    assert mails[-1]["Subject"] == "Reset your Pejling password"
    return token_in(mails[-1].get_body().get_content(), settings)


async def test_reset_link_is_mailed_and_works_once(smtp_settings: Settings, smtp_server: SmtpSink) -> None:
    _, owner = await make_owner()
    token = await reset_mail_token(smtp_settings, smtp_server, owner.email)
    assert not await PasswordResetToken.filter(token_hash=token).exists()  # only its digest is stored
    assert await PasswordResetToken.filter(token_hash=secret_digest(token), user_id=owner.id).exists()

    user = await reset_password(smtp_settings, token, NEW_PASSWORD)
    assert user.id == owner.id
    assert (await authenticate(smtp_settings, owner.email, NEW_PASSWORD, fresh_address())).id == owner.id
    with pytest.raises(ResetRefused) as again:
        await reset_password(smtp_settings, token, "yet another passphrase")
    assert again.value.field == "token"
    assert (await authenticate(smtp_settings, owner.email, NEW_PASSWORD, fresh_address())).id == owner.id


async def test_reset_ends_every_session_and_clears_login_failures(
    smtp_settings: Settings, smtp_server: SmtpSink
) -> None:
    _, owner = await make_owner()
    await log_in(smtp_settings, owner.email, PASSWORD, address=fresh_address())
    await log_in(smtp_settings, owner.email, PASSWORD, address=fresh_address())
    await reserve_login_attempt(smtp_settings, owner.email, fresh_address())
    token = await reset_mail_token(smtp_settings, smtp_server, owner.email)
    await reset_password(smtp_settings, token, NEW_PASSWORD)
    assert not await Session.filter(user_id=owner.id).exists()
    assert not await LoginFailure.filter(key=email_key(smtp_settings, owner.email)).exists()


async def test_expired_token_is_refused(smtp_settings: Settings, smtp_server: SmtpSink) -> None:
    _, owner = await make_owner()
    token = await reset_mail_token(smtp_settings, smtp_server, owner.email)
    await PasswordResetToken.filter(token_hash=secret_digest(token)).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    with pytest.raises(ResetRefused) as refused:
        await reset_password(smtp_settings, token, NEW_PASSWORD)
    assert refused.value.field == "token"
    assert (await authenticate(smtp_settings, owner.email, PASSWORD, fresh_address())).id == owner.id


async def test_weak_new_password_is_refused_and_the_token_stays_usable(
    smtp_settings: Settings, smtp_server: SmtpSink
) -> None:
    _, owner = await make_owner()
    token = await reset_mail_token(smtp_settings, smtp_server, owner.email)
    with pytest.raises(ResetRefused) as weak:
        await reset_password(smtp_settings, token, "short")
    assert weak.value.field == "newPassword"
    assert (await authenticate(smtp_settings, owner.email, PASSWORD, fresh_address())).id == owner.id
    await reset_password(smtp_settings, token, NEW_PASSWORD)


@pytest.mark.parametrize("token", ["", "not-a-real-token", "x" * 500])
async def test_unknown_tokens_are_refused(smtp_settings: Settings, token: str) -> None:
    with pytest.raises(ResetRefused):
        await reset_password(smtp_settings, token, NEW_PASSWORD)


async def test_a_new_request_replaces_the_older_link_and_requests_are_capped(
    smtp_settings: Settings, smtp_server: SmtpSink
) -> None:
    _, owner = await make_owner()
    first = await reset_mail_token(smtp_settings, smtp_server, owner.email, 1)
    second = await reset_mail_token(smtp_settings, smtp_server, owner.email, 2)
    with pytest.raises(ResetRefused):
        await reset_password(smtp_settings, first, NEW_PASSWORD)
    for _ in range(MAX_REQUESTS):
        await request_password_reset(smtp_settings, owner.email, background=False)
    # Two mails so far, one more allowed, then silence.
    assert len(smtp_server.to(owner.email)) == MAX_REQUESTS
    assert second != first


async def test_unknown_email_sends_nothing_and_raises_nothing(smtp_settings: Settings, smtp_server: SmtpSink) -> None:
    await request_password_reset(smtp_settings, "nobody-here@example.com", background=False)
    await request_password_reset(smtp_settings, "not an email", background=False)
    assert smtp_server.to("nobody-here@example.com") == []


async def test_new_member_welcome_mail_lets_them_choose_a_password(
    smtp_settings: Settings, smtp_server: SmtpSink
) -> None:
    tenant, owner = await make_owner()
    await send_welcome(smtp_settings, owner, tenant, background=False)
    [mail] = await smtp_server.wait_for(owner.email)
    assert tenant.name in mail["Subject"]
    token = token_in(mail.get_body().get_content(), smtp_settings)
    await reset_password(smtp_settings, token, NEW_PASSWORD)
    assert (await authenticate(smtp_settings, owner.email, NEW_PASSWORD, fresh_address())).id == owner.id

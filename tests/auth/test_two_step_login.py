"""Two-step login (TOTP, RFC 6238) through the public GraphQL API, and the core rules with a fixed clock.

Codes are computed here from the otpauth:// URI with an independent RFC 4226/6238 implementation (hmac + struct),
not with the code under test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import struct
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import pytest
from auth_helpers import LOGIN, PASSWORD, browser, fresh_address, gql, graphql_login, make_owner

from pejling.core.audit.models import AuditEntry, AuditOutcome
from pejling.core.auth import two_step
from pejling.core.auth.accounts import LoginRefused, log_in
from pejling.core.auth.models import RecoveryCode, Session, TotpCredential
from pejling.core.auth.sessions import SESSION_COOKIE
from pejling.core.settings import Settings
from pejling.tenants.scope import tenant_scope

START = """mutation Start($password: String!) {
  startTotpEnrolment(password: $password) { enrolment { uri qrSvg manualKey } errors { code field } }
}"""
CONFIRM = """mutation Confirm($code: String!) {
  confirmTotpEnrolment(code: $code) { recoveryCodes errors { code field } }
}"""
DISABLE = """mutation Disable($password: String!, $code: String!) {
  disableTotp(password: $password, code: $code) { ok errors { code field } }
}"""
LOGIN_TWO_STEP = """mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { me { email } secondFactor { challenge expiresAt } errors { code } }
}"""
COMPLETE = """mutation Complete($challenge: String!, $code: String!) {
  completeLogin(challenge: $challenge, code: $code) { me { email csrfToken } errors { code field } }
}"""
STATUS = "{ me { email twoStep { enabled recoveryCodesLeft } } }"


def code_at(secret_b32: str, step: int) -> str:
    """The RFC 6238 code (SHA-1, 6 digits) of ``step``."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def current_step() -> int:
    """The current 30 s step, after waiting out the end of a step so that a test's codes stay in the window."""
    if time.time() % 30 > 18:
        time.sleep(31 - time.time() % 30)
    return int(time.time()) // 30


async def enrol(client: Any, csrf: str) -> tuple[str, list[str], int]:
    """Enrol through the API; returns the base32 secret, the recovery codes and the step whose code confirmed."""
    started = (await gql(client, START, {"password": PASSWORD}, csrf=csrf)).json()["data"]["startTotpEnrolment"]
    assert started["errors"] == [], started
    enrolment = started["enrolment"]
    uri = urlsplit(enrolment["uri"])
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    secret = parse_qs(uri.query)["secret"][0]
    assert secret == enrolment["manualKey"] and parse_qs(uri.query)["issuer"] == ["Pejling"]
    assert enrolment["qrSvg"].startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in enrolment["qrSvg"]
    step = current_step() - 1  # the step before: later steps stay free for the login
    confirmed = (await gql(client, CONFIRM, {"code": code_at(secret, step)}, csrf=csrf)).json()
    payload = confirmed["data"]["confirmTotpEnrolment"]
    assert payload["errors"] == [] and len(payload["recoveryCodes"]) == two_step.RECOVERY_CODES
    return secret, payload["recoveryCodes"], step


async def first_step(client: Any, email: str) -> dict[str, Any]:
    response = await gql(client, LOGIN_TWO_STEP, {"email": email, "password": PASSWORD})
    return dict(response.json()["data"]["login"])


async def test_enrolled_login_needs_a_code_once_and_recovery_codes_work_once(
    app: Any, database: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    tenant, owner = await make_owner()
    caplog.set_level(logging.DEBUG)
    async with browser(app) as client:
        csrf = await graphql_login(client, owner.email)
        secret, recovery, step = await enrol(client, csrf)
        status = (await gql(client, STATUS)).json()["data"]["me"]["twoStep"]
        assert status == {"enabled": True, "recoveryCodesLeft": 10}
        # Once on, the secret is not given again.
        again = (await gql(client, START, {"password": PASSWORD}, csrf=csrf)).json()["data"]["startTotpEnrolment"]
        assert again == {"enrolment": None, "errors": [{"code": "already_enabled", "field": None}]}

    async with browser(app) as client:
        # The password alone opens no session: a challenge comes back instead.
        answer = await first_step(client, owner.email)
        assert answer["me"] is None and answer["errors"] == []
        challenge = answer["secondFactor"]["challenge"]
        assert SESSION_COOKIE not in client.cookies
        assert (await gql(client, STATUS)).json()["data"]["me"] is None

        wrong_code = "000000" if code_at(secret, step + 1) != "000000" else "111111"
        wrong = (await gql(client, COMPLETE, {"challenge": challenge, "code": wrong_code})).json()
        assert wrong["data"]["completeLogin"] == {"me": None, "errors": [{"code": "invalid_code", "field": "code"}]}
        # The code that confirmed the enrolment is used up.
        used = (await gql(client, COMPLETE, {"challenge": challenge, "code": code_at(secret, step)})).json()
        assert used["data"]["completeLogin"]["errors"][0]["code"] == "invalid_code"
        # A forged challenge is refused.
        forged = challenge[:-4] + ("0000" if not challenge.endswith("0000") else "1111")
        refused = (await gql(client, COMPLETE, {"challenge": forged, "code": code_at(secret, step + 1)})).json()
        assert refused["data"]["completeLogin"]["errors"][0]["code"] == "invalid_challenge"

        code = code_at(secret, step + 1)
        done = (await gql(client, COMPLETE, {"challenge": challenge, "code": code})).json()["data"]["completeLogin"]
        assert done["errors"] == [] and done["me"]["email"] == owner.email
        assert (await gql(client, STATUS)).json()["data"]["me"]["email"] == owner.email

    async with browser(app) as client:
        # The same code again, within its window: refused (replay).
        challenge = (await first_step(client, owner.email))["secondFactor"]["challenge"]
        replay = (await gql(client, COMPLETE, {"challenge": challenge, "code": code})).json()["data"]["completeLogin"]
        assert replay["me"] is None and replay["errors"][0]["code"] == "invalid_code"
        # A recovery code (typed in capitals, without dashes) works once.
        typed = recovery[0].replace("-", "").upper()
        by_recovery = (await gql(client, COMPLETE, {"challenge": challenge, "code": typed})).json()
        assert by_recovery["data"]["completeLogin"]["errors"] == []
        csrf = by_recovery["data"]["completeLogin"]["me"]["csrfToken"]
        assert (await gql(client, STATUS)).json()["data"]["me"]["twoStep"]["recoveryCodesLeft"] == 9

    async with browser(app) as client:
        challenge = (await first_step(client, owner.email))["secondFactor"]["challenge"]
        spent = (await gql(client, COMPLETE, {"challenge": challenge, "code": recovery[0]})).json()
        assert spent["data"]["completeLogin"]["errors"][0]["code"] == "invalid_code"

    # Refused codes are in the tenant's audit log, without the code.
    with tenant_scope(tenant.id):
        refused_entries = await AuditEntry.filter(operation="completeLogin", outcome=AuditOutcome.REFUSED)
    assert len(refused_entries) >= 3 and all(e.user_id == owner.id for e in refused_entries)

    # The secret and the recovery codes appear in no log line and in the database only sealed or hashed.
    for value in (secret, *recovery, base64.b32decode(secret + "=" * (-len(secret) % 8)).hex()):
        assert value not in caplog.text and value.replace("-", "") not in caplog.text
    credential = await TotpCredential.get(user_id=owner.id)
    assert secret not in credential.secret_sealed and credential.secret_sealed.startswith("gAAAAA")
    hashes = {row.code_hash for row in await RecoveryCode.filter(user_id=owner.id)}
    assert not hashes & set(recovery)


async def test_disabling_needs_the_password_and_a_code(app: Any, database: Settings) -> None:
    _, owner = await make_owner()
    async with browser(app) as client:
        csrf = await graphql_login(client, owner.email)
        secret, _, step = await enrol(client, csrf)
        code = code_at(secret, step + 1)
        bad_password = (await gql(client, DISABLE, {"password": "not it", "code": code}, csrf=csrf)).json()
        assert bad_password["data"]["disableTotp"] == {"ok": False, "errors": [{"code": "invalid_password",
                                                                               "field": "password"}]}
        bad_code = (await gql(client, DISABLE, {"password": PASSWORD, "code": "12345x"}, csrf=csrf)).json()
        assert bad_code["data"]["disableTotp"]["errors"] == [{"code": "invalid_code", "field": "code"}]
        assert await two_step.has_two_step(owner.id)
        done = (await gql(client, DISABLE, {"password": PASSWORD, "code": code}, csrf=csrf)).json()
        assert done["data"]["disableTotp"] == {"ok": True, "errors": []}
        assert not await TotpCredential.exists(user_id=owner.id)
        assert not await RecoveryCode.exists(user_id=owner.id)
    async with browser(app) as client:
        # The password alone logs in again.
        response = await gql(client, LOGIN, {"email": owner.email, "password": PASSWORD})
        assert response.json()["data"]["login"]["me"]["email"] == owner.email


async def test_enrolment_needs_the_password_and_a_browser_session(app: Any) -> None:
    _, owner = await make_owner()
    async with browser(app) as client:
        anonymous = (await gql(client, START, {"password": PASSWORD})).json()["data"]["startTotpEnrolment"]
        assert anonymous["errors"] == [{"code": "unauthenticated", "field": None}]
        csrf = await graphql_login(client, owner.email)
        wrong = (await gql(client, START, {"password": "nope"}, csrf=csrf)).json()["data"]["startTotpEnrolment"]
        assert wrong == {"enrolment": None, "errors": [{"code": "invalid_password", "field": "password"}]}
        # Not confirmed: the login is unchanged.
        assert (await gql(client, START, {"password": PASSWORD}, csrf=csrf)).json()["data"][
            "startTotpEnrolment"]["errors"] == []
        wrong_code = (await gql(client, CONFIRM, {"code": "abcdef"}, csrf=csrf)).json()
        assert wrong_code["data"]["confirmTotpEnrolment"]["errors"] == [{"code": "invalid_code", "field": "code"}]
    assert not await two_step.has_two_step(owner.id)
    async with browser(app) as client:
        assert (await first_step(client, owner.email))["me"]["email"] == owner.email


async def test_codes_are_throttled_like_passwords(app: Any, database: Settings) -> None:
    _, owner = await make_owner()
    async with browser(app) as client:
        csrf = await graphql_login(client, owner.email)
        secret, _, step = await enrol(client, csrf)
    async with browser(app) as client:
        challenge = (await first_step(client, owner.email))["secondFactor"]["challenge"]
        good = code_at(secret, step + 1)
        wrong = "000000" if good != "000000" else "111111"
        for _ in range(database.login_max_failures):
            failed = (await gql(client, COMPLETE, {"challenge": challenge, "code": wrong})).json()
            assert failed["data"]["completeLogin"]["errors"][0]["code"] == "invalid_code"
        paused = await gql(client, COMPLETE, {"challenge": challenge, "code": good})
        assert paused.json()["data"]["completeLogin"]["errors"][0]["code"] == "throttled"
        assert int(paused.headers["retry-after"]) > 0
    # From another address too: the allowance is the person's.
    async with browser(app, fresh_address()) as client:
        paused = await gql(client, COMPLETE, {"challenge": challenge, "code": good})
        assert paused.json()["data"]["completeLogin"]["errors"][0]["code"] == "throttled"


async def test_the_core_rules_with_a_fixed_clock(database: Settings) -> None:
    _, owner = await make_owner()
    enrolment = await two_step.start_enrolment(database, owner.id, PASSWORD, address=None)
    secret = enrolment.manual_key
    now = 1_900_000_000.0
    step = int(now) // 30
    # Two steps away is outside the window.
    with pytest.raises(two_step.TwoStepRefused) as refused:
        await two_step.confirm_enrolment(database, owner.id, code_at(secret, step + 2), address=None, now=now)
    assert refused.value.code == "invalid_code"
    await two_step.confirm_enrolment(database, owner.id, code_at(secret, step - 1), address=None, now=now)
    # An earlier step than the last one accepted is refused even inside the window.
    with pytest.raises(two_step.TwoStepRefused):
        await two_step.complete_login(database, two_step.issue_challenge(database, owner.id, now)[0],
                                      code_at(secret, step - 1), address=None, now=now)
    challenge, expires_at = two_step.issue_challenge(database, owner.id, now)
    assert expires_at.timestamp() == now + two_step.CHALLENGE_SECONDS
    user = await two_step.complete_login(database, challenge, code_at(secret, step + 1), address=None, now=now)
    assert user.id == owner.id
    # An expired challenge is refused before any code is looked at.
    late = now + two_step.CHALLENGE_SECONDS + 1
    assert two_step.read_challenge(database, challenge, late) is None
    with pytest.raises(two_step.TwoStepRefused) as expired:
        await two_step.complete_login(database, challenge, code_at(secret, int(late) // 30), address=None, now=late)
    assert expired.value.code == "invalid_challenge"
    # A challenge for another person does not verify with this one's signature.
    other = challenge.replace(owner.id.hex, UUID(int=1).hex)
    assert two_step.read_challenge(database, other, now) is None
    # The library's log_in (no second step) refuses an enrolled account instead of opening a session.
    with pytest.raises(LoginRefused) as needs_code:
        await log_in(database, owner.email, PASSWORD, address=fresh_address())
    assert needs_code.value.code == "second_factor_required"
    assert not await Session.exists(user_id=owner.id)


def test_the_sealed_secret_is_resealed_by_key_rotation_and_left_out_of_exports() -> None:
    from pejling.core.key_rotation import sealed_models
    from pejling.tenants.scope import TenantModel

    assert TotpCredential in sealed_models() and TotpCredential.SEALED_FIELDS == ("secret_sealed",)
    # A person's, not a tenant's: the tenant export (tenant models only) never holds it.
    assert not issubclass(TotpCredential, TenantModel) and not issubclass(RecoveryCode, TenantModel)

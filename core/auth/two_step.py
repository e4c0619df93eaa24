"""Two-step login: after the password, a code from an authenticator app (TOTP, RFC 6238) or a recovery code.

Enrolling: :func:`start_enrolment` (the current password again) makes a random 160-bit secret, sealed at rest
(:mod:`pejling.core.secrets_at_rest`, purpose ``totp:<user id>``), and gives the ``otpauth://`` URI and its QR code
once. :func:`confirm_enrolment` takes a first code from the app, switches two-step login on and gives
:data:`RECOVERY_CODES` recovery codes, shown this once (only their SHA-256 is kept). :func:`disable` needs the
password and a code.

Logging in: when the password is right and the person has two-step login, no session opens. :func:`issue_challenge`
gives a signed challenge valid :data:`CHALLENGE_SECONDS`, and :func:`complete_login` opens the way with the challenge
and a code. A TOTP code is accepted for the current time step and one step either side, and only for a step later
than the last one accepted, so a code works once (``TotpCredential.last_used_step``, moved by a conditional UPDATE,
so two concurrent uses of one code cannot both pass). A recovery code is consumed the same way. Wrong codes count
against a per-person allowance and the client address's login allowance (:mod:`pejling.core.auth.throttle`).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import segno
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from pejling.core.auth.models import RecoveryCode, TotpCredential, secret_digest
from pejling.core.auth.throttle import (
    Throttled,
    clear_code_failures,
    release_login_attempt,
    reserve_code_attempt,
    reserve_login_attempt,
)
from pejling.core.secrets_at_rest import seal, unseal
from pejling.core.settings import Settings
from pejling.tenants.models import User

ISSUER = "Pejling"
DIGITS = 6
STEP_SECONDS = 30
#: Codes of this many steps before and after the current one are accepted (clock drift, typing time).
WINDOW = 1
SECRET_BYTES = 20
RECOVERY_CODES = 10
CHALLENGE_SECONDS = 300
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
_RECOVERY_LENGTH = 16  # about 79 bits


class TwoStepRefused(Exception):
    """A refused two-step operation. ``code``: ``invalid_code``, ``invalid_password``, ``invalid_challenge``,
    ``not_enrolled``, ``already_enabled`` or ``throttled`` (then ``retry_after`` is set); ``field`` names the input."""

    def __init__(self, code: str, message: str, field: str | None = None, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.retry_after = retry_after


@dataclass(frozen=True)
class Enrolment:
    """What the person's authenticator app needs, given once: the URI, its QR code (SVG) and the key to type in."""

    uri: str
    qr_svg: str
    manual_key: str


def _purpose(user_id: UUID) -> str:
    return f"totp:{user_id}"


def _totp(secret: bytes) -> TOTP:
    # SHA-1 as in HMAC-based TOTP (RFC 6238's default, the one every authenticator app supports), not as a digest
    return TOTP(secret, DIGITS, SHA1(), STEP_SECONDS)  # noqa: S303


def _matching_step(secret: bytes, code: str, now: float) -> int | None:
    """The time step (within :data:`WINDOW` of ``now``) whose code is ``code``, or None."""
    totp = _totp(secret)
    current = int(now) // STEP_SECONDS
    found = None
    for step in range(current - WINDOW, current + WINDOW + 1):
        if hmac.compare_digest(totp.generate(step * STEP_SECONDS), code.encode()):
            found = step  # no early exit: every candidate is compared
    return found


def _normal_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _recovery_digest(code: str) -> str:
    return secret_digest("recovery:" + _normal_code(code))


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, _RECOVERY_LENGTH, 4))


def _qr_svg(uri: str) -> str:
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=4, border=2, xmldecl=False, svgns=True,
                                    title="QR code for an authenticator app")
    return out.getvalue().decode()


async def has_two_step(user_id: UUID) -> bool:
    """True when the person has confirmed an authenticator: their password logins then need a code."""
    return await TotpCredential.exists(user_id=user_id, confirmed_at__isnull=False)


async def recovery_codes_left(user_id: UUID) -> int:
    """How many unused recovery codes the person has."""
    return await RecoveryCode.filter(user_id=user_id, used_at__isnull=True).count()


async def _check_password(settings: Settings, user: User, password: str, address: str | None) -> None:
    """The person's password again, counted against their login allowance like a login."""
    from pejling.core.auth.accounts import verify_password

    try:
        reserved = await reserve_login_attempt(settings, user.email, address)
    except Throttled as exc:
        raise TwoStepRefused("throttled", exc.message, "password", exc.retry_after) from None
    if not await verify_password(user.password_hash, password[:1024]):
        raise TwoStepRefused("invalid_password", "The password is wrong.", "password")
    await release_login_attempt(reserved)


async def start_enrolment(settings: Settings, user_id: UUID, password: str, *, address: str | None) -> Enrolment:
    """Begin enrolling an authenticator (replacing an unconfirmed one). Refused while two-step login is on."""
    user = await User.get(id=user_id)
    await _check_password(settings, user, password, address)
    if await has_two_step(user_id):
        raise TwoStepRefused("already_enabled", "Two-step login is already on. Turn it off first to change apps.")
    secret = os.urandom(SECRET_BYTES)
    await TotpCredential.filter(user_id=user_id).delete()
    await TotpCredential.create(user_id=user_id, secret_sealed=seal(secret.hex(), purpose=_purpose(user_id),
                                                                    settings=settings))
    uri = _totp(secret).get_provisioning_uri(user.email, ISSUER)
    manual_key = uri.split("secret=", 1)[1].split("&", 1)[0]
    return Enrolment(uri=uri, qr_svg=_qr_svg(uri), manual_key=manual_key)


async def _use_totp(settings: Settings, credential: TotpCredential, code: str, now: float) -> bool:
    """True when ``code`` is the credential's code for a step within the window not used before (that step is
    then used up)."""
    code = _normal_code(code)
    if len(code) != DIGITS or not code.isdigit():
        return False
    secret = bytes.fromhex(unseal(credential.secret_sealed, purpose=_purpose(credential.user_id), settings=settings))
    step = _matching_step(secret, code, now)
    if step is None:
        return False
    return bool(await TotpCredential.filter(id=credential.id, last_used_step__lt=step).update(last_used_step=step))


async def _use_recovery_code(user_id: UUID, code: str) -> bool:
    """True when ``code`` is an unused recovery code of the person (it is then used up)."""
    if len(_normal_code(code)) != _RECOVERY_LENGTH:
        return False
    row = await RecoveryCode.get_or_none(user_id=user_id, code_hash=_recovery_digest(code), used_at__isnull=True)
    if row is None:
        return False
    return bool(await RecoveryCode.filter(id=row.id, used_at__isnull=True).update(used_at=datetime.now(UTC)))


async def _check_code(settings: Settings, user_id: UUID, code: str, address: str | None, *, confirmed: bool,
                      recovery: bool, now: float | None) -> None:
    """Accept ``code`` once, or raise :class:`TwoStepRefused`. Every try is reserved against the allowance first."""
    credential = await TotpCredential.get_or_none(user_id=user_id, confirmed_at__isnull=not confirmed)
    if credential is None:
        raise TwoStepRefused("not_enrolled", "Two-step login is not on for this account.")
    try:
        reserved = await reserve_code_attempt(settings, user_id, address)
    except Throttled as exc:
        raise TwoStepRefused("throttled", exc.message, "code", exc.retry_after) from None
    code = code[:64]
    now = time.time() if now is None else now
    accepted = await _use_totp(settings, credential, code, now)
    if not accepted and recovery:
        accepted = await _use_recovery_code(user_id, code)
    if not accepted:
        raise TwoStepRefused("invalid_code", "The code is wrong or has been used.", "code")
    await release_login_attempt(reserved)
    await clear_code_failures(settings, user_id)


async def confirm_enrolment(settings: Settings, user_id: UUID, code: str, *, address: str | None,
                            now: float | None = None) -> list[str]:
    """Switch two-step login on with a first code from the app. Returns the new recovery codes (shown once)."""
    await _check_code(settings, user_id, code, address, confirmed=False, recovery=False, now=now)
    await TotpCredential.filter(user_id=user_id).update(confirmed_at=datetime.now(UTC))
    return await _new_recovery_codes(user_id)


async def _new_recovery_codes(user_id: UUID) -> list[str]:
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    await RecoveryCode.filter(user_id=user_id).delete()
    await RecoveryCode.bulk_create([RecoveryCode(user_id=user_id, code_hash=_recovery_digest(c)) for c in codes])
    return codes


async def disable(settings: Settings, user_id: UUID, password: str, code: str, *, address: str | None,
                  now: float | None = None) -> None:
    """Switch two-step login off: the password and a code (from the app, or a recovery code) are needed."""
    user = await User.get(id=user_id)
    await _check_password(settings, user, password, address)
    await _check_code(settings, user_id, code, address, confirmed=True, recovery=True, now=now)
    await TotpCredential.filter(user_id=user_id).delete()
    await RecoveryCode.filter(user_id=user_id).delete()


def _challenge_mac(settings: Settings, payload: str) -> str:
    return hmac.new(settings.secret_bytes(), f"two-step-challenge:{payload}".encode(), hashlib.sha256).hexdigest()


def issue_challenge(settings: Settings, user_id: UUID, now: float | None = None) -> tuple[str, datetime]:
    """A signed challenge saying "this person gave the right password", valid :data:`CHALLENGE_SECONDS`."""
    expires = int(time.time() if now is None else now) + CHALLENGE_SECONDS
    payload = f"v1.{user_id.hex}.{expires}"
    return f"{payload}.{_challenge_mac(settings, payload)}", datetime.fromtimestamp(expires, UTC)


def read_challenge(settings: Settings, challenge: str, now: float | None = None) -> UUID | None:
    """The person of a valid, unexpired challenge, or None."""
    parts = challenge.split(".")
    if len(parts) != 4 or parts[0] != "v1" or len(challenge) > 200:
        return None
    payload = ".".join(parts[:3])
    if not hmac.compare_digest(_challenge_mac(settings, payload), parts[3]):
        return None
    try:
        user_id, expires = UUID(hex=parts[1]), int(parts[2])
    except ValueError:
        return None
    return user_id if expires > (time.time() if now is None else now) else None


async def complete_login(settings: Settings, challenge: str, code: str, *, address: str | None,
                         now: float | None = None) -> User:
    """The person of ``challenge`` once ``code`` (TOTP or recovery code) is accepted, or :class:`TwoStepRefused`."""
    user_id = read_challenge(settings, challenge, now)
    user = await User.get_or_none(id=user_id, is_active=True) if user_id else None
    if user is None:
        raise TwoStepRefused("invalid_challenge", "The login has expired. Log in again.", "challenge")
    await _check_code(settings, user.id, code, address, confirmed=True, recovery=True, now=now)
    return user

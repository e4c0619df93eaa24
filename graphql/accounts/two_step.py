"""Two-step login over GraphQL: enrol an authenticator app, switch it off, and the login's second step.

``login`` answers ``secondFactor`` (a challenge) instead of ``me`` for a person with two-step login, and
``completeLogin`` opens the session with the challenge and a code (:mod:`pejling.core.auth.two_step`). Enrolling and
switching off are for a logged-in browser only and need the current password again. A refused code is recorded in
the audit log of the person's tenants (a refused ``completeLogin`` has no session behind it, so the audit trail
extension would not see it).
"""

from __future__ import annotations

import strawberry

from pejling.core.audit.models import AuditKind, AuditOutcome
from pejling.core.audit.recording import Record, Subject, record_for_user
from pejling.core.auth.forwarded import client_address
from pejling.core.auth.two_step import (
    TwoStepRefused,
    complete_login,
    confirm_enrolment,
    disable,
    read_challenge,
    start_enrolment,
)
from pejling.graphql.accounts.mutations import LoginPayload, _open_session
from pejling.graphql.context import Info
from pejling.graphql.errors import UserError

MAX_INPUT = 1024


@strawberry.type(description="Scan the QR code (or type the key) into an authenticator app, then send its first "
                 "code to confirmTotpEnrolment. Shown this once.")
class TotpEnrolment:
    uri: str = strawberry.field(description="The otpauth:// URI the QR code holds.")
    qr_svg: str = strawberry.field(description="The QR code of the URI, as an SVG document.")
    manual_key: str = strawberry.field(description="The key in base32, for apps that cannot scan.")


@strawberry.type
class StartTotpEnrolmentPayload:
    enrolment: TotpEnrolment | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ConfirmTotpEnrolmentPayload:
    recovery_codes: list[str] | None = strawberry.field(
        default=None, description="Single-use codes for when the app is not at hand. Shown this once: store them now."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DisableTotpPayload:
    ok: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)


def _refusal(info: Info, exc: TwoStepRefused) -> UserError:
    if exc.retry_after is not None:
        info.context.response.headers["Retry-After"] = str(exc.retry_after)
    return UserError(code=exc.code, message=exc.message, field=exc.field)


def _browser_user(info: Info) -> UserError | None:
    actor = info.context.actor
    if actor.session_id is None or actor.user_id is None:
        return UserError(code="unauthenticated", message="Log in in a browser to change two-step login.")
    return None


def _address(info: Info) -> str | None:
    return client_address(info.context.request.scope, info.context.settings.trusted_proxies)


@strawberry.type
class TwoStepMutation:
    @strawberry.mutation(description="Begin two-step login: gives the authenticator app's QR code once. Needs your "
                         "password. Nothing changes at login until confirmTotpEnrolment.")
    async def start_totp_enrolment(self, info: Info, password: str) -> StartTotpEnrolmentPayload:
        error = _browser_user(info)
        if error:
            return StartTotpEnrolmentPayload(errors=[error])
        if len(password) > MAX_INPUT:
            return StartTotpEnrolmentPayload(errors=[UserError(code="invalid_password", message="The password is "
                                                               "wrong.", field="password")])
        actor = info.context.actor
        assert actor.user_id is not None
        try:
            enrolment = await start_enrolment(info.context.settings, actor.user_id, password, address=_address(info))
        except TwoStepRefused as exc:
            return StartTotpEnrolmentPayload(errors=[_refusal(info, exc)])
        return StartTotpEnrolmentPayload(enrolment=TotpEnrolment(uri=enrolment.uri, qr_svg=enrolment.qr_svg,
                                                                 manual_key=enrolment.manual_key))

    @strawberry.mutation(description="Switch two-step login on with a first code from the app. Answers the recovery "
                         "codes, shown this once.")
    async def confirm_totp_enrolment(self, info: Info, code: str) -> ConfirmTotpEnrolmentPayload:
        error = _browser_user(info)
        if error:
            return ConfirmTotpEnrolmentPayload(errors=[error])
        actor = info.context.actor
        assert actor.user_id is not None
        try:
            codes = await confirm_enrolment(info.context.settings, actor.user_id, code[:MAX_INPUT],
                                            address=_address(info))
        except TwoStepRefused as exc:
            return ConfirmTotpEnrolmentPayload(errors=[_refusal(info, exc)])
        return ConfirmTotpEnrolmentPayload(recovery_codes=codes)

    @strawberry.mutation(description="Switch two-step login off. Needs your password and a code from the app (or a "
                         "recovery code).")
    async def disable_totp(self, info: Info, password: str, code: str) -> DisableTotpPayload:
        error = _browser_user(info)
        if error:
            return DisableTotpPayload(errors=[error])
        actor = info.context.actor
        assert actor.user_id is not None
        try:
            await disable(info.context.settings, actor.user_id, password[:MAX_INPUT], code[:MAX_INPUT],
                          address=_address(info))
        except TwoStepRefused as exc:
            return DisableTotpPayload(errors=[_refusal(info, exc)])
        return DisableTotpPayload(ok=True)

    @strawberry.mutation(description="The second step of a login: the challenge from login and a code from the "
                         "authenticator app (or a recovery code, used up). Sets the session cookie.")
    async def complete_login(self, info: Info, challenge: str, code: str) -> LoginPayload:
        context = info.context
        address = _address(info)
        try:
            user = await complete_login(context.settings, challenge[:MAX_INPUT], code[:MAX_INPUT], address=address)
        except TwoStepRefused as exc:
            user_id = read_challenge(context.settings, challenge[:MAX_INPUT])
            if user_id is not None and exc.code in ("invalid_code", "throttled"):
                await record_for_user(context.settings, Record(
                    kind=AuditKind.CHANGE, subject=Subject.user(user_id), operation="completeLogin",
                    outcome=AuditOutcome.REFUSED, error_codes=[exc.code], address=address or "",
                ))
            return LoginPayload(errors=[_refusal(info, exc)])
        return LoginPayload(me=await _open_session(info, user))

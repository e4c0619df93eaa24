"""Sign up, log in and out, reset a password, change it, and manage API tokens. Every failure is a typed error.

Logging in (and confirming a sign-up) sets the ``pejling_session`` and ``csrf_token`` cookies on the response;
logging out deletes the session and clears them. A logged-in browser sends ``X-CSRF-Token`` with
every mutation (see :mod:`pejling.core.auth.middleware`).
"""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from pejling.core.auth.accounts import LoginRefused, PasswordChangeRefused, authenticate, change_password
from pejling.core.auth.api_tokens import ApiTokenRefused, create_api_token, revoke_api_token
from pejling.core.auth.forwarded import client_address
from pejling.core.auth.middleware import cookies_secure
from pejling.core.auth.password_reset import ResetRefused, request_password_reset, reset_password
from pejling.core.auth.sessions import clear_session_cookies, end_session, set_session_cookies, start_session
from pejling.core.auth.throttle import Throttled, reserve_signup_attempt
from pejling.core.auth.two_step import has_two_step, issue_challenge
from pejling.graphql.accounts.types import ApiTokenNode, ApiTokenScope, Me, SecondFactorChallenge
from pejling.graphql.audit.recording import note_login_failure
from pejling.graphql.context import Info
from pejling.graphql.errors import UserError, forbidden, invalid, not_found
from pejling.graphql.permissions import mutation_guard
from pejling.graphql.relay_ids import decode_id
from pejling.graphql.tenants.types import TenantType
from pejling.tenants.models import User
from pejling.tenants.signup import SignupRefused, confirm_signup, request_signup

MAX_INPUT = 1024


@strawberry.input(description="A new business and its owner's address. The password is chosen with the link mailed "
                  "to that address (confirmSignup).")
class SignupInput:
    tenant_name: str
    tenant_slug: str
    email: str
    name: str = ""
    language: str = "en"


@strawberry.input
class ApiTokenInput:
    name: str
    scopes: list[ApiTokenScope]
    expires_at: datetime | None = strawberry.field(default=None, description="Null: the token never expires.")


@strawberry.type(description="ok: a link was mailed to the address, if mail may go there; check your mail. The answer "
                 "is the same whether or not the address has an account.")
class SignupRequestPayload:
    ok: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SignupPayload:
    me: Me | None = None
    tenant: TenantType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="me: logged in. secondFactor: the password was right, and the account needs a code "
                 "from its authenticator app: send it with the challenge to completeLogin.")
class LoginPayload:
    me: Me | None = None
    second_factor: SecondFactorChallenge | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DonePayload:
    ok: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CreateApiTokenPayload:
    token: ApiTokenNode | None = None
    secret: str | None = strawberry.field(
        default=None, description="The token to send as Authorization: Bearer. Shown this once only: store it now."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RevokeApiTokenPayload:
    token: ApiTokenNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _open_session(info: Info, user: User) -> Me:
    """Start a session for ``user`` and put its cookies on the response (ending this browser's old session)."""
    context = info.context
    if context.actor.session_id is not None:
        await end_session(context.actor.session_id)
    user_agent = context.request.headers.get("user-agent", "")
    session, secret = await start_session(context.settings, user.id, user_agent)
    secure = cookies_secure(context.request.scope, context.settings)
    set_session_cookies(context.response, context.settings, session, secret, secure=secure)
    return Me.of(info, user, session_id=session.id, via_token=False)


def _too_long(*values: str) -> bool:
    return any(len(value) > MAX_INPUT for value in values)


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description="Start creating a business: mails a single-use link to the address (valid 24 "
                         "hours) and answers ok, alike for an address with or without an account. Every attempt "
                         "counts against the per-address limit.")
    async def signup(self, info: Info, input: SignupInput) -> SignupRequestPayload:
        settings = info.context.settings
        address = client_address(info.context.request.scope, settings.trusted_proxies)
        try:
            await reserve_signup_attempt(settings, address)
        except Throttled as exc:
            info.context.response.headers["Retry-After"] = str(exc.retry_after)
            return SignupRequestPayload(errors=[UserError(code="throttled", message=exc.message)])
        if _too_long(input.tenant_name, input.tenant_slug, input.email, input.name, input.language):
            return SignupRequestPayload(errors=[invalid(None, "An input is too long.")])
        try:
            await request_signup(settings, tenant_name=input.tenant_name, tenant_slug=input.tenant_slug,
                                 email=input.email, user_name=input.name, language=input.language)
        except SignupRefused as exc:
            return SignupRequestPayload(errors=[UserError(code=exc.code, field=exc.field, message=exc.message)])
        return SignupRequestPayload(ok=True)

    @strawberry.mutation(description="Create the business with the token from the sign-up mail. A new person gives "
                         "their password (and may change their name) and is logged in; an address that already has "
                         "an account confirms logged in as it. A wrong, used or expired token is invalid_token.")
    async def confirm_signup(self, info: Info, token: str, password: str | None = None,
                             name: str | None = None) -> SignupPayload:
        actor = info.context.actor
        if actor.token_id is not None:
            return SignupPayload(errors=[forbidden("Confirm a sign-up in a browser, not with an API token.")])
        if _too_long(token, password or "", name or ""):
            return SignupPayload(errors=[invalid(None, "An input is too long.")])
        session_user = await User.get_or_none(id=actor.user_id) if actor.user_id else None
        try:
            tenant, user = await confirm_signup(token=token, session_user=session_user, password=password, name=name)
        except SignupRefused as exc:
            return SignupPayload(errors=[UserError(code=exc.code, field=exc.field, message=exc.message)])
        if session_user is not None and session_user.id == user.id:
            me = Me.of(info, user, session_id=actor.session_id, via_token=False, via_sso=actor.via_sso)
        else:
            me = await _open_session(info, user)
        return SignupPayload(me=me, tenant=TenantType.from_model(tenant))

    @strawberry.mutation(description="Log in with email and password; sets the session cookie, or, for an account "
                         "with two-step login, answers secondFactor for completeLogin. A password the system "
                         "generated opens a session that can only change it (me.passwordChangeRequired); past its "
                         "expiry it is refused as password_expired (a password reset is the way in).")
    async def login(self, info: Info, email: str, password: str) -> LoginPayload:
        context = info.context
        if _too_long(email, password):
            note_login_failure(info, email="", user_id=None, code="invalid_credentials")
            return LoginPayload(errors=[UserError(code="invalid_credentials", message="Wrong email or password.")])
        address = client_address(context.request.scope, context.settings.trusted_proxies)
        try:
            user = await authenticate(context.settings, email, password, address)
        except LoginRefused as exc:
            if exc.retry_after is not None:
                context.response.headers["Retry-After"] = str(exc.retry_after)
            else:
                note_login_failure(info, email=email, user_id=exc.user_id, code=exc.code)
            return LoginPayload(errors=[UserError(code=exc.code, message=exc.message)])
        if await has_two_step(user.id):  # no session yet: the code comes with completeLogin (accounts/two_step.py)
            challenge, expires_at = issue_challenge(context.settings, user.id)
            return LoginPayload(second_factor=SecondFactorChallenge(challenge=challenge, expires_at=expires_at))
        return LoginPayload(me=await _open_session(info, user))

    @strawberry.mutation(description="Log this browser out: the session ends on the server and the cookie is cleared.")
    async def logout(self, info: Info) -> DonePayload:
        context = info.context
        if context.actor.session_id is None:
            return DonePayload(errors=[UserError(code="unauthenticated", message="You are not logged in.")])
        await end_session(context.actor.session_id)
        clear_session_cookies(context.response, secure=cookies_secure(context.request.scope, context.settings))
        return DonePayload(ok=True)

    @strawberry.mutation(
        description="Mail a password-reset link if the email belongs to an account. Answers the same either way."
    )
    async def request_password_reset(self, info: Info, email: str) -> DonePayload:
        if len(email) <= MAX_INPUT:
            await request_password_reset(info.context.settings, email)
        return DonePayload(ok=True)

    @strawberry.mutation(description="Choose a new password with the token from the reset mail; logs out everywhere.")
    async def reset_password(self, info: Info, token: str, new_password: str) -> DonePayload:
        if _too_long(token, new_password):
            return DonePayload(errors=[invalid("token", "An input is too long.")])
        try:
            await reset_password(info.context.settings, token, new_password)
        except ResetRefused as exc:
            return DonePayload(errors=[UserError(code=exc.code, field=exc.field, message=exc.message)])
        if info.context.actor.session_id is not None:
            clear_session_cookies(
                info.context.response, secure=cookies_secure(info.context.request.scope, info.context.settings)
            )
        return DonePayload(ok=True)

    @strawberry.mutation(description="Change your password (logged-in browsers only); your other sessions end. The "
                         "new one must differ from the current one. This replaces a generated password "
                         "(me.passwordChangeRequired), unless it has expired (password_expired: reset it instead).")
    async def change_password(self, info: Info, current_password: str, new_password: str) -> DonePayload:
        actor = info.context.actor
        if actor.session_id is None or actor.user_id is None:
            return DonePayload(errors=[UserError(code="unauthenticated", message="Log in to change your password.")])
        if _too_long(current_password, new_password):
            return DonePayload(errors=[invalid("newPassword", "An input is too long.")])
        try:
            await change_password(actor.user_id, current_password, new_password, keep_session=actor.session_id)
        except PasswordChangeRefused as exc:
            return DonePayload(errors=[UserError(code=exc.code, field=exc.field, message=exc.message)])
        return DonePayload(ok=True)

    @strawberry.mutation(
        description="Create an API token for this tenant (owners and admins; from a token: one with the write scope)."
    )
    async def create_api_token(self, info: Info, input: ApiTokenInput) -> CreateApiTokenPayload:
        _, error = mutation_guard(info)
        if error:
            return CreateApiTokenPayload(errors=[error])
        actor = info.context.actor
        if actor.user_id is None:
            return CreateApiTokenPayload(errors=[forbidden("This token has no member behind it.")])
        expires_at = input.expires_at
        if expires_at is not None and expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        try:
            token, secret = await create_api_token(
                name=input.name, scopes=[scope.value for scope in input.scopes], created_by=actor.user_id,
                expires_at=expires_at,
            )
        except ApiTokenRefused as exc:
            return CreateApiTokenPayload(errors=[invalid(exc.field, exc.message)])
        return CreateApiTokenPayload(token=ApiTokenNode.from_model(token), secret=secret)

    @strawberry.mutation(description="Revoke an API token at once (owners and admins).")
    async def revoke_api_token(self, info: Info, id: strawberry.ID) -> RevokeApiTokenPayload:
        _, error = mutation_guard(info)
        if error:
            return RevokeApiTokenPayload(errors=[error])
        token_id = decode_id(id, "ApiToken")
        token = await revoke_api_token(token_id) if token_id else None
        if token is None:
            return RevokeApiTokenPayload(errors=[not_found()])
        return RevokeApiTokenPayload(token=ApiTokenNode.from_model(token))

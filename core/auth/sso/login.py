"""The two steps of a single sign-on login, and the rule SSO-only tenants put on password logins.

:func:`begin_login` stores a pending login (the digest of a random ``state``, a ``nonce`` and a PKCE verifier) and
answers the identity provider's authorisation URL; the browser keeps ``state`` in a short-lived cookie scoped to
the tenant's ``/sso/`` path, which binds the login to the browser that started it. :func:`finish_login` requires the
``state`` of the query to equal the cookie's, deletes the pending login (so a state works once), exchanges the code,
validates the ID token and then finds or creates the account and its membership (just in time, with the tenant's
default role). Opening the session is the route's work, through :mod:`pejling.core.auth.sessions`.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from tortoise.exceptions import IntegrityError

from pejling.core.auth.models import secret_digest
from pejling.core.auth.sso.configuration import client_secret_of
from pejling.core.auth.sso.models import SsoConfiguration, SsoIdentity, SsoLoginAttempt
from pejling.core.auth.sso.provider import (
    ProviderRefused,
    exchange_code,
    oauth_client,
    provider_keys,
    validate_id_token,
)
from pejling.core.auth.sso.sso_settings import SsoSettings
from pejling.core.secrets_at_rest import SealedSecretError
from pejling.core.settings import Settings
from pejling.tenants.models import Membership, Role, Tenant, User
from pejling.tenants.scope import all_tenants, tenant_scope
from pejling.tenants.signup import SLUG

log = logging.getLogger(__name__)

#: The cookie that carries a started login's state back to the callback (HttpOnly, Path=/sso/<slug>/).
STATE_COOKIE = "pejling_sso_state"
#: The password hash of an account made by single sign-on: no password matches it (a reset can set one).
NO_PASSWORD = "!sso"  # noqa: S105 - not a password: a hash no password matches
SSO_REQUIRED = "Your organisation signs you in with its own identity provider: use its single sign-on link."


class LoginFailed(Exception):
    """A single sign-on login that cannot go on; ``message`` is shown to the person, ``status`` is the HTTP status.

    For the audit log, :func:`finish_login` adds the tenant whose page it was (``tenant_id``) and the account, once
    the provider's answer named one (``user_id``)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status
        self.tenant_id: UUID | None = None
        self.user_id: UUID | None = None

    @property
    def code(self) -> str:
        """``sso_not_configured`` (no such tenant, or no SSO there), ``sso_misconfigured`` or ``sso_refused``."""
        return {404: "sso_not_configured", 500: "sso_misconfigured"}.get(self.status, "sso_refused")


@dataclass(frozen=True)
class StartedLogin:
    """Where to send the browser, and the state its cookie keeps."""

    authorization_url: str
    state: str


def callback_url(settings: Settings, tenant_slug: str) -> str:
    """The redirect URI registered at the identity provider for this tenant."""
    return f"{settings.base_url.rstrip('/')}/sso/{tenant_slug}/callback"


async def tenant_configuration(tenant_slug: str) -> tuple[Tenant, SsoConfiguration]:
    """The tenant and its SSO configuration; the same 404 refusal for an unknown tenant and one without SSO."""
    missing = LoginFailed("Single sign-on is not set up for this organisation.", status=404)
    if not SLUG.match(tenant_slug):
        raise missing
    with all_tenants():
        tenant = await Tenant.get_or_none(slug=tenant_slug)
    if tenant is None:
        raise missing
    with tenant_scope(tenant.id):
        configuration = await SsoConfiguration.get_or_none()
    if configuration is None:
        raise missing
    return tenant, configuration


async def begin_login(settings: Settings, sso_settings: SsoSettings, tenant_slug: str) -> StartedLogin:
    """Store a pending login and build the authorisation URL (code flow, PKCE S256, state and nonce)."""
    tenant, configuration = await tenant_configuration(tenant_slug)
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    now = datetime.now(UTC)
    with tenant_scope(tenant.id):
        await SsoLoginAttempt.filter(expires_at__lte=now).delete()
        await SsoLoginAttempt.create(state_hash=secret_digest(state), nonce=nonce, code_verifier=verifier,
                                     expires_at=now + timedelta(seconds=sso_settings.login_seconds))
    client = oauth_client(configuration.client_id, "", callback_url(settings, tenant.slug), sso_settings)
    try:
        url, _ = client.create_authorization_url(configuration.authorization_endpoint, state=state,
                                                 code_verifier=verifier, nonce=nonce)
    finally:
        await client.aclose()
    return StartedLogin(authorization_url=url, state=state)


async def _take_attempt(state: str, cookie_state: str | None) -> SsoLoginAttempt:
    """The pending login of ``state``, deleted so it cannot be used again (inside the tenant's scope)."""
    if not state or len(state) > 100 or not cookie_state or not hmac.compare_digest(state, cookie_state):
        raise LoginFailed("This sign-in link was not started in this browser. Start again.")
    attempt = await SsoLoginAttempt.get_or_none(state_hash=secret_digest(state))
    # Deleting by id and counting the rows makes two concurrent callbacks with one state succeed at most once.
    if attempt is None or await SsoLoginAttempt.filter(id=attempt.id).delete() != 1:
        raise LoginFailed("This sign-in was already used or has expired. Start again.")
    if attempt.expires_at <= datetime.now(UTC):
        raise LoginFailed("This sign-in has expired. Start again.")
    return attempt


def _allowed_email(claims: dict[str, Any], configuration: SsoConfiguration) -> str:
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email or len(email) > 254:
        raise LoginFailed("The identity provider did not tell us your email address.", status=403)
    if claims.get("email_verified") is not True:
        raise LoginFailed("Your identity provider has not verified your email address.", status=403)
    email = email.strip().lower()
    if email.rpartition("@")[2] not in configuration.allowed_domains:
        raise LoginFailed("Your email address is not in a domain this organisation signs in with.", status=403)
    return email


async def _account(email: str, claims: dict[str, Any]) -> User:
    """The active account with this email, created when there is none."""
    user = await User.get_or_none(email=email)
    if user is None:
        name = claims.get("name")
        try:
            user = await User.create(email=email, name=name[:200] if isinstance(name, str) else "",
                                     password_hash=NO_PASSWORD)
        except IntegrityError:  # a concurrent first login made it
            user = await User.get(email=email)
    if not user.is_active:
        raise LoginFailed("This account is disabled.", status=403)
    return user


def _subject(claims: dict[str, Any]) -> str:
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise LoginFailed("The identity provider did not say who you are (no subject).", status=403)
    return subject


async def _bound_account(issuer: str, subject: str, email: str, claims: dict[str, Any]) -> tuple[User, bool]:
    """The account of this person at the provider, and whether it is still to be bound to their subject: the one
    bound to the subject, else the one with their email. An account bound to another subject of the same provider
    is refused: the provider gave its email address to someone else."""
    identity = await SsoIdentity.get_or_none(issuer=issuer, subject=subject).select_related("user")
    if identity is not None:
        user: User = identity.user
        if not user.is_active:
            raise LoginFailed("This account is disabled.", status=403)
        return user, False
    user = await _account(email, claims)
    if await SsoIdentity.filter(issuer=issuer, user_id=user.id).exists():
        log.warning("single sign-on refused: the account of this email is bound to another subject at the provider")
        raise LoginFailed("This email address belongs to another person's account at your organisation. Ask an "
                          "owner of your organisation for help.", status=403)
    return user, True


async def _bind(issuer: str, subject: str, user: User) -> None:
    try:
        await SsoIdentity.create(issuer=issuer, subject=subject, user=user)
    except IntegrityError:  # a concurrent first login of the same person bound it
        if not await SsoIdentity.filter(issuer=issuer, subject=subject, user_id=user.id).exists():
            raise LoginFailed("This sign-in raced another one for the same account. Start again.") from None


async def _only_here(user: User, tenant: Tenant) -> None:
    """Refuse an account that is also a member of another tenant: a session is not limited to one tenant, so this
    tenant's identity provider (which its owner chose, with domains nobody proved) must not open one for it."""
    with all_tenants():
        elsewhere = await Membership.filter(user_id=user.id).exclude(tenant_id=tenant.id).exists()
    if elsewhere:
        raise LoginFailed("This account also belongs to another organisation on Pejling: log in with your password.",
                          status=403)


async def _join(user: User, role: Role) -> Membership:
    """The user's membership in the current tenant, created with ``role`` when there is none (just in time)."""
    membership = await Membership.get_or_none(user_id=user.id)
    if membership is None:
        try:
            membership = await Membership.create(user=user, role=role, store_ids=[])
            log.info("single sign-on made a new member (%s) of tenant %s", role.value, membership.tenant_id)
        except IntegrityError:
            membership = await Membership.get(user_id=user.id)
    return membership


async def finish_login(settings: Settings, sso_settings: SsoSettings, tenant_slug: str, params: dict[str, str],
                       cookie_state: str | None) -> tuple[User, Tenant]:
    """Check the identity provider's answer and return the member to log in and the tenant they log in through;
    :class:`LoginFailed` otherwise."""
    tenant, configuration = await tenant_configuration(tenant_slug)
    known: list[User] = []
    try:
        return await _finish_login(settings, sso_settings, tenant, configuration, params, cookie_state, known), tenant
    except LoginFailed as failure:
        failure.tenant_id = tenant.id
        failure.user_id = known[0].id if known else None
        raise


async def _finish_login(settings: Settings, sso_settings: SsoSettings, tenant: Tenant,
                        configuration: SsoConfiguration, params: dict[str, str], cookie_state: str | None,
                        known: list[User]) -> User:
    """:func:`finish_login` once the tenant is known; the account goes into ``known`` as soon as it is."""
    with tenant_scope(tenant.id):
        attempt = await _take_attempt(params.get("state", ""), cookie_state)
        if "error" in params:
            raise LoginFailed("The identity provider did not sign you in.", status=403)
        code = params.get("code", "")
        if not code or len(code) > 2000:
            raise LoginFailed("The identity provider sent no login code.")
        try:
            client_secret = client_secret_of(configuration, settings)
        except SealedSecretError:
            log.error("the SSO client secret of tenant %s does not open with the current keys", tenant.id)
            raise LoginFailed("Single sign-on is misconfigured for this organisation.", status=500) from None
        client = oauth_client(configuration.client_id, client_secret, callback_url(settings, tenant.slug),
                              sso_settings)
        try:
            id_token = await exchange_code(client, configuration.token_endpoint, code, attempt.code_verifier)
            keys = await provider_keys(configuration.jwks_uri, sso_settings)
            claims = validate_id_token(id_token, keys, issuer=configuration.issuer,
                                       client_id=configuration.client_id, nonce=attempt.nonce,
                                       settings=sso_settings)
        except ProviderRefused as exc:
            raise LoginFailed(exc.message, status=403) from None
        finally:
            await client.aclose()
        email = _allowed_email(claims, configuration)
        subject = _subject(claims)
        user, unbound = await _bound_account(configuration.issuer, subject, email, claims)
        known.append(user)
        await _only_here(user, tenant)
        await _join(user, Role(configuration.default_role))
        if unbound:
            await _bind(configuration.issuer, subject, user)
    user.last_login_at = datetime.now(UTC)
    await user.save(update_fields=["last_login_at"])
    return user


async def sso_required(user_id: Any) -> bool:
    """True when the user is a member, other than an owner, of a tenant whose only way in is single sign-on.

    Owners keep their password as the break-glass way in, so a broken identity provider cannot lock a tenant out.
    """
    with all_tenants():
        tenant_ids = await Membership.filter(user_id=user_id).exclude(role=Role.OWNER).values_list(
            "tenant_id", flat=True)
        if not tenant_ids:
            return False
        return await SsoConfiguration.filter(tenant_id__in=list(tenant_ids), sso_only=True).exists()

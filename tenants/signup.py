"""Creating a tenant together with its owner.

Self-service sign-up goes through the address first: :func:`request_signup` checks the input, stores a
:class:`~pejling.tenants.models.PendingSignup` and mails a single-use link, and answers the same whether or
not the address already has an account (the mail itself says which case it is, to the only person who
may know). :func:`confirm_signup` runs when the link is opened: a new person chooses their password
there, someone who already has an account adds the business to it while logged in.

``pejling create-tenant`` and the demo, run by an operator, use :func:`create_tenant_with_owner`.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from urllib.parse import urlencode

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from pejling.core.auth.generated_passwords import expiry
from pejling.core.auth.models import secret_digest
from pejling.core.auth.passwords import WeakPassword, check_strength, hash_password
from pejling.core.languages import LANGUAGES
from pejling.core.mail import EMAIL_ADDRESS, build_mail, send_mail, send_mail_soon
from pejling.core.settings import Settings
from pejling.tenants.models import Membership, PendingSignup, Role, Tenant, User
from pejling.tenants.scope import all_tenants, tenant_scope

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
CONFIRM_PATH = "/confirm-signup"
#: How long the link of a sign-up mail works.
SIGNUP_LINK_MAX_AGE = timedelta(hours=24)
#: At most this many sign-up mails go to one address per :data:`SIGNUP_MAIL_WINDOW` (no mail bombing).
MAX_SIGNUP_MAILS = 3
SIGNUP_MAIL_WINDOW = timedelta(hours=1)
SLUG_UNAVAILABLE = "This address is not available; choose another."
INVALID_LINK = "This link is invalid, has been used or has expired."


class SignupRefused(ValueError):
    """Sign-up input that cannot be accepted; ``field`` names the offending input, ``code`` says why.

    ``code`` is ``invalid`` (the input), ``invalid_token`` (a wrong, used or expired link), ``login_required``
    (the address has an account: log in as it first), ``wrong_account`` (logged in as someone else),
    ``common_password`` (the password is common or easy to guess) or ``conflict`` (something changed meanwhile; open
    the link again).
    """

    def __init__(self, field: str, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL_ADDRESS.match(email) or len(email) > 254:
        raise SignupRefused("email", "Enter a valid email address.")
    return email


def check_slug(slug: str, field: str = "slug") -> str:
    if not SLUG.match(slug):
        raise SignupRefused(
            field, "Use 1–63 lowercase letters, digits and hyphens, not starting or ending with a hyphen."
        )
    return slug


@dataclass(frozen=True)
class _Business:
    name: str
    slug: str
    email: str
    user_name: str
    language: str


def _checked(tenant_name: str, tenant_slug: str, email: str, user_name: str, language: str) -> _Business:
    tenant_name = tenant_name.strip()
    if not 1 <= len(tenant_name) <= 200:
        raise SignupRefused("tenantName", "Give the business a name of 1–200 characters.")
    check_slug(tenant_slug, "tenantSlug")
    email = normalise_email(email)
    if language not in LANGUAGES:
        raise SignupRefused("language", f"Choose one of {', '.join(LANGUAGES)}.")
    if len(user_name.strip()) > 200:
        raise SignupRefused("name", "Keep your name under 200 characters.")
    return _Business(tenant_name, tenant_slug, email, user_name.strip(), language)


async def create_tenant_with_owner(
    *, tenant_name: str, tenant_slug: str, email: str, password: str, user_name: str = "", language: str = "en",
    password_generated: bool = False,
) -> tuple[Tenant, User]:
    """Create a tenant and a new user as its owner at once (operators: CLI, demo, tests).

    ``password_generated``: the system made the password (not the operator): it is marked to be changed at the
    first login and stops working after a while (:mod:`pejling.core.auth.generated_passwords`).
    The answers say whether the slug or the email is taken: only use this where the caller may know.
    """
    business = _checked(tenant_name, tenant_slug, email, user_name, language)
    try:
        check_strength(password, (email, user_name, tenant_name, tenant_slug))
    except WeakPassword as exc:
        raise SignupRefused("password", str(exc), code=exc.code) from None
    with all_tenants():
        if await Tenant.exists(slug=business.slug):
            raise SignupRefused("tenantSlug", "That address is taken; choose another.")
        if await User.exists(email=business.email):
            raise SignupRefused("email", "An account with this email exists; log in to add a business.")
        async with in_transaction():
            tenant = await Tenant.create(name=business.name, slug=business.slug, default_language=business.language)
            user = await User.create(email=business.email, name=business.user_name,
                                     password_hash=hash_password(password),
                                     generated_password_expires_at=expiry() if password_generated else None)
            with tenant_scope(tenant.id):
                await Membership.create(tenant=tenant, user=user, role=Role.OWNER)
    return tenant, user


# ---------------------------------------------------------------------------------------------------------------------
# Self-service sign-up: request (mail a link), then confirm (open it)
# ---------------------------------------------------------------------------------------------------------------------


def confirm_link(settings: Settings, token: str) -> str:
    """The mailed link: the token in the fragment (``#token=…``), which browsers send neither to the server nor in a
    ``Referer`` (ASVS V14.2.1); the portal page reads it there and posts it in the GraphQL body."""
    return f"{settings.base_url.rstrip('/')}{CONFIRM_PATH}#{urlencode({'token': token})}"


async def request_signup(settings: Settings, *, tenant_name: str, tenant_slug: str, email: str, user_name: str = "",
                         language: str = "en", background: bool = True) -> None:
    """Check a sign-up and mail its link to ``email``. Nothing in the outcome depends on the address.

    Refused (:class:`SignupRefused`) only for the input itself, or for a slug some tenant uses already:
    tenant slugs are public (every survey link carries one), so saying "not available" reveals nothing.
    A fresh address gets a link to choose a password; an address with an account gets a mail saying so,
    with a link to add the business to that account once logged in. Either way the database work is the
    same and the mail is sent after the answer (``background``). Past :data:`MAX_SIGNUP_MAILS` per address
    per :data:`SIGNUP_MAIL_WINDOW` no mail is sent, and the answer is still the same.
    """
    business = _checked(tenant_name, tenant_slug, email, user_name, language)
    if await Tenant.exists(slug=business.slug):
        raise SignupRefused("tenantSlug", SLUG_UNAVAILABLE)
    now = datetime.now(UTC)
    await PendingSignup.filter(expires_at__lte=now - SIGNUP_MAIL_WINDOW).delete()
    recent = await PendingSignup.filter(email=business.email, created_at__gt=now - SIGNUP_MAIL_WINDOW).count()
    if recent >= MAX_SIGNUP_MAILS:
        return
    has_account = await User.exists(email=business.email)
    token = secrets.token_urlsafe(32)
    async with in_transaction():
        # A new request makes older links of the address stop working (they still count towards the limit).
        await PendingSignup.filter(email=business.email, used_at=None).update(used_at=now)
        await PendingSignup.create(token_hash=secret_digest(token), email=business.email, tenant_name=business.name,
                                   tenant_slug=business.slug, user_name=business.user_name,
                                   language=business.language, expires_at=now + SIGNUP_LINK_MAX_AGE)
    message = _signup_mail(settings, business, confirm_link(settings, token), has_account=has_account)
    if background:
        send_mail_soon(settings, message)
    else:
        await send_mail(settings, message)


def _signup_mail(settings: Settings, business: _Business, link: str, *, has_account: bool) -> EmailMessage:
    hours = int(SIGNUP_LINK_MAX_AGE.total_seconds() // 3600)
    hello = f"Hello{' ' + business.user_name if business.user_name else ''},\n\n"
    asked = f"someone (hopefully you) asked to create the business \"{business.name}\" on Pejling with this address."
    if has_account:
        body = (
            f"{hello}{asked}\nYou already have a Pejling account with this address ({business.email}).\n\n"
            f"If it was you: log in, then open this link within {hours} hours to add the business to your account "
            f"(it works once):\n\n{link}\n\n"
            "Forgot your password? Use \"Forgot password\" on the login page.\n"
            "If it was not you, ignore this mail: nothing is created and your password stays as it is.\n"
        )
    else:
        body = (
            f"{hello}{asked}\n\nOpen this link within {hours} hours to choose your password and start "
            f"(it works once):\n\n{link}\n\n"
            "If it was not you, ignore this mail: nothing is created.\n"
        )
    return build_mail(settings, to=business.email, subject="Your Pejling sign-up", text=body)


@dataclass(frozen=True)
class Claimant:
    """Who opened a mailed link: the address's existing account, or the details of a new one."""

    user: User | None
    password_hash: str | None = None
    name: str = ""


async def claim_address(email: str, *, session_user: User | None, password: str | None, name: str) -> Claimant:
    """The account that a person who opened a link mailed to ``email`` acts as.

    An address with an account needs that account logged in (``login_required`` / ``wrong_account``): the
    link proves the mailbox, the login proves the account. An address without one gets a new account with
    ``password`` (checked for strength) and ``name``.
    """
    existing = await User.get_or_none(email=email)
    if existing is not None:
        if session_user is None:
            raise SignupRefused("token", f"{email} already has a Pejling account: log in with it, then open the "
                                "link again.", code="login_required")
        if session_user.id != existing.id:
            raise SignupRefused("token", f"This link is for {email}: log in with that address, then open it again.",
                                code="wrong_account")
        return Claimant(existing)
    try:
        check_strength(password or "", (email, name))
    except WeakPassword as exc:
        raise SignupRefused("password", str(exc), code=exc.code) from None
    name = name.strip()
    if len(name) > 200:
        raise SignupRefused("name", "Keep your name under 200 characters.")
    return Claimant(None, await asyncio.to_thread(hash_password, password or ""), name)


async def pending_signup(token: str, now: datetime | None = None) -> PendingSignup:
    """The usable sign-up of a link token; ``invalid_token`` for a wrong, used or expired one (one answer)."""
    token = token.strip()
    found = await PendingSignup.get_or_none(token_hash=secret_digest(token)) if 0 < len(token) <= 100 else None
    if found is None or found.used_at is not None or found.expires_at <= (now or datetime.now(UTC)):
        raise SignupRefused("token", INVALID_LINK, code="invalid_token")
    return found


async def _free_slug(wanted: str) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3``… when a tenant took it after the link was mailed."""
    if not await Tenant.exists(slug=wanted):
        return wanted
    for number in range(2, 100):
        candidate = f"{wanted[:59].rstrip('-')}-{number}"
        if not await Tenant.exists(slug=candidate):
            return candidate
    raise SignupRefused("token", SLUG_UNAVAILABLE, code="conflict")


async def confirm_signup(*, token: str, session_user: User | None, password: str | None = None,
                         name: str | None = None) -> tuple[Tenant, User]:
    """Create the business of a sign-up link, with its owner; the link is spent in the same transaction.

    See :func:`claim_address` for who may open it. A slug taken since the mail was sent becomes the first
    free ``slug-N`` (the tenant returned carries it).
    """
    pending = await pending_signup(token)
    claimant = await claim_address(pending.email, session_user=session_user, password=password,
                                   name=pending.user_name if name is None else name)
    now = datetime.now(UTC)
    for _attempt in range(3):
        slug = await _free_slug(pending.tenant_slug)
        try:
            async with in_transaction():
                # Spend the link first, atomically: of two concurrent uses only one updates the row.
                spent = await PendingSignup.filter(id=pending.id, used_at=None, expires_at__gt=now).update(used_at=now)
                if not spent:
                    raise SignupRefused("token", INVALID_LINK, code="invalid_token")
                tenant = await Tenant.create(name=pending.tenant_name, slug=slug, default_language=pending.language)
                user = claimant.user or await User.create(email=pending.email, name=claimant.name,
                                                          password_hash=claimant.password_hash)
                with tenant_scope(tenant.id):
                    await Membership.create(tenant=tenant, user=user, role=Role.OWNER)
        except IntegrityError:
            if await Tenant.exists(slug=slug):
                continue  # another sign-up took the slug at the same moment: try the next one
            raise SignupRefused("token", "Something changed meanwhile; open the link again.", code="conflict") from None
        return tenant, user
    raise SignupRefused("token", SLUG_UNAVAILABLE, code="conflict")

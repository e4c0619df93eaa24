"""Creating a tenant together with its owner: used by sign-up, ``pejling create-tenant`` and the demo."""

from __future__ import annotations

import re

from tortoise.transactions import in_transaction

from pejling.core.auth.passwords import check_strength, hash_password
from pejling.tenants.models import Membership, Role, Tenant, User
from pejling.tenants.scope import all_tenants, tenant_scope

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
LANGUAGES = ("da", "nb", "sv", "en")


class SignupRefused(ValueError):
    """Sign-up input that cannot be accepted; ``field`` names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL.match(email) or len(email) > 254:
        raise SignupRefused("email", "Enter a valid email address.")
    return email


def check_slug(slug: str, field: str = "slug") -> str:
    if not SLUG.match(slug):
        raise SignupRefused(
            field, "Use 1–63 lowercase letters, digits and hyphens, not starting or ending with a hyphen."
        )
    return slug


async def create_tenant_with_owner(
    *, tenant_name: str, tenant_slug: str, email: str, password: str, user_name: str = "", language: str = "en"
) -> tuple[Tenant, User]:
    """Create a tenant and make a new (or existing, password-verified elsewhere) user its owner."""
    tenant_name = tenant_name.strip()
    if not 1 <= len(tenant_name) <= 200:
        raise SignupRefused("tenantName", "Give the business a name of 1–200 characters.")
    check_slug(tenant_slug, "tenantSlug")
    email = normalise_email(email)
    if language not in LANGUAGES:
        raise SignupRefused("language", f"Choose one of {', '.join(LANGUAGES)}.")
    try:
        check_strength(password)
    except ValueError as exc:
        raise SignupRefused("password", str(exc)) from None
    with all_tenants():
        if await Tenant.exists(slug=tenant_slug):
            raise SignupRefused("tenantSlug", "That address is taken; choose another.")
        if await User.exists(email=email):
            raise SignupRefused("email", "An account with this email exists; log in to add a business.")
        async with in_transaction():
            tenant = await Tenant.create(name=tenant_name, slug=tenant_slug, default_language=language)
            user = await User.create(email=email, name=user_name.strip()[:200], password_hash=hash_password(password))
            with tenant_scope(tenant.id):
                await Membership.create(tenant=tenant, user=user, role=Role.OWNER)
    return tenant, user

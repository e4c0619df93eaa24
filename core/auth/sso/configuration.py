"""What a tenant owner configures for single sign-on, checked before anything is stored.

The issuer is checked by discovery (its ``.well-known/openid-configuration`` must name the same issuer), and the
endpoints it lists are stored with the configuration. The client secret is sealed at rest with a purpose bound to
the tenant and the configuration, and is write-only: leaving it out keeps the stored one.
"""

from __future__ import annotations

import re
import unicodedata
from uuid import UUID, uuid4

from pejling.core.auth.sso.models import SsoConfiguration, SsoIdentity, SsoLoginAttempt
from pejling.core.auth.sso.provider import ProviderRefused, discover
from pejling.core.auth.sso.sso_settings import SsoSettings
from pejling.core.secrets_at_rest import fingerprint, seal, unseal
from pejling.core.settings import Settings
from pejling.tenants.models import Role
from pejling.tenants.scope import current_tenant_id

#: Roles a just-in-time member may get: never owner (an owner is chosen by an owner), never store manager (that
#: role needs stores, which the identity provider does not know).
JIT_ROLES = frozenset({Role.ADMIN, Role.ANALYST})
MAX_DOMAINS = 50
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class SsoConfigRefused(ValueError):
    """A configuration that cannot be stored; ``field`` names the input at fault."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


def secret_purpose(tenant_id: UUID, configuration_id: UUID) -> str:
    """What a sealed client secret is bound to: this tenant's configuration row, nothing else."""
    return f"sso.client_secret:{tenant_id}:{configuration_id}"


def client_secret_of(configuration: SsoConfiguration, settings: Settings) -> str:
    """The configuration's client secret, unsealed (for the token request only; never logged or returned)."""
    purpose = secret_purpose(configuration.tenant_id, configuration.id)
    return unseal(configuration.client_secret_sealed, purpose=purpose, settings=settings)


def _plain(value: str, field: str, limit: int) -> str:
    value = value.strip()
    if not value or len(value) > limit or any(unicodedata.category(ch).startswith("C") for ch in value):
        raise SsoConfigRefused("invalid", f"Give a value of at most {limit} printable characters.", field)
    return value


def email_domains(values: list[str]) -> list[str]:
    """The allowed email domains, lower-case and without a leading ``@``; refused unless each is a domain name."""
    if not values or len(values) > MAX_DOMAINS:
        raise SsoConfigRefused("invalid", f"Give between 1 and {MAX_DOMAINS} email domains.", "allowedEmailDomains")
    domains: list[str] = []
    for raw in values:
        domain = raw.strip().lower().removeprefix("@")
        if len(raw) > 253 or not DOMAIN.match(domain):
            raise SsoConfigRefused("invalid", "Each email domain must be a domain name such as example.com.",
                                   "allowedEmailDomains")
        if domain not in domains:
            domains.append(domain)
    return domains


async def current_configuration() -> SsoConfiguration | None:
    """The current tenant's configuration, if it has one."""
    return await SsoConfiguration.get_or_none()


async def configure_sso(
    settings: Settings, sso_settings: SsoSettings, *, issuer: str, client_id: str, client_secret: str | None,
    allowed_domains: list[str], default_role: Role, sso_only: bool,
) -> SsoConfiguration:
    """Create or replace the current tenant's configuration; :class:`SsoConfigRefused` changes nothing."""
    client_id = _plain(client_id, "clientId", 255)
    if client_secret is not None:
        client_secret = _plain(client_secret, "clientSecret", 1000)
    domains = email_domains(allowed_domains)
    if default_role not in JIT_ROLES:
        raise SsoConfigRefused("invalid", "New members from single sign-on can be admins or analysts.", "defaultRole")
    existing = await current_configuration()
    if client_secret is None and existing is None:
        raise SsoConfigRefused("invalid", "Give the client secret the identity provider issued.", "clientSecret")
    if len(issuer) > 500:
        raise SsoConfigRefused("invalid", "The issuer URL is too long.", "issuer")
    try:
        endpoints = await discover(issuer, sso_settings)
    except ProviderRefused as exc:
        raise SsoConfigRefused("invalid", exc.message, "issuer") from None
    configuration = existing or SsoConfiguration(id=uuid4())
    configuration.issuer = endpoints.issuer
    configuration.authorization_endpoint = endpoints.authorization_endpoint
    configuration.token_endpoint = endpoints.token_endpoint
    configuration.jwks_uri = endpoints.jwks_uri
    configuration.client_id = client_id
    configuration.allowed_domains = domains
    configuration.default_role = default_role
    configuration.sso_only = sso_only
    if client_secret is not None:
        purpose = secret_purpose(current_tenant_id(), configuration.id)
        configuration.client_secret_sealed = seal(client_secret, purpose=purpose, settings=settings)
        configuration.client_secret_fingerprint = fingerprint(client_secret)
    await configuration.save()
    return configuration


async def disable_sso() -> bool:
    """Remove the current tenant's configuration, its sealed secret and the accounts' bindings to the provider's
    subjects (a provider configured later starts afresh); True when there was one."""
    await SsoLoginAttempt.filter().delete()
    await SsoIdentity.filter().delete()
    return await SsoConfiguration.filter().delete() > 0

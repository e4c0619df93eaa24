"""Process-wide settings of single sign-on, from the environment with the prefix ``PEJLING_SSO_``."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from pejling.core.settings import SettingsWithSecretFiles


class SsoSettings(SettingsWithSecretFiles):
    """How Pejling talks to the retailers' identity providers."""

    model_config = SettingsConfigDict(env_prefix="PEJLING_SSO_", extra="ignore")

    allow_http_issuers: bool = False
    """Accept ``http://`` issuers and endpoints: for tests against a provider on the loopback, never in production."""
    allow_private_issuers: bool = False
    """Call identity providers at private, loopback or other internal addresses: for tests against a provider on the
    loopback, never in a multi-tenant production (a tenant's issuer URL would reach the internal network)."""
    timeout_seconds: float = 10.0
    """How long one call to an identity provider (discovery, JWKS, token) may take."""
    login_seconds: int = 600
    """How long a started login may take at the identity provider before its state expires."""
    clock_leeway_seconds: int = 60
    """Clock skew tolerated on an ID token's ``exp``, ``iat`` and ``nbf``."""


@lru_cache(maxsize=1)
def get_sso_settings() -> SsoSettings:
    """The SSO settings of this process (read once; ``get_sso_settings.cache_clear()`` re-reads them)."""
    return SsoSettings()

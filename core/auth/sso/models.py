"""A tenant's single sign-on configuration and its pending logins."""

from __future__ import annotations

from typing import Any

from tortoise import fields

from pejling.tenants.models import Role
from pejling.tenants.scope import TenantModel


class SsoConfiguration(TenantModel):
    """A tenant's OpenID Connect identity provider. The client secret is sealed (never returned, never logged)."""

    id = fields.UUIDField(primary_key=True)
    issuer = fields.CharField(max_length=500)
    authorization_endpoint = fields.CharField(max_length=1000)
    token_endpoint = fields.CharField(max_length=1000)
    jwks_uri = fields.CharField(max_length=1000)
    client_id = fields.CharField(max_length=255)
    client_secret_sealed = fields.TextField()
    client_secret_fingerprint = fields.CharField(max_length=20)
    allowed_domains: Any = fields.JSONField(default=list)
    default_role = fields.CharEnumField(Role, max_length=20, default=Role.ANALYST)
    sso_only = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "sso_configuration"
        unique_together = (("tenant",),)


class SsoLoginAttempt(TenantModel):
    """A login at the identity provider, not back yet: state digest, nonce, PKCE verifier. Used once, then deleted."""

    id = fields.UUIDField(primary_key=True)
    state_hash = fields.CharField(max_length=64, unique=True)
    nonce = fields.CharField(max_length=100)
    code_verifier = fields.CharField(max_length=128)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "sso_login_attempt"

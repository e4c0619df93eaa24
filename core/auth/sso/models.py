"""A tenant's single sign-on configuration and its pending logins."""

from __future__ import annotations

from typing import Any

from tortoise import fields

from pejling.tenants.models import Role
from pejling.tenants.scope import TenantModel


class SsoConfiguration(TenantModel):
    """A tenant's OpenID Connect identity provider. The client secret is sealed (never returned, never logged)."""

    #: Sealed columns (core/secrets_at_rest.py), resealed by ``pejling rotate-keys``.
    SEALED_FIELDS = ("client_secret_sealed",)
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


class SsoIdentity(TenantModel):
    """Which person at the tenant's identity provider (issuer and ``sub``, the provider's stable id) an account is.

    Made at the first SSO login of an account; afterwards that account signs in only as that person, so a provider
    that gives a departed employee's email address to someone new does not hand them the old account.
    """

    id = fields.UUIDField(primary_key=True)
    issuer = fields.CharField(max_length=500)
    subject = fields.CharField(max_length=255)
    user: Any = fields.ForeignKeyField("tenants.User", related_name="sso_identities", on_delete=fields.CASCADE)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sso_identity"
        unique_together = (("tenant", "issuer", "subject"), ("tenant", "issuer", "user"))


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

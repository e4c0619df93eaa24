"""Accounts: login sessions, integrator API tokens, password-reset tokens, failed-login records and two-step login.

Secrets are never stored: each table keeps only the SHA-256 of a high-entropy random value, so a
copy of the database does not let anyone log in or call the API. The one exception is the TOTP secret of two-step
login, which the server must read to check a code: it is sealed at rest (:mod:`pejling.core.secrets_at_rest`).
"""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

from tortoise import fields
from tortoise.models import Model

from pejling.tenants.scope import TenantModel


class Session(Model):
    """A logged-in browser. The cookie holds a random secret, the row only its SHA-256."""

    id = fields.UUIDField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    user: Any = fields.ForeignKeyField("tenants.User", related_name="sessions", on_delete=fields.CASCADE)
    user_id: UUID
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(db_index=True)
    last_seen_at = fields.DatetimeField()
    user_agent = fields.CharField(max_length=120, default="")
    #: Opened by single sign-on (the identity provider handled the second factor), not by a password.
    via_sso = fields.BooleanField(default=False)

    class Meta:
        table = "auth_session"


class ApiToken(TenantModel):
    """An integrator token of one tenant, sent as Authorization Bearer. Acts with the rights of its creator."""

    id = fields.UUIDField(primary_key=True)
    name = fields.CharField(max_length=100)
    prefix = fields.CharField(max_length=16)
    secret_hash = fields.CharField(max_length=64, unique=True)
    scopes: Any = fields.JSONField(default=list)
    created_by: Any = fields.ForeignKeyField("tenants.User", related_name="api_tokens", on_delete=fields.CASCADE)
    created_by_id: UUID
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "auth_api_token"


class PasswordResetToken(Model):
    """A single-use link sent by email to set a new password."""

    id = fields.UUIDField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    user: Any = fields.ForeignKeyField("tenants.User", related_name="password_resets", on_delete=fields.CASCADE)
    user_id: UUID
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "auth_password_reset"


class LoginFailure(Model):
    """One failed login, filed under a keyed hash of the email or of the client address (never in clear)."""

    id = fields.UUIDField(primary_key=True)
    key = fields.CharField(max_length=80, db_index=True)
    failed_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "auth_login_failure"


class TotpCredential(Model):
    """A person's authenticator app (TOTP, RFC 6238): one per user, pending until a first code confirms it.

    ``last_used_step`` is the time step of the last accepted code: a code is accepted only for a later step, so
    each code logs in once.
    """

    SEALED_FIELDS = ("secret_sealed",)

    id = fields.UUIDField(primary_key=True)
    user: Any = fields.OneToOneField("tenants.User", related_name="totp_credential", on_delete=fields.CASCADE)
    user_id: UUID
    secret_sealed = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)
    confirmed_at = fields.DatetimeField(null=True)
    last_used_step = fields.BigIntField(default=0)

    class Meta:
        table = "auth_totp_credential"


class RecoveryCode(Model):
    """A single-use code that stands in for the authenticator app, only its SHA-256 is kept."""

    id = fields.UUIDField(primary_key=True)
    user: Any = fields.ForeignKeyField("tenants.User", related_name="recovery_codes", on_delete=fields.CASCADE)
    user_id: UUID
    code_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "auth_recovery_code"


def secret_digest(secret: str) -> str:
    """The SHA-256 (hex) kept in place of a random secret. High-entropy secrets need no slow hash."""
    return hashlib.sha256(secret.encode()).hexdigest()

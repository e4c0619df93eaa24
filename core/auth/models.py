"""Accounts: login sessions, integrator API tokens, password-reset tokens and failed-login records.

Secrets are never stored: each table keeps only the SHA-256 of a high-entropy random value, so a
copy of the database does not let anyone log in or call the API.
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


def secret_digest(secret: str) -> str:
    """The SHA-256 (hex) kept in place of a random secret. High-entropy secrets need no slow hash."""
    return hashlib.sha256(secret.encode()).hexdigest()

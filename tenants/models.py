"""Tenants (retailers), their people and their stores.

``Tenant`` and ``User`` are global; everything else belongs to one tenant and is only reachable
inside that tenant's scope (see :mod:`pejling.tenants.scope`).
"""

from __future__ import annotations

import enum
from typing import Any
from uuid import UUID

from tortoise import fields
from tortoise.models import Model

from pejling.tenants.scope import TenantModel


class Role(enum.StrEnum):
    """What a member may do in a tenant. Ordered from most to least powerful."""

    OWNER = "owner"
    ADMIN = "admin"
    ANALYST = "analyst"
    STORE_MANAGER = "store_manager"


class Tenant(Model):
    """A retailer: a chain or a single store, with its own users, stores, surveys and data."""

    id = fields.UUIDField(primary_key=True)
    name = fields.CharField(max_length=200)
    slug = fields.CharField(max_length=63, unique=True)
    default_language = fields.CharField(max_length=5, default="en")
    brand_colour = fields.CharField(max_length=7, default="#1f5f8b")
    logo: Any = fields.BinaryField(null=True)
    logo_type = fields.CharField(max_length=20, null=True)
    logo_version = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "tenant"


class User(Model):
    """A person who logs in to the portal. One user may be a member of several tenants."""

    id = fields.UUIDField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    name = fields.CharField(max_length=200, default="")
    password_hash = fields.CharField(max_length=255)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_login_at = fields.DatetimeField(null=True)

    class Meta:
        table = "user"


class Membership(TenantModel):
    """A user role in one tenant. A store manager only sees the stores listed in store_ids."""

    id = fields.UUIDField(primary_key=True)
    user: Any = fields.ForeignKeyField("tenants.User", related_name="memberships", on_delete=fields.CASCADE)
    user_id: UUID
    role = fields.CharEnumField(Role, max_length=20)
    store_ids: Any = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "membership"
        unique_together = (("tenant", "user"),)


class Store(TenantModel):
    """A physical store of a tenant."""

    id = fields.UUIDField(primary_key=True)
    name = fields.CharField(max_length=200)
    slug = fields.CharField(max_length=63)
    address = fields.CharField(max_length=500, default="")
    timezone = fields.CharField(max_length=64, default="Europe/Copenhagen")
    default_language = fields.CharField(max_length=5, default="en")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "store"
        unique_together = (("tenant", "slug"),)


class Zone(TenantModel):
    """A place inside a store (entrance, checkout, fitting room…), the unit a QR code or NFC tag points at."""

    id = fields.UUIDField(primary_key=True)
    store: Any = fields.ForeignKeyField("tenants.Store", related_name="zones", on_delete=fields.CASCADE)
    store_id: UUID
    name = fields.CharField(max_length=200)
    kind = fields.CharField(max_length=40, default="other")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "zone"

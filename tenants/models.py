"""Tenants (retailers), their people and their stores.

``Tenant`` and ``User`` are global; everything else belongs to one tenant and is only reachable
inside that tenant's scope (see :mod:`pejling.tenants.scope`).
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from typing import Any
from uuid import UUID

from tortoise import fields
from tortoise.models import Model
from tortoise.queryset import QuerySet

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
    # Stored responses per client address and store per 10 minutes (core/surveys/rate_limit.py); null: the default.
    submission_limit = fields.IntField(null=True)
    # Months shopper responses are kept (core/surveys/retention.py); null: until erased. Older ones are anonymised
    # or deleted as retention_mode says.
    retention_months = fields.IntField(null=True)
    retention_mode = fields.CharField(max_length=16, default="anonymise")
    #: Members who log in with a password must have two-step login before they may work in this tenant.
    require_two_step = fields.BooleanField(default=False)
    # Counted up by database triggers on every change of what the tenant's survey pages show (stores, zones, plugin
    # settings, surveys, their versions and statements; tenants/migrations/0008_content_stamp.py): the survey page
    # cache checks it on each request (core/surveys/page_cache.py). Never written by the application.
    content_stamp = fields.BigIntField(default=0)
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
    #: Set while the password is one the system generated (``pejling create-tenant`` without ``--password``): a
    #: password session can then only change it, and from this time on it no longer logs in. Null once the person
    #: chose their own (core/auth/generated_passwords.py).
    generated_password_expires_at = fields.DatetimeField(null=True)

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
    # Stored responses per client address per 10 minutes; null: the tenant's setting.
    submission_limit = fields.IntField(null=True)
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


def stores_visible_to(store_ids: Collection[UUID] | None) -> QuerySet[Store]:
    """The current tenant's stores a member may see: a store manager's own (``store_ids``), or all for ``None``.

    Every path that shows stores to a member goes through this (or :func:`zones_visible_to`), so a store
    manager never sees another store's name, address or zones, whichever object led there.
    """
    query = Store.all()
    return query if store_ids is None else query.filter(id__in=list(store_ids))


def zones_visible_to(store_ids: Collection[UUID] | None) -> QuerySet[Zone]:
    """The current tenant's zones in the stores a member may see (see :func:`stores_visible_to`)."""
    query = Zone.all()
    return query if store_ids is None else query.filter(store_id__in=list(store_ids))


class Invitation(TenantModel):
    """An offer of a role in one tenant, mailed to an address. It becomes a membership only once accepted.

    The link carries a random token; only its SHA-256 is stored. It works once, until ``expires_at``.
    """

    id = fields.UUIDField(primary_key=True)
    email = fields.CharField(max_length=254, db_index=True)
    role = fields.CharEnumField(Role, max_length=20)
    store_ids: Any = fields.JSONField(default=list)
    token_hash = fields.CharField(max_length=64, unique=True)
    invited_by: Any = fields.ForeignKeyField("tenants.User", related_name="invitations_sent", null=True,
                                             on_delete=fields.SET_NULL)
    invited_by_id: UUID | None
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    accepted_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "invitation"


class PendingSignup(Model):
    """A sign-up waiting for the person to open the link mailed to the address. Global: no tenant exists yet.

    Nothing else is created before the link is opened, so a sign-up answers the same whether or not the
    address already has an account. The link's token is kept only as its SHA-256.
    """

    id = fields.UUIDField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    email = fields.CharField(max_length=254, db_index=True)
    tenant_name = fields.CharField(max_length=200)
    tenant_slug = fields.CharField(max_length=63)
    user_name = fields.CharField(max_length=200, default="")
    language = fields.CharField(max_length=5, default="en")
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(db_index=True)
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "pending_signup"

"""Passwords the system generates for a person: random, short-lived, and to be changed on first use (ASVS V6.4.1).

``pejling create-tenant`` without ``--password`` makes the owner's password with :func:`generate_password` (128
random bits) and marks it: the owner is created with ``User.generated_password_expires_at`` at :func:`expiry`,
:data:`LIFETIME` from now (:func:`pejling.tenants.signup.create_tenant_with_owner`). While the mark is there:

* a session opened with the password (directly, or after a two-step code) reaches only ``me``, ``changePassword``
  and ``logout`` (:mod:`pejling.graphql.password_change_rule`; downloads and plugin routes answer 403
  ``password_change_required``). Sessions opened by single sign-on are not limited: they did not use the password.
* after the expiry the password no longer logs in (``password_expired``,
  :func:`pejling.core.auth.accounts.authenticate`) and cannot be changed with ``changePassword`` either: a password
  reset by email is the way in.

Any password the person chooses themselves (``changePassword``, a password reset) clears the mark
(:func:`pejling.core.auth.accounts.set_password`). A password an operator typed is not marked. The demo's logins
(``pejling demo``) are not marked either: they are printed again on every run for local use (docs/security.md).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from pejling.tenants.models import User

#: How long a generated password logs in: long enough for an operator to hand it over across a weekend.
LIFETIME = timedelta(hours=72)
EXPIRED_MESSAGE = ("This password was generated for you and has expired. Ask for a new one with "
                    "\"Forgot your password?\" on the login page.")


def generate_password() -> str:
    """A fresh random password: 16 bytes (128 bits) from the CSPRNG, URL-safe base64 (22 characters)."""
    return secrets.token_urlsafe(16)


def expiry(now: datetime | None = None) -> datetime:
    """When a password generated now stops logging in (the value of ``User.generated_password_expires_at``)."""
    return (now or datetime.now(UTC)) + LIFETIME


def must_change(user: User) -> bool:
    """True while the person's password is one the system generated (they have not chosen their own yet)."""
    return user.generated_password_expires_at is not None


def expired(user: User, now: datetime | None = None) -> bool:
    """True when the person's password is a generated one past its expiry."""
    expires_at = user.generated_password_expires_at
    return expires_at is not None and expires_at <= (now or datetime.now(UTC))

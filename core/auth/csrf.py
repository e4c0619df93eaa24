"""CSRF protection for cookie-authenticated requests.

A double-submit token bound to the session: ``HMAC(secret key, session id)``. The browser reads it
from the ``__Host-csrf_token`` cookie (``csrf_token`` over plain HTTP; not HttpOnly) or from
``me { csrfToken }`` and sends it back in the
``X-CSRF-Token`` header. Requests authenticated by an API token (``Authorization: Bearer``) need none:
a browser never adds that header on its own. Cross-site ``Origin`` headers are refused as well.
"""

from __future__ import annotations

import hashlib
import hmac
from uuid import UUID

from pejling.core.settings import Settings

CSRF_COOKIE = "csrf_token"
"""The CSRF cookie's name over plain HTTP (local development)."""
SECURE_CSRF_COOKIE = "__Host-csrf_token"
"""Its name over HTTPS: the ``__Host-`` prefix makes the browser accept it only with Secure, Path=/ and no Domain."""
CSRF_HEADER = "x-csrf-token"


def csrf_cookie_name(secure: bool) -> str:
    """The CSRF cookie's name: ``__Host-csrf_token`` over HTTPS, ``csrf_token`` over plain HTTP."""
    return SECURE_CSRF_COOKIE if secure else CSRF_COOKIE


def csrf_token_for(settings: Settings, session_id: UUID) -> str:
    """The CSRF token of one session (stable for the session, useless for any other)."""
    return hmac.new(settings.secret_bytes(), f"csrf:{session_id}".encode(), hashlib.sha256).hexdigest()


def csrf_token_valid(settings: Settings, session_id: UUID, token: str | None) -> bool:
    """Constant-time check of a token sent back by the browser."""
    if not token:
        return False
    return hmac.compare_digest(csrf_token_for(settings, session_id), token.strip())

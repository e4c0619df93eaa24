"""Shopify's signatures, checked as Shopify documents them, in constant time.

* An install or OAuth callback request carries ``hmac``: the hex HMAC-SHA256, keyed with the app's client secret, of
  the query's other parameters sorted by name and joined as ``name=value`` with ``&``.
* A webhook carries ``X-Shopify-Hmac-SHA256``: the base64 HMAC-SHA256 of the raw request body, keyed the same way.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable

SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")


def valid_shop(shop: object) -> bool:
    """Whether ``shop`` is a shop's ``….myshopify.com`` domain (and nothing else: no scheme, port or path)."""
    return isinstance(shop, str) and len(shop) <= 255 and SHOP_DOMAIN.match(shop) is not None


def query_message(pairs: Iterable[tuple[str, str]]) -> str:
    """The signed message of a query: every parameter but ``hmac`` (and the legacy ``signature``), sorted."""
    kept = sorted((k, v) for k, v in pairs if k not in ("hmac", "signature"))
    return "&".join(f"{k}={v}" for k, v in kept)


def query_signature(secret: str, pairs: Iterable[tuple[str, str]]) -> str:
    """The hex ``hmac`` Shopify puts on a query with these parameters."""
    return hmac.new(secret.encode(), query_message(pairs).encode(), hashlib.sha256).hexdigest()


def query_signed(secret: str, pairs: list[tuple[str, str]]) -> bool:
    """Whether the query's ``hmac`` (given once) is Shopify's signature of its other parameters."""
    given = [v for k, v in pairs if k == "hmac"]
    if not secret or len(given) != 1:
        return False
    return hmac.compare_digest(given[0].lower().encode(), query_signature(secret, pairs).encode())


def body_signature(secret: str, body: bytes) -> str:
    """The base64 ``X-Shopify-Hmac-SHA256`` of a webhook body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def body_signed(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is the signature of the raw ``body``."""
    if not secret or not header:
        return False
    return hmac.compare_digest(header.strip().encode(), body_signature(secret, body).encode())

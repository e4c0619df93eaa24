"""The signature of a Vipps MobilePay webhook (Webhooks API), checked on the raw body before anything is read.

Vipps sends ``x-ms-date``, ``x-ms-content-sha256`` (base64 of the SHA-256 of the body) and ``Authorization:
HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=<base64 HMAC-SHA256>`` over the string to sign
``POST\\n<path and query>\\n<x-ms-date>;<host>;<content hash>``, keyed with the webhook's secret. Every comparison is
constant-time; a date more than :data:`MAX_SKEW` away from now is refused, so a captured request cannot be replayed
later (a replay inside the window is caught by the event's idempotency key).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

MAX_SKEW = timedelta(minutes=5)
"""How far ``x-ms-date`` may be from the receiver's clock, either way."""
SIGNED_HEADERS = "x-ms-date;host;x-ms-content-sha256"
_PREFIX = f"HMAC-SHA256 SignedHeaders={SIGNED_HEADERS}&Signature="


class SignatureInvalid(ValueError):
    """A webhook whose signature, content hash or date does not hold; the reason is for the log, never the caller."""


def content_hash(body: bytes) -> str:
    """``x-ms-content-sha256`` of ``body``: base64 of its SHA-256."""
    return base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def string_to_sign(path_and_query: str, date: str, host: str, hashed: str) -> str:
    """The text Vipps signs: method, path with query, and the three signed headers' values."""
    return f"POST\n{path_and_query}\n{date};{host};{hashed}"


def signature(secret: str, path_and_query: str, date: str, host: str, hashed: str) -> str:
    """Base64 of the HMAC-SHA256 of the string to sign, keyed with the webhook secret."""
    mac = hmac.new(secret.encode(), string_to_sign(path_and_query, date, host, hashed).encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode("ascii")


def signed_headers(
    secret: str, path_and_query: str, host: str, body: bytes, now: datetime | None = None
) -> dict[str, str]:
    """The headers Vipps sends with ``body`` (what the tests' sender and a local Vipps use)."""
    date = format_datetime(now or datetime.now(UTC), usegmt=True)
    hashed = content_hash(body)
    return {
        "x-ms-date": date,
        "x-ms-content-sha256": hashed,
        "host": host,
        "authorization": _PREFIX + signature(secret, path_and_query, date, host, hashed),
    }


def verify(secret: str, path_and_query: str, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
    """Raise :class:`SignatureInvalid` unless ``body`` and ``headers`` are a fresh request signed with ``secret``."""
    date = headers.get("x-ms-date", "")
    hashed = headers.get("x-ms-content-sha256", "")
    host = headers.get("host", "")
    authorization = headers.get("authorization", "")
    if not (date and hashed and host and authorization):
        raise SignatureInvalid("a signed header is missing")
    if not hmac.compare_digest(hashed.encode(), content_hash(body).encode()):
        raise SignatureInvalid("the content hash does not match the body")
    try:
        sent = parsedate_to_datetime(date)
    except (TypeError, ValueError):
        raise SignatureInvalid("x-ms-date is not a date") from None
    if sent.tzinfo is None or abs(now - sent) > MAX_SKEW:
        raise SignatureInvalid("x-ms-date is stale")
    expected = _PREFIX + signature(secret, path_and_query, date, host, hashed)
    if not hmac.compare_digest(authorization.encode(), expected.encode()):
        raise SignatureInvalid("the signature does not match")

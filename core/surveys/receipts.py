"""Receipt codes: a short code shown on the thank-you screen so a shopper can later ask for their answers.

Seven characters (``K7Q-4MZ``) from an alphabet without look-alikes (no 0/O, 1/I/L or U/V),
unique per tenant (a database constraint; a clash, about one in 594 million per pair, is retried).
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
LENGTH = 6
RECEIPT = re.compile(rf"^[{ALPHABET}]{{3}}-[{ALPHABET}]{{3}}$")


def new_receipt_code() -> str:
    """A fresh random receipt code such as ``K7Q-4MZ``."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{raw[:3]}-{raw[3:]}"


def normalise_receipt_code(text: str) -> str | None:
    """What a shopper typed, read generously (case, spaces, a missing dash), or None when it cannot be one."""
    cleaned = re.sub(r"[\s\-_.]", "", text.upper())
    if len(cleaned) != LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return f"{cleaned[:3]}-{cleaned[3:]}"

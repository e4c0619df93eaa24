"""Text a database column can hold: no control characters and no lone surrogates.

PostgreSQL refuses a NUL in text and in JSON, and a lone surrogate is not UTF-8 at all; a control character is never
part of a sane name or setting either. Input layers check with these before anything is stored, so such input is a
typed error on its field instead of a database error.
"""

from __future__ import annotations

import unicodedata
from typing import Any

#: Unicode categories refused: control characters (Cc) and surrogates (Cs).
_UNSTORABLE = ("Cc", "Cs")


def has_unstorable(text: str) -> bool:
    """True when ``text`` holds a control character or a lone surrogate."""
    return any(unicodedata.category(ch) in _UNSTORABLE for ch in text)


def first_unstorable(value: Any, path: str) -> str | None:
    """The dotted path (from ``path``) of the first text, key or value, in JSON-like ``value`` that
    :func:`has_unstorable`; None when there is none."""
    if isinstance(value, str):
        return path if has_unstorable(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = first_unstorable(str(key), f"{path}.{key}") or first_unstorable(item, f"{path}.{key}")
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = first_unstorable(item, f"{path}.{index}")
            if found:
                return found
    return None

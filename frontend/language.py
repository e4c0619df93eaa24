"""The shopper's language: negotiation from ``Accept-Language`` and the UI texts of each language."""

from __future__ import annotations

import tomllib
from functools import cache

from babel.core import negotiate_locale

from pejling.core.languages import LANGUAGES
from pejling.frontend import FRONTEND_DIR

DEFAULT_LANGUAGE = "en"

# Norwegian without a written standard ("no") and Nynorsk ("nn") are served in Bokmål.
_ALIASES = {"no": "nb", "nn": "nb"}


def _preferences(accept_language: str) -> list[str]:
    """Language tags of an ``Accept-Language`` header, most preferred first (q=0 dropped)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().replace("_", "-").lower()
        if not tag or tag == "*" or len(tag) > 35:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            primary, _, rest = tag.partition("-")
            primary = _ALIASES.get(primary, primary)
            ranked.append((-quality, index, f"{primary}-{rest}" if rest else primary))
    return [tag for _, _, tag in sorted(ranked)]


def negotiate_language(accept_language: str | None) -> str | None:
    """The best of :data:`LANGUAGES` for an ``Accept-Language`` header, or None when none fits."""
    if not accept_language:
        return None
    found = negotiate_locale(_preferences(accept_language), list(LANGUAGES), sep="-")
    return found if found in LANGUAGES else None


def pick_language(requested: str | None, accept_language: str | None, fallback: str | None = None) -> str:
    """An explicit choice (``?lang=``) first, then the browser's preference, then ``fallback``, then English."""
    if requested in LANGUAGES:
        return str(requested)
    negotiated = negotiate_language(accept_language)
    if negotiated:
        return negotiated
    return str(fallback) if fallback in LANGUAGES else DEFAULT_LANGUAGE


@cache
def messages(language: str) -> dict[str, str]:
    """The UI texts of one language (``frontend/messages/<language>.toml``)."""
    if language not in LANGUAGES:
        language = DEFAULT_LANGUAGE
    with (FRONTEND_DIR / "messages" / f"{language}.toml").open("rb") as file:
        return {key: str(value) for key, value in tomllib.load(file).items()}


def language_names() -> dict[str, str]:
    """Each language's own name, for the language switch."""
    return {code: messages(code)["language_name"] for code in LANGUAGES}

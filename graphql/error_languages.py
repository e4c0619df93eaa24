"""Error messages in the caller's language: English in the code, translated when a response is written.

A :class:`~pejling.graphql.errors.UserError`'s ``message`` and an
:class:`~pejling.graphql.errors.ApiError`'s message are written in English; the API answers them in the language of
the request's ``Accept-Language`` (negotiated as for the survey pages: Danish, Norwegian Bokmål, Swedish, else
English as before). ``code`` and ``field`` never change.

The catalogs are gettext ``.po`` files, ``graphql/messages/<language>.po``, read with babel (no compile step),
keyed by the English text. A message with values is keyed by its template (``"Use at least {min_length}
characters."``, see :mod:`pejling.graphql.error_sources`): the values are read back from the English message and
put into the translation. A message made of several sentences that has no entry of its own is translated sentence
by sentence. Anything without an entry stays English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Formatter
from typing import Any

from babel.messages.pofile import read_po

from pejling.frontend.language import negotiate_language

MESSAGES_DIR = Path(__file__).resolve().parent / "messages"
#: The languages with a catalog; English is the source.
TRANSLATED = ("da", "nb", "sv")
#: Messages kept English on purpose: the automatic-persisted-query protocol's own, which clients (Apollo) match.
ENGLISH_ONLY = frozenset({"PersistedQueryNotFound", "provided sha does not match query"})
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z'\"(])")


@dataclass(frozen=True)
class _Template:
    pattern: re.Pattern[str]
    translation: str
    literal_length: int


@cache
def catalog(language: str) -> dict[str, str]:
    """English message (or template) to its translation in ``language``; empty for English or an unknown language."""
    if language not in TRANSLATED:
        return {}
    with (MESSAGES_DIR / f"{language}.po").open("rb") as file:
        entries = read_po(file, locale=language)
    return {str(entry.id): str(entry.string) for entry in entries
            if entry.id and entry.string and not entry.fuzzy}


def _parsed(template: str) -> list[tuple[str, str | None]]:
    return [(literal, name) for literal, name, _, _ in Formatter().parse(template)]


@cache
def _exact(language: str) -> dict[str, str]:
    """The entries without values, keyed by their plain text."""
    plain: dict[str, str] = {}
    for source, translation in catalog(language).items():
        parts = _parsed(source)
        if all(name is None for _, name in parts):
            plain["".join(literal for literal, _ in parts)] = "".join(literal for literal, _ in _parsed(translation))
    return plain


@cache
def _templates(language: str) -> list[_Template]:
    """The entries with values as patterns that read the values back, the most specific (most literal text) first."""
    found: list[_Template] = []
    for source, translation in catalog(language).items():
        parts = _parsed(source)
        if all(name is None for _, name in parts):
            continue
        pattern = "".join(re.escape(literal) + (f"(?P<{name}>.*?)" if name else "") for literal, name in parts)
        found.append(_Template(re.compile(pattern + r"\Z", re.DOTALL), translation,
                               sum(len(literal) for literal, _ in parts)))
    return sorted(found, key=lambda template: -template.literal_length)


def _whole(message: str, language: str) -> str | None:
    exact = _exact(language).get(message)
    if exact is not None:
        return exact
    for template in _templates(language):
        matched = template.pattern.match(message)
        # a value never spans sentences: "... you have 3. The Pro plan allows it." is two messages, not one
        if matched and not any(_SENTENCE_END.search(value) for value in matched.groupdict().values()):
            return template.translation.format(**matched.groupdict())
    return None


def translate(message: str, language: str | None) -> str:
    """``message`` (English) in ``language``; unchanged for English, an unknown language or a message not in its
    catalog."""
    if not message or language not in TRANSLATED or message in ENGLISH_ONLY:
        return message
    whole = _whole(message, language)
    if whole is not None:
        return whole
    sentences = _SENTENCE_END.split(message)
    if len(sentences) == 1:
        return message
    return " ".join(_whole(sentence, language) or sentence for sentence in sentences)


def request_language(context: Any) -> str | None:
    """The language a GraphQL request asks for (``Accept-Language``), or None for English; worked out once per
    request."""
    extra: dict[str, Any] | None = getattr(context, "extra", None)
    if extra is not None and "language" in extra:
        return extra["language"]
    request = getattr(context, "request", None)
    headers = getattr(request, "headers", None)
    language = negotiate_language(headers.get("accept-language") if headers is not None else None)
    if extra is not None:
        extra["language"] = language
    return language

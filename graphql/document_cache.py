"""A parse and validation cache bounded by the size of what it keeps, not by the number of entries.

strawberry's ``ParserCache`` and ``ValidationCache`` (and a plain ``lru_cache``) keep the last N documents
whatever their size. A parsed document of 2000 tokens is ~10 000 Python objects (nodes, locations and the
linked list of tokens), so 512 distinct large documents, 10 MB of anonymous requests, kept 5 million
objects alive, and every full garbage collection of the process then stopped the event loop for over a
second. Here only queries up to :data:`MAX_CACHED_QUERY_CHARS` are kept, :data:`MAX_CACHED_CHARS` in all,
least recently used first out; larger documents are parsed and validated each time (a few milliseconds).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from strawberry.extensions import SchemaExtension

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSyntaxError, parse
from pejling.core.security_events import refused

#: Longest query text that is cached (the app's own queries are far shorter).
MAX_CACHED_QUERY_CHARS = 8 * 1024
#: Total length of the cached query texts (~450 Python objects per cached KB).
MAX_CACHED_CHARS = 128 * 1024

Rules = tuple[type[ASTValidationRule], ...]


@dataclass
class _Entry:
    document: DocumentNode
    size: int
    validations: dict[Rules, list[GraphQLError]] = field(default_factory=dict)
    derived: dict[str, Any] = field(default_factory=dict)


class DocumentCache:
    """Parsed documents by query text and parse options, each with its validation results by rule set."""

    def __init__(self, max_chars: int = MAX_CACHED_CHARS, max_query_chars: int = MAX_CACHED_QUERY_CHARS) -> None:
        self.max_chars = max_chars
        self.max_query_chars = max_query_chars
        self._entries: OrderedDict[tuple[str, tuple[tuple[str, Any], ...]], _Entry] = OrderedDict()
        self._by_document: dict[int, _Entry] = {}
        self._chars = 0

    @property
    def cached_chars(self) -> int:
        return self._chars

    def __len__(self) -> int:
        return len(self._entries)

    def parse(self, query: str, options: Mapping[str, Any]) -> DocumentNode:
        """The document of ``query``: from the cache, or parsed (raising ``GraphQLSyntaxError``) and kept if small."""
        key = (query, tuple(sorted(options.items())))
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            return entry.document
        document = parse(query, **options)
        if len(query) <= self.max_query_chars:
            self._add(key, _Entry(document=document, size=len(query)))
        return document

    def validate(self, document: DocumentNode, rules: Rules, run: Callable[[], list[GraphQLError]]
                 ) -> list[GraphQLError]:
        """``run()``'s errors for a document, remembered while the document is cached."""
        entry = self._by_document.get(id(document))
        if entry is None or entry.document is not document:
            return run()
        errors = entry.validations.get(rules)
        if errors is None:
            errors = entry.validations[rules] = run()
        return errors

    def derived(self, document: DocumentNode, name: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` for a document (a measurement of it), remembered under ``name`` while it is cached."""
        entry = self._by_document.get(id(document))
        if entry is None or entry.document is not document:
            return compute()
        if name not in entry.derived:
            entry.derived[name] = compute()
        return entry.derived[name]

    def _add(self, key: tuple[str, tuple[tuple[str, Any], ...]], entry: _Entry) -> None:
        self._entries[key] = entry
        self._by_document[id(entry.document)] = entry
        self._chars += entry.size
        while self._chars > self.max_chars:
            _, evicted = self._entries.popitem(last=False)
            del self._by_document[id(evicted.document)]
            self._chars -= evicted.size


#: How graphql-core begins the syntax error of a document over ``max_tokens`` (strawberry's ``MaxTokensLimiter``).
TOO_MANY_TOKENS = "Syntax Error: Document contains more than"


class CachedParsing(SchemaExtension):
    """Parse through a :class:`DocumentCache` (instead of strawberry's ``ParserCache``); a document over the token
    limit is counted as a security event (``graphql_too_complex``, detail ``tokens``)."""

    def __init__(self, cache: DocumentCache) -> None:
        self.cache = cache

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            try:
                context.graphql_document = self.cache.parse(context.query, context.parse_options)
            except GraphQLSyntaxError as error:
                if "max_tokens" in context.parse_options and error.message.startswith(TOO_MANY_TOKENS):
                    request = getattr(context.context, "request", None)
                    refused("graphql_too_complex", getattr(request, "scope", None), "tokens")
                raise
        yield

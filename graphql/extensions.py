"""Security and speed extensions that are always on: limits, masked errors, a parse/validation cache.

The limits themselves live in :mod:`pejling.graphql.limits`; strawberry's ``QueryDepthLimiter`` and
``MaxAliasesLimiter`` are not used because they walk every fragment spread again (exponential time
for fragments that spread each other twice), nor its ``ParserCache``/``ValidationCache``, which keep
any number of large documents alive (see :mod:`pejling.graphql.document_cache`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaskErrors, MaxTokensLimiter, SchemaExtension

from graphql import GraphQLError
from pejling.graphql.document_cache import CachedParsing, DocumentCache
from pejling.graphql.limits import MAX_ALIASES, MAX_DEPTH, MAX_SELECTIONS, MAX_TOKENS, DocumentLimits

__all__ = ["MAX_ALIASES", "MAX_DEPTH", "MAX_SELECTIONS", "MAX_TOKENS", "security_extensions"]


class IntrospectionForMembersOnly(SchemaExtension):
    """Introspection is for authenticated callers (and anyone in dev); anonymous callers get none."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        settings = getattr(context, "settings", None)
        actor = getattr(context, "actor", None)
        allowed = (settings is not None and settings.dev) or (actor is not None and actor.authenticated)
        if not allowed:
            rules = self.execution_context.validation_rules
            self.execution_context.validation_rules = (*rules, NoSchemaIntrospectionCustomRule)
        yield


def unexpected(error: GraphQLError) -> bool:
    """A fault of ours: an exception raised while resolving a field, other than a deliberate ``ApiError``.

    Masked in the answer and logged. What is found before execution — syntax, validation, variables that do
    not fit their types (graphql-core keeps the coercion exception as ``original_error`` there, but such an
    error has no path) — is the caller's to fix and is answered as it is.
    """
    original = error.original_error
    if original is None or not error.path:
        return False
    return not (isinstance(original, GraphQLError) and (original.extensions or {}).get("code"))


def security_extensions() -> list[Callable[[], SchemaExtension] | type[SchemaExtension]]:
    """Fresh extension instances per request (strawberry wants factories); one document cache per schema.

    ``DocumentLimits`` is the only ``on_validate`` hook: it refuses over-limit documents before any
    validation rule runs, then validates (cached). Do not add strawberry's ``ValidationCache`` or an
    ``AddValidationRules`` limiter that walks fragments: the first would validate refused documents anyway.
    """
    cache = DocumentCache()
    return [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        IntrospectionForMembersOnly,
        lambda: MaskErrors(should_mask_error=unexpected, error_message="Unexpected error."),
        lambda: CachedParsing(cache),
        lambda: DocumentLimits(cache),
    ]

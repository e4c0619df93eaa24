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


def _mask(error: GraphQLError) -> bool:
    """Mask unexpected exceptions; keep deliberate errors (validation, ApiError with a code)."""
    original = error.original_error
    if original is None:
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
        lambda: MaskErrors(should_mask_error=_mask, error_message="Unexpected error."),
        lambda: CachedParsing(cache),
        lambda: DocumentLimits(cache),
    ]

"""Security and speed extensions that are always on: limits, masked errors, parser/validation caches."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

from graphql import GraphQLError

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000


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
    """Fresh extension instances per request (strawberry wants factories)."""
    return [
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        IntrospectionForMembersOnly,
        lambda: MaskErrors(should_mask_error=_mask, error_message="Unexpected error."),
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
    ]

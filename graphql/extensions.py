"""Security and speed extensions that are always on: limits, masked errors, a parse/validation cache, persisted
queries (:mod:`pejling.graphql.persisted_queries`).

The limits themselves live in :mod:`pejling.graphql.limits`; strawberry's ``QueryDepthLimiter`` and
``MaxAliasesLimiter`` are not used because they walk every fragment spread again (exponential time
for fragments that spread each other twice), nor its ``ParserCache``/``ValidationCache``, which keep
any number of large documents alive (see :mod:`pejling.graphql.document_cache`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaskErrors, MaxTokensLimiter, SchemaExtension
from strawberry.types.graphql import OperationType

from graphql import GraphQLError
from pejling.core.auth.actor import ANONYMOUS
from pejling.core.settings import Settings, get_settings
from pejling.graphql.document_cache import CachedParsing, DocumentCache
from pejling.graphql.errors import TranslatedApiErrors
from pejling.graphql.limits import MAX_ALIASES, MAX_DEPTH, MAX_SELECTIONS, MAX_TOKENS, DocumentLimits
from pejling.graphql.operation_limits import OperationRateLimits
from pejling.graphql.password_change_rule import PasswordChangeRequired
from pejling.graphql.persisted_queries import PersistedQueries
from pejling.graphql.two_step_rule import TwoStepRequired

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


class PersistedQueryPolicies:
    """One :class:`PersistedQueries` per settings object (one per app), made on the schema's first request."""

    def __init__(self) -> None:
        self._by_settings: dict[int, tuple[Settings, PersistedQueries]] = {}

    def for_settings(self, settings: Settings) -> PersistedQueries:
        found = self._by_settings.get(id(settings))
        if found is None or found[0] is not settings:
            found = self._by_settings[id(settings)] = (settings, PersistedQueries(settings))
        return found[1]


class PersistedQueryLookup(SchemaExtension):
    """Puts a persisted document in place of the hash before parsing (so the document cache and every limit
    apply), refuses what the policy refuses, and stores a newly registered document once it validated.

    A persisted query may also come by ``GET`` (Apollo's ``useGETForHashedQueries``): then a query, never a
    mutation, runs. Other operations over GET stay refused (GET is only for GraphiQL).
    """

    def __init__(self, policies: PersistedQueryPolicies) -> None:
        self.policies = policies

    async def on_operation(self) -> AsyncIterator[None]:
        context = self.execution_context
        request_context = context.context
        settings = getattr(request_context, "settings", None)
        policy = self.policies.for_settings(settings if isinstance(settings, Settings) else get_settings())
        lookup = await policy.lookup(context.query, context.operation_extensions,
                                     getattr(request_context, "actor", ANONYMOUS))
        if lookup.error is not None:
            raise lookup.error
        if lookup.query is not None:
            context.query = lookup.query
            request = getattr(request_context, "request", None)
            if getattr(request, "method", None) == "GET":
                context.allowed_operations = {OperationType.QUERY}
        yield
        if lookup.register and context.graphql_document is not None and not context.pre_execution_errors:
            await policy.register(lookup)


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
    policies = PersistedQueryPolicies()
    return [
        TranslatedApiErrors,
        lambda: PersistedQueryLookup(policies),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        IntrospectionForMembersOnly,
        lambda: MaskErrors(should_mask_error=unexpected, error_message="Unexpected error."),
        lambda: CachedParsing(cache),
        lambda: DocumentLimits(cache),
        lambda: OperationRateLimits(cache),
        PasswordChangeRequired,
        TwoStepRequired,
    ]

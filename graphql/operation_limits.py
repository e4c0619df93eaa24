"""Rate limits per GraphQL operation and per cost, that aliases and batching cannot multiply.

Each guarded root field has a budget per window (:data:`FIELD_LIMITS`), kept per client address (keyed and rotated
daily, :func:`pejling.core.surveys.rate_limit.client_key`) for what strangers call — log in, sign up, reset a
password, accept an invitation, submit a response — and per actor (the user or API token; the address when
anonymous) for what members call — receipt look-ups and erasures, new API tokens. Every occurrence of the field in
the operation that runs counts, aliases and fragment spreads expanded (``mutation { a: login(…) b: login(…) }`` takes
two), so one request cannot do what many would be refused. Batching (a JSON list of operations in one request) is
not accepted by the endpoint at all.

Beside them each actor has a **cost budget** per minute (:data:`COST_BUDGET`): the operation's cost as
:mod:`pejling.graphql.limits` measures it (object field 2, scalar 1, times its depth) is taken from it before the
operation runs.

An operation over a budget runs nothing: the answer is HTTP 429 with ``Retry-After`` and one error ``RATE_LIMITED``
(``extensions.field`` names the field, or ``cost``; ``extensions.retryAfter`` the seconds). Counters live in Redis
when ``PEJLING_REDIS_URL`` is set (shared by every process), else in process memory
(:func:`~pejling.core.surveys.rate_limit.limiter_for`). These budgets are a fence around the specific checks that
stay where they are (failed logins per email, sign-ups per address, reset mails per user, submissions per store).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Literal

from strawberry.extensions import SchemaExtension

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from pejling.core.auth.forwarded import client_address
from pejling.core.security_events import refused
from pejling.core.surveys.rate_limit import Limit, client_key, limiter_for
from pejling.graphql.context import Context
from pejling.graphql.document_cache import DocumentCache
from pejling.graphql.limits import measure, operation_cost

RATE_LIMITED = "RATE_LIMITED"


@dataclass(frozen=True)
class FieldLimit:
    """At most ``limit`` uses of a root field per window, counted per client address or per actor."""

    limit: Limit
    per: Literal["address", "actor"]


#: The guarded root fields. Generous for people, tight for scripts.
FIELD_LIMITS: Mapping[str, FieldLimit] = {
    "login": FieldLimit(Limit(30, 600), "address"),
    "signup": FieldLimit(Limit(20, 3600), "address"),
    "confirmSignup": FieldLimit(Limit(20, 600), "address"),
    "requestPasswordReset": FieldLimit(Limit(10, 600), "address"),
    "resetPassword": FieldLimit(Limit(20, 600), "address"),
    "acceptInvitation": FieldLimit(Limit(20, 600), "address"),
    "submitResponse": FieldLimit(Limit(120, 600), "address"),
    "shopperData": FieldLimit(Limit(60, 600), "actor"),
    "eraseShopperResponse": FieldLimit(Limit(60, 600), "actor"),
    "createApiToken": FieldLimit(Limit(20, 3600), "actor"),
}
#: Cost each actor may spend per minute: a dashboard query costs a few hundred, the largest allowed 20 000.
COST_BUDGET = Limit(300_000, 60)


def root_fields(document: DocumentNode, operation_name: str | None) -> Counter[str]:
    """How often each root field occurs in the operation that runs, fragments and aliases expanded.

    Each fragment is counted once and reused wherever it is spread, so the work is linear in the document even
    when fragments fan out; unknown fragments and cycles count nothing (validation refuses them anyway).
    """
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    if len(chosen) != 1:
        return Counter()
    counted: dict[str, Counter[str]] = {}

    def count(selection_set: SelectionSetNode, entered: frozenset[str]) -> Counter[str]:
        found: Counter[str] = Counter()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                found[selection.name.value] += 1
            elif isinstance(selection, InlineFragmentNode):
                found.update(count(selection.selection_set, entered))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in fragments and name not in entered:
                    if name not in counted:
                        counted[name] = count(fragments[name].selection_set, entered | {name})
                    found.update(counted[name])
        return found

    return count(chosen[0].selection_set, frozenset())


def _refused(message: str, field: str, retry_after: int) -> GraphQLError:
    return GraphQLError(message, extensions={"code": RATE_LIMITED, "field": field, "retryAfter": retry_after})


class OperationRateLimits(SchemaExtension):
    """Take the operation's uses of guarded fields and its cost from the caller's budgets before it runs."""

    def __init__(self, cache: DocumentCache) -> None:
        self.cache = cache

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        request = context.context
        document = context.graphql_document
        if isinstance(request, Context) and document is not None and request.settings.api_rate_limits:
            refusal = await self._refusal(request, document, context.operation_name)
            if refusal is not None:
                refused("rate_limited", request.request.scope, str((refusal.extensions or {}).get("field", "")))
                request.response.status_code = 429
                request.response.headers["Retry-After"] = str((refusal.extensions or {}).get("retryAfter", 1))
                context.result = ExecutionResult(data=None, errors=[refusal])
        yield

    async def _refusal(self, request: Context, document: DocumentNode, operation_name: str | None
                       ) -> GraphQLError | None:
        settings = request.settings
        limiter = limiter_for(settings)
        address = "addr:" + client_key(settings, client_address(request.request.scope, settings.trusted_proxies))
        actor = request.actor
        who = (f"user:{actor.user_id}" if actor.user_id else f"token:{actor.token_id}" if actor.token_id
               else address)
        uses = self.cache.derived(document, f"root_fields:{operation_name}",
                                  lambda: root_fields(document, operation_name))
        for field, times in sorted(uses.items()):
            guarded = FIELD_LIMITS.get(field)
            if guarded is None:
                continue
            key = f"gql:{field}:{address if guarded.per == 'address' else who}"
            retry_after = await limiter.hit(key, guarded.limit, times)
            if retry_after is not None:
                return _refused(f"Too many {field} requests; try again in {retry_after} s.", field, retry_after)
        measured = self.cache.derived(document, "measurement", lambda: measure(document))
        cost = operation_cost(measured, operation_name)
        if cost:
            retry_after = await limiter.hit(f"gql:cost:{who}", COST_BUDGET, cost)
            if retry_after is not None:
                return _refused(f"This caller spent its GraphQL budget of {COST_BUDGET.count} per minute; try again "
                                f"in {retry_after} s.", "cost", retry_after)
        return None

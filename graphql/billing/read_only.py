"""The read-only portal: while a tenant's billing says so (pilot ended, unpaid, canceled, past due beyond the grace),
its mutations are refused with the error code ``BILLING_READ_ONLY``, except billing's own and the account ones
(log in and out, passwords, revoking a token). Queries run, and the survey keeps collecting responses."""

from __future__ import annotations

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from graphql import ExecutionResult, FieldNode, OperationDefinitionNode
from pejling.graphql.billing.mutations import BILLING_MUTATIONS
from pejling.graphql.errors import ApiError
from pejling.plugins.billing.subscription_state import standing

READ_ONLY = "BILLING_READ_ONLY"

#: Mutations a read-only tenant may still run.
ALWAYS_ALLOWED = BILLING_MUTATIONS | {
    "signup", "confirmSignup", "login", "logout", "requestPasswordReset", "resetPassword", "changePassword",
    "revokeApiToken",
}


def _root_fields(document: object, operation_name: str | None) -> set[str] | None:
    """The root field names of the operation run, or ``None`` when one is not a plain field (a fragment)."""
    for definition in getattr(document, "definitions", ()):
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if operation_name is not None and (definition.name is None or definition.name.value != operation_name):
            continue
        names = set()
        for selection in definition.selection_set.selections:
            if not isinstance(selection, FieldNode):
                return None
            names.add(selection.name.value)
        return names
    return set()


class BillingReadOnly(SchemaExtension):
    """Refuses a read-only tenant's mutations before they run (one query for a tenant's mutation)."""

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        if context.operation_type == OperationType.MUTATION:
            tenant = getattr(context.context, "tenant", None)
            plugins = getattr(context.context, "plugins", None)
            if tenant is not None and plugins is not None and "billing" in plugins.loaded:
                fields = _root_fields(context.graphql_document, context.operation_name)
                if fields is None or not fields <= ALWAYS_ALLOWED:
                    now = await standing(tenant)
                    if now.read_only:
                        context.result = ExecutionResult(data=None, errors=[ApiError(now.reason or "", READ_ONLY)])
        yield

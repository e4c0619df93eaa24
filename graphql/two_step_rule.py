"""A tenant's rule "two-step login required" (``Tenant.require_two_step``), applied to whole GraphQL operations.

When the tenant middleware marks the actor ``two_step_missing`` (a password session of a member without an
authenticator, in a tenant that requires one: :func:`pejling.tenants.middleware.resolve_tenant`), an operation may
only select the root fields of :data:`OPEN_FIELDS`: who they are, enrolling an authenticator, logging out. Any
other root field refuses the whole operation before it runs, with one error of code ``TWO_STEP_REQUIRED``; nothing
is read or changed. Single sign-on sessions and API tokens are not marked (see docs/security.md, "Two-step login").
While the person must still change a generated password, :mod:`pejling.graphql.password_change_rule` holds instead.
"""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from graphql import ExecutionResult, GraphQLError
from pejling.graphql.root_fields import root_field_names

#: What a person may still do while their tenant waits for their two-step login.
OPEN_FIELDS = frozenset({
    "me", "startTotpEnrolment", "confirmTotpEnrolment", "logout", "__typename", "__schema", "__type",
})
CODE = "TWO_STEP_REQUIRED"
MESSAGE = "This business requires two-step login: set up an authenticator app on the Security page first."


class TwoStepRequired(SchemaExtension):
    """Refuses an operation of a marked actor that reaches beyond :data:`OPEN_FIELDS`, before it runs."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        actor = getattr(context.context, "actor", None)
        document = context.graphql_document
        # While the person must change a generated password, that stricter rule holds (password_change_rule.py).
        marked = actor is not None and actor.two_step_missing and not actor.password_change_required
        if marked and document is not None:
            if not root_field_names(document, context.operation_name) <= OPEN_FIELDS:
                context.result = ExecutionResult(data=None, errors=[GraphQLError(MESSAGE, extensions={"code": CODE})])
        yield

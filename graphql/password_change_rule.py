"""A generated password must be changed on first use (ASVS V6.4.1), applied to whole GraphQL operations.

When the actor middleware marks the actor ``password_change_required`` (a password session of a person whose password
the system generated: :mod:`pejling.core.auth.generated_passwords`), an operation may only select the root fields of
:data:`OPEN_FIELDS`: who they are, changing the password, logging out. Any other root field refuses the whole
operation before it runs, with one error of code ``PASSWORD_CHANGE_REQUIRED`` (its message in the request's
language); nothing is read or changed. Once ``changePassword`` succeeds the mark is gone and the next operation of
the same session runs in full.

It is checked before the tenant's two-step rule (:mod:`pejling.graphql.two_step_rule`), which stands down meanwhile:
first the person's own password, then their authenticator. Single sign-on sessions and API tokens are not marked.
"""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from graphql import ExecutionResult
from pejling.graphql.errors import ApiError
from pejling.graphql.root_fields import root_field_names

#: What a person may still do while their password is a generated one.
OPEN_FIELDS = frozenset({"me", "changePassword", "logout", "__typename", "__schema", "__type"})
CODE = "PASSWORD_CHANGE_REQUIRED"
MESSAGE = "Choose your own password first: the one you were given has to be changed before you go on."


class PasswordChangeRequired(SchemaExtension):
    """Refuses an operation of a marked actor that reaches beyond :data:`OPEN_FIELDS`, before it runs."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        actor = getattr(context.context, "actor", None)
        document = context.graphql_document
        if actor is not None and actor.password_change_required and document is not None:
            if not root_field_names(document, context.operation_name) <= OPEN_FIELDS:
                context.result = ExecutionResult(data=None, errors=[ApiError(MESSAGE, CODE)])
        yield

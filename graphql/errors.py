"""Typed errors: mutations return them in an ``errors`` list; queries raise :class:`ApiError`."""

from __future__ import annotations

from typing import Any

import strawberry

from graphql import GraphQLError


@strawberry.type(description="Why a mutation did not do what was asked. Nothing was changed.")
class UserError:
    code: str = strawberry.field(
        description="Machine-readable: invalid, not_found, forbidden, unauthenticated, conflict, throttled, "
        "common_password (a new password that is common or easy to guess), service_refused (a service a plugin calls "
        "refused the change)."
    )
    message: str = strawberry.field(description="Readable explanation for a person.")
    field: str | None = strawberry.field(default=None, description="The input field at fault, when one is.")


def invalid(field: str | None, message: str) -> UserError:
    return UserError(code="invalid", message=message, field=field)


def not_found(field: str | None = "id", message: str = "Not found.") -> UserError:
    return UserError(code="not_found", message=message, field=field)


def forbidden(message: str = "Your role does not allow this.") -> UserError:
    return UserError(code="forbidden", message=message, field=None)


class ApiError(GraphQLError):
    """A deliberate, unmasked error with a machine-readable ``extensions.code``."""

    def __init__(self, message: str, code: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": code, **extensions})

"""Typed errors: mutations return them in an ``errors`` list; queries raise :class:`ApiError`.

Messages are written in English; the API answers them in the caller's language (``Accept-Language``: da, nb, sv,
else English), see :mod:`pejling.graphql.error_languages`. Codes and fields never change.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import strawberry
from strawberry.extensions import SchemaExtension

from graphql import GraphQLError
from pejling.graphql.error_languages import request_language, translate


@strawberry.type(description="Why a mutation did not do what was asked. Nothing was changed.")
class UserError:
    code: str = strawberry.field(
        description="Machine-readable: invalid, not_found, forbidden, unauthenticated, conflict, throttled, "
        "common_password (a new password that is common or easy to guess), service_refused (a service a plugin calls "
        "refused the change)."
    )
    #: The English message; the API answers it translated (``message`` below).
    message: strawberry.Private[str]
    field: str | None = strawberry.field(default=None, description="The input field at fault, when one is.")

    @strawberry.field(name="message", description="Readable explanation for a person, in the language the request "
                      "asks for with Accept-Language (da, nb, sv, else English).")
    def localised_message(self, info: strawberry.Info) -> str:
        return translate(self.message, request_language(info.context))


def invalid(field: str | None, message: str) -> UserError:
    return UserError(code="invalid", message=message, field=field)


def not_found(field: str | None = "id", message: str = "Not found.") -> UserError:
    return UserError(code="not_found", message=message, field=field)


def forbidden(message: str = "Your role does not allow this.") -> UserError:
    return UserError(code="forbidden", message=message, field=None)


class ApiError(GraphQLError):
    """A deliberate, unmasked error with a machine-readable ``extensions.code``; its message is translated like a
    :class:`UserError`'s (:class:`TranslatedApiErrors`)."""

    def __init__(self, message: str, code: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": code, **extensions})


class TranslatedApiErrors(SchemaExtension):
    """Words the deliberate errors of a result in the request's language: every :class:`ApiError` and any other error
    with an ``extensions.code`` (the limits' and rate limits'). Unexpected errors are masked anyway; graphql-core's
    syntax and validation errors stay English."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None) or getattr(getattr(result, "initial_result", None), "errors", None)
        if not errors:
            return
        language = request_language(self.execution_context.context)
        if language is None:
            return
        for error in errors:
            if isinstance(error.original_error, ApiError) or (error.extensions or {}).get("code"):
                error.message = translate(error.message, language)

"""Relay global ids and list cursors, decoded so that bad input is an answer, never an exception.

* Global ids: every malformed or foreign id is simply "not found" (:func:`decode_id`, and
  :func:`resolve_global_id` behind ``node(id:)``): a raw UUID, an id of a type that is not a ``Node`` or
  of no type at all, and any id asked for without a tenant, resolve to ``null`` like a missing object.
* Cursors of strawberry's ``ListConnection`` (``stores``, ``members``, ``apiTokens`` …): strawberry raises
  a bare ``TypeError``/``ValueError`` for a cursor of another connection or a ``first`` over its maximum,
  which would surface as a masked "Unexpected error." with a logged traceback.
  :func:`guard_list_connections` checks ``after``/``before``/``first``/``last`` of every such field
  first and answers an ``INVALID`` error naming the argument.
"""

from __future__ import annotations

import base64
import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any, get_origin
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.relay.types import PREFIX as LIST_CURSOR_PREFIX

from graphql import FieldNode, GraphQLField, GraphQLObjectType, value_from_ast_untyped
from pejling.graphql.errors import ApiError

_MAX_CURSOR = 200  # characters; strawberry's list cursors are about 24


def parse_id(value: str) -> tuple[str, UUID] | None:
    """The type name and UUID of a global id, or None when it is not one."""
    try:
        global_id = relay.GlobalID.from_id(value)
        return global_id.type_name, UUID(global_id.node_id)
    except (ValueError, TypeError):
        return None


def ids_in_arguments(field: FieldNode, variables: dict[str, Any] | None) -> Iterator[tuple[str, UUID]]:
    """Every global id among a field's argument values, inline or in variables and at any depth, parsed (type
    name, UUID), in order; texts too long to be an id are skipped unread."""
    for argument in field.arguments or ():
        for text in _strings(value_from_ast_untyped(argument.value, variables)):
            parsed = parse_id(text) if len(text) < 200 else None
            if parsed is not None:
                yield parsed


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def decode_id(value: str, type_name: str) -> UUID | None:
    """The UUID inside a global id of ``type_name``, or None when it is malformed or of another type."""
    parsed = parse_id(value)
    return parsed[1] if parsed is not None and parsed[0] == type_name else None


def encode_id(type_name: str, value: UUID) -> str:
    return str(relay.GlobalID(type_name=type_name, node_id=str(value)))


async def resolve_global_id(info: strawberry.Info, value: str) -> relay.Node | None:
    """The object a global id names, or None: not found, not yours, not a global id, or not of a Node type.

    Every Node type is tenant-owned, so without a tenant (anonymous callers, a person in several tenants who
    names none) nothing is looked up: the tenant-scoped managers would raise outside a tenant scope.
    """
    if getattr(info.context, "tenant", None) is None:
        return None
    try:
        global_id = relay.GlobalID.from_id(value)
        node_type = global_id.resolve_type(info)  # GlobalIDValueError (a ValueError) unless a Node type
    except (ValueError, TypeError):
        return None
    node = node_type.resolve_node(global_id.node_id, info=info, required=False)
    if inspect.isawaitable(node):
        node = await node
    return None if node is None else strawberry.cast(node_type, node)


def list_cursor_offset(cursor: str) -> int | None:
    """The position a ``ListConnection`` cursor names, or None when it is not one (e.g. another list's cursor)."""
    if len(cursor) > _MAX_CURSOR:
        return None
    try:
        text = base64.b64decode(cursor.encode("ascii"), validate=True).decode("ascii")
    except ValueError:  # binascii.Error and UnicodeError are ValueErrors
        return None
    prefix, _, number = text.partition(":")
    if prefix != LIST_CURSOR_PREFIX or not (number.isascii() and number.isdigit()) or len(number) > 15:
        return None
    return int(number)


def check_list_arguments(arguments: Mapping[str, Any], max_results: int) -> None:
    """Raise ``INVALID`` for a cursor that is not one of this kind of list or a page size out of range."""
    for name in ("after", "before"):
        cursor = arguments.get(name)
        if cursor is not None and list_cursor_offset(cursor) is None:
            raise ApiError("The cursor is not valid here; use a cursor from a previous page of this list.",
                           "INVALID", field=name)
    for name in ("first", "last"):
        size = arguments.get(name)
        if size is not None and not 0 <= size <= max_results:
            raise ApiError(f"{name} must be 0 to {max_results}.", "INVALID", field=name)


def guard_list_connections(schema: strawberry.Schema) -> None:
    """Check the paging arguments of every ``ListConnection`` field of ``schema`` before strawberry reads them."""
    default_max = schema.config.relay_max_results
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for field in graphql_type.fields.values():
            connection = _list_connection(field)
            if connection is not None and field.resolve is not None:
                field.resolve = _checking(field.resolve, connection.max_results or default_max)


def _list_connection(field: GraphQLField) -> relay.ConnectionExtension | None:
    definition = (field.extensions or {}).get("strawberry-definition")
    for extension in getattr(definition, "extensions", None) or ():
        if isinstance(extension, relay.ConnectionExtension):
            connection_type = getattr(extension, "connection_type", None)
            origin = get_origin(connection_type) or connection_type
            if isinstance(origin, type) and issubclass(origin, relay.ListConnection):
                return extension
    return None


def _checking(resolve: Callable[..., Any], max_results: int) -> Callable[..., Any]:
    def checked(source: Any, info: Any, **arguments: Any) -> Any:
        check_list_arguments(arguments, max_results)
        return resolve(source, info, **arguments)

    return checked

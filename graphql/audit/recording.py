"""Recording GraphQL operations in the audit log (:mod:`pejling.core.audit`).

:class:`AuditTrail` is a schema extension that runs after each operation has executed:

* **every mutation** becomes an entry with its outcome — ``ok``, ``refused`` (a typed error in a payload's
  ``errors``, or an error with a code such as ``BILLING_READ_ONLY``) or ``failed`` (an unexpected error) — whether
  or not the caller selected ``errors``: :func:`note_mutation_payloads` wraps each root mutation field once, when
  the schema is built, and notes the payload's error codes. Public shopper submissions (:data:`SHOPPER_MUTATIONS`)
  are not logged, nor what an anonymous caller does without an account behind it (a sign-up or password-reset
  request). A login is logged for the person it logged in, in each tenant they are a member of (one extra SELECT of
  their memberships); a confirmed sign-up or an accepted invitation in the tenant it let them into. A **failed
  login** (:func:`note_login_failure`) is logged for the account of the email in each of its tenants, or, when no
  account has that email, among the entries of no tenant (:func:`pejling.core.audit.recording.record_login_failure`);
  the answer is the same either way. Attempts paused by the throttle are not logged one by one (the failures that
  led to the pause are), so a flood of guesses cannot flood the log;
* **every query that reads shopper data** — a field of one of :data:`SHOPPER_TYPES` (responses and their answers,
  comments and contact emails, follow-ups, their notes and the replies to shoppers, a shopper's data export) —
  becomes one entry (not one per row) listing the fields read as ``Type.field`` and the ids of the responses and
  follow-ups in the answer (up to :data:`~pejling.core.audit.recording.MAX_OBJECT_IDS`). Which fields a document
  reads is worked out once per document text (cached); other queries cost nothing more.

Each entry names the global ids found in the operation's arguments (inline or in variables), decoded to
``Type:uuid``. Writing costs one INSERT and never changes the answer (:mod:`pejling.core.audit.recording`).
"""

from __future__ import annotations

import inspect
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
)
from pejling.core.audit.models import AuditKind, AuditOutcome
from pejling.core.audit.recording import (
    MAX_OBJECT_IDS,
    Record,
    Subject,
    record,
    record_for_user,
    record_login_failure,
)
from pejling.core.auth.actor import ANONYMOUS
from pejling.core.auth.forwarded import client_address
from pejling.graphql.relay_ids import decode_id, ids_in_arguments, parse_id
from pejling.graphql.root_fields import fragments_of, operation_to_run, root_fields

log = logging.getLogger(__name__)

#: Types whose fields are shopper data: reading any of their fields (but ``__typename``) is logged.
SHOPPER_TYPES = frozenset({
    "Response", "ResponseAnswer", "FollowUp", "FollowUpNote", "ShopperReply", "ShopperData", "ShopperAnswer",
})
#: The shopper-data types with global ids: their ids in an answer are listed in the entry.
SHOPPER_NODE_TYPES = frozenset({"Response", "FollowUp"})
#: Public mutations of shoppers: never logged (the audit log is about members and integrators).
SHOPPER_MUTATIONS = frozenset({"submitResponse"})
#: Unexpected errors are recorded under this code.
UNEXPECTED = "UNEXPECTED"

_NOTES = "audit"
_CACHE_SIZE = 512


@dataclass
class PayloadNotes:
    """What the root mutation fields' payloads said, for the entry (kept in the request context)."""

    error_codes: list[str] = field(default_factory=list)
    user_id: UUID | None = None
    """The person a login or sign-up logged in."""
    tenant_id: UUID | None = None
    """The tenant a payload names: the one a sign-up made or an invitation was accepted into (or the request's own,
    for ``updateTenant``)."""
    login_failure: LoginFailure | None = None
    """A refused ``login``: whose email, and why."""


@dataclass(frozen=True)
class LoginFailure:
    """A refused password login, as the audit log needs it (never the password)."""

    email: str
    user_id: UUID | None
    code: str


def _notes(context: Any) -> PayloadNotes | None:
    extra = getattr(context, "extra", None)
    if not isinstance(extra, dict):
        return None
    notes = extra.get(_NOTES)
    if notes is None:
        notes = extra[_NOTES] = PayloadNotes()
    return notes if isinstance(notes, PayloadNotes) else None


def note_login_failure(info: Any, *, email: str, user_id: UUID | None, code: str) -> None:
    """Tell :class:`AuditTrail` that the ``login`` of this request was refused (``user_id``: the email's account,
    if any). Throttled attempts are not noted."""
    notes = _notes(getattr(info, "context", None))
    if notes is not None:
        notes.login_failure = LoginFailure(email=email.strip().lower()[:254], user_id=user_id, code=code)


def _note_payload(info: Any, payload: Any) -> None:
    notes = _notes(getattr(info, "context", None))
    if notes is None or payload is None:
        return
    for error in getattr(payload, "errors", None) or ():
        code = getattr(error, "code", None)
        if isinstance(code, str):
            notes.error_codes.append(code)
    me = getattr(payload, "me", None)
    user_id = getattr(me, "user_id", None)
    if isinstance(user_id, UUID):
        notes.user_id = user_id
    tenant = getattr(payload, "tenant", None)
    tenant_id = decode_id(str(getattr(tenant, "id", "")), "Tenant") if tenant is not None else None
    if tenant_id is not None:
        notes.tenant_id = tenant_id


def _noting(resolve: Callable[..., Any]) -> Callable[..., Any]:
    async def noted(source: Any, info: Any, **arguments: Any) -> Any:
        payload = resolve(source, info, **arguments)
        if inspect.isawaitable(payload):
            payload = await payload
        try:
            _note_payload(info, payload)
        except Exception:  # noqa: BLE001 - noting never changes the answer
            log.exception("audit: could not read the payload of %s", getattr(info, "field_name", "?"))
        return payload

    return noted


def note_mutation_payloads(schema: strawberry.Schema) -> None:
    """Wrap each root mutation field of ``schema`` so that :class:`AuditTrail` learns its payload's error codes."""
    mutation = schema._schema.mutation_type
    for graphql_field in (mutation.fields.values() if mutation is not None else ()):
        if graphql_field.resolve is not None:
            graphql_field.resolve = _noting(graphql_field.resolve)


# ---------------------------------------------------------------------------------------------------------------------
# Reading the document
# ---------------------------------------------------------------------------------------------------------------------


def shopper_fields_read(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None) -> list[str]:
    """The fields of :data:`SHOPPER_TYPES` the operation selects, as sorted ``Type.field``. Linear in the document:
    a fragment reads the same fields wherever it is spread (its type condition fixes its types), so each is walked
    once."""
    operation = operation_to_run(document, operation_name)
    root = schema.get_root_type(operation.operation) if operation is not None else None
    if operation is None or root is None:
        return []
    fragments = fragments_of(document)
    seen: set[str] = set()
    found: set[str] = set()

    def walk(selection_set: SelectionSetNode, parent: GraphQLNamedType | None) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if parent is None or name == "__typename":
                    continue
                if parent.name in SHOPPER_TYPES:
                    found.add(f"{parent.name}.{name}")
                definition = parent.fields.get(name) if isinstance(
                    parent, GraphQLObjectType | GraphQLInterfaceType) else None
                if definition is not None and selection.selection_set is not None:
                    walk(selection.selection_set, get_named_type(definition.type))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                walk(selection.selection_set, schema.get_type(condition.name.value) if condition else parent)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    walk(fragment.selection_set, schema.get_type(fragment.type_condition.name.value))

    walk(operation.selection_set, root)
    return sorted(found)


class ShopperFieldCache:
    """:func:`shopper_fields_read` per (document text, operation name), the most recent few hundred."""

    def __init__(self, size: int = _CACHE_SIZE) -> None:
        self.size = size
        self._found: OrderedDict[tuple[str, str | None], list[str]] = OrderedDict()

    def get(self, schema: GraphQLSchema, query: str | None, document: DocumentNode,
            operation_name: str | None) -> list[str]:
        if query is None:
            return shopper_fields_read(schema, document, operation_name)
        key = (query, operation_name)
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = shopper_fields_read(schema, document, operation_name)
            if len(self._found) > self.size:
                self._found.popitem(last=False)
        else:
            self._found.move_to_end(key)
        return found


def named_object_ids(fields: list[FieldNode], variables: dict[str, Any] | None) -> list[str]:
    """The global ids among the arguments of ``fields`` (inline or in variables), as ``Type:uuid``, in order."""
    found: dict[str, None] = {}
    for field_node in fields:
        for type_name, uuid in ids_in_arguments(field_node, variables):
            found[f"{type_name}:{uuid}"] = None
            if len(found) >= MAX_OBJECT_IDS:
                return list(found)
    return list(found)


def answered_shopper_ids(data: Any, into: dict[str, None]) -> None:
    """Add the ids of :data:`SHOPPER_NODE_TYPES` objects in an answer (under any ``id`` key) to ``into``."""
    pending = [data]
    while pending and len(into) < MAX_OBJECT_IDS:
        value = pending.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "id" and isinstance(item, str):
                    parsed = parse_id(item)
                    if parsed is not None and parsed[0] in SHOPPER_NODE_TYPES:
                        into[f"{parsed[0]}:{parsed[1]}"] = None
                elif isinstance(item, dict | list):
                    pending.append(item)
        elif isinstance(value, list):
            pending.extend(reversed(value))


def outcome_of(errors: list[GraphQLError] | None, payload_codes: list[str]) -> tuple[AuditOutcome, list[str]]:
    """ok, refused (typed errors: payload codes, errors with a code) or failed (any unexpected error)."""
    codes = list(payload_codes)
    failed = False
    for error in errors or ():
        code = (error.extensions or {}).get("code")
        if isinstance(code, str):
            codes.append(code)
        else:
            failed = True
            codes.append(UNEXPECTED)
    unique = list(dict.fromkeys(codes))
    if failed:
        return AuditOutcome.FAILED, unique
    return (AuditOutcome.REFUSED if unique else AuditOutcome.OK), unique


# ---------------------------------------------------------------------------------------------------------------------
# The extension
# ---------------------------------------------------------------------------------------------------------------------


class AuditTrail(SchemaExtension):
    """Writes the audit entry of a mutation, or of a query that read shopper data, once it has executed."""

    def __init__(self, cache: ShopperFieldCache) -> None:
        self.cache = cache

    async def on_execute(self) -> AsyncIterator[None]:
        yield
        try:
            await self._record()
        except Exception:  # noqa: BLE001 - the audit log never breaks the answer
            log.exception("audit: the operation could not be recorded")

    async def _record(self) -> None:
        execution = self.execution_context
        context = execution.context
        document = execution.graphql_document
        settings = getattr(context, "settings", None)
        request = getattr(context, "request", None)
        if document is None or settings is None or request is None:
            return
        operation_type = execution.operation_type
        if operation_type not in (OperationType.MUTATION, OperationType.QUERY):
            return
        result = execution.result
        errors = getattr(result, "errors", None)
        tenant = getattr(context, "tenant", None)
        subject = Subject.of(getattr(context, "actor", ANONYMOUS))
        notes = _notes(context) or PayloadNotes()
        if operation_type is OperationType.QUERY and (tenant is None or subject is None):
            return  # no shopper data without a tenant: nothing to record, nothing more to work out
        fields = root_fields(document, execution.operation_name)
        address = client_address(request.scope, settings.trusted_proxies)
        if operation_type is OperationType.MUTATION:
            fields = [f for f in fields if f.name.value not in SHOPPER_MUTATIONS]
            if notes.login_failure is not None:
                failure = notes.login_failure
                await record_login_failure(settings, operation="login", codes=[failure.code], email=failure.email,
                                           address=address, user_id=failure.user_id)
                fields = [f for f in fields if f.name.value != "login"]
            if not fields:
                return
            kind, shopper_fields = AuditKind.CHANGE, []
            if subject is None and notes.user_id is not None:
                subject = Subject.user(notes.user_id)  # a login or sign-up: the person it logged in
            # The tenant a sign-up made or an invitation let the person into owns the entry; else the request's.
            tenant_id: UUID | None = notes.tenant_id or (tenant.id if tenant is not None else None)
        else:
            assert tenant is not None
            shopper_fields = self.cache.get(execution.schema._schema, execution.query, document,
                                            execution.operation_name)
            if not shopper_fields:
                return
            kind, tenant_id = AuditKind.READ, tenant.id
        if subject is None:
            return
        object_ids = dict.fromkeys(named_object_ids(fields, execution.variables))
        if kind is AuditKind.READ:
            answered_shopper_ids(getattr(result, "data", None), object_ids)
        outcome, codes = outcome_of(errors, notes.error_codes)
        entry = Record(
            kind=kind, subject=subject, operation=execution.operation_name or "",
            field_names=list(dict.fromkeys(f.name.value for f in fields)), shopper_fields=shopper_fields,
            object_ids=list(object_ids), outcome=outcome, error_codes=codes, address=address,
        )
        if tenant_id is not None:
            await record(settings, tenant_id, entry)
        else:
            await record_for_user(settings, entry)


def audit_extension() -> Callable[[], SchemaExtension]:
    """A factory of :class:`AuditTrail` (one per request) sharing one document cache (one per schema)."""
    cache = ShopperFieldCache()
    return lambda: AuditTrail(cache)

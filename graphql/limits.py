"""Size limits of a GraphQL document, measured in one linear pass before any other validation runs.

Fragments make a document small on the wire and large once expanded: in
``query { ...F0 } fragment F0 on Query { ...F1 ...F1 } … fragment F30 on Query { __typename }`` every
fragment doubles the one after it, so 1.3 KB name 2^30 selections. Whatever walks such a document
spread by spread (strawberry's ``QueryDepthLimiter`` and ``MaxAliasesLimiter`` did) never finishes.

:func:`measure` therefore computes the shape of each fragment once, bottom-up (a fragment's shape is
the same wherever it is spread), and of each operation from those: how many selections the document
has once every spread is replaced by its fragment, how deep each operation goes and how many aliases
it uses. Counts saturate, so even a 2^1000 expansion is a few small integers. Cycles (refused later by
graphql-core's ``NoFragmentCyclesRule``) and unknown fragments count as a single selection.

:class:`DocumentLimits` refuses a document over any limit with a ``QUERY_TOO_COMPLEX`` error before
graphql-core's validation runs, then validates the rest, remembering the result in the schema's
:class:`~pejling.graphql.document_cache.DocumentCache` (it replaces strawberry's ``ValidationCache``,
which would validate whatever an earlier extension decided, and keeps any number of large documents).

One validation rule stays costly within those limits: ``OverlappingFieldsCanBeMergedRule`` compares every
pair of fields that share a response name, so ``{ __typename __typename … }`` (2000 tokens) takes it
~70 ms of event loop before graphql-core's own budget aborts it. That budget is lowered here to
:data:`OVERLAP_BUDGET` (the largest query of the test suite spends 9), and the abort is answered as
``QUERY_TOO_COMPLEX`` too.

The same pass gives each operation its **cost**: every field costs 2 when it selects an object and 1 when it is a
scalar, times its depth (a root field is at depth 1), every spread counted as expanded; introspection fields
(``__typename``, ``__schema`` …) cost nothing. An operation over :data:`MAX_COST` is refused as
``QUERY_TOO_COMPLEX`` (``limit: cost``), and every answer tells the caller what its operation cost in
``extensions.cost`` (``{"requested": n, "maximum": MAX_COST}``), so an integrator sees how close a query is before
it is refused.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql.validation.rules import overlapping_fields_can_be_merged
from graphql.validation.validate import ValidationAbortedError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
)
from pejling.core.request_limits import MAX_BODY_BYTES as MAX_BODY_BYTES  # the API's limits, enforced in core too
from pejling.core.request_limits import MAX_TOKENS as MAX_TOKENS
from pejling.core.security_events import refused
from pejling.graphql.document_cache import DocumentCache

#: Deepest nesting of fields with sub-selections in one operation (introspection fields not counted).
MAX_DEPTH = 10
#: Aliases in the whole document, a fragment's counted each time it is spread.
MAX_ALIASES = 15
#: Selections (fields, spreads, inline fragments) of the whole document once every spread is expanded.
MAX_SELECTIONS = 10_000
#: Fields with the same response name in one selection set (as written; ``{ id id }`` is 2). Every pair of
#: them is compared by graphql-core, and no client needs more than a few.
MAX_REPEATS = 20
#: graphql-core's work budget for comparing fields that share a response name (its default is 500 000,
#: ~70 ms); read by the rule at the start of each validation.
OVERLAP_BUDGET = 20_000
#: The most an operation may cost (object field 2, scalar field 1, times its depth). The portal's largest query
#: costs a few hundred; 10 000 selections at depth 10 could cost 200 000.
MAX_COST = 20_000
overlapping_fields_can_be_merged.MAX_COMPLEXITY_BUDGET = OVERLAP_BUDGET

TOO_COMPLEX = "QUERY_TOO_COMPLEX"
_CAP = 1 << 62  # counts saturate here: the limits are far below, and the numbers stay small


@dataclass(frozen=True, slots=True)
class Shape:
    """What a selection set amounts to once its fragments are expanded."""

    selections: int = 0
    depth: int = 0
    aliases: int = 0
    weight: int = 0
    """The fields' weights (object 2, scalar 1), summed over the expanded selection set."""
    cost: int = 0
    """Each field's weight times its depth, the set's own fields at depth 1."""


@dataclass(frozen=True, slots=True)
class Measurement:
    """The shape of each operation (by name, ``anonymous`` for an unnamed one) and of the whole document."""

    operations: Mapping[str, Shape]
    selections: int
    aliases: int
    cost: int = 0
    """The cost of the costliest operation."""
    repeats: int = 0
    """The most fields sharing one response name in any selection set as written."""


def measure(document: DocumentNode) -> Measurement:
    """Expanded size, depth and aliases of every operation in ``document``; linear in the document's size."""
    fragments: dict[str, FragmentDefinitionNode] = {}
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            fragments.setdefault(definition.name.value, definition)
    shapes = _fragment_shapes(fragments)
    operations: dict[str, Shape] = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            name = definition.name.value if definition.name else "anonymous"
            operations[name] = _shape(definition.selection_set, shapes)
    return Measurement(
        operations=operations,
        selections=min(_CAP, sum(shape.selections for shape in operations.values())),
        aliases=min(_CAP, sum(shape.aliases for shape in operations.values())),
        cost=max((shape.cost for shape in operations.values()), default=0),
        repeats=_most_repeated(document),
    )


def refusals(document: DocumentNode, measured: Measurement | None = None) -> list[GraphQLError]:
    """The ``QUERY_TOO_COMPLEX`` errors of a document over a limit; empty when it is within all of them."""
    measured = measured or measure(document)
    errors: list[GraphQLError] = []
    if measured.repeats > MAX_REPEATS:
        errors.append(_too_complex(
            f"A selection set asks for the same field more than {MAX_REPEATS} times; ask for each field once.",
            "repeats", MAX_REPEATS))
    if measured.selections > MAX_SELECTIONS:
        errors.append(_too_complex(
            f"The document expands to more than {MAX_SELECTIONS} selections (a fragment counts each time it is "
            "spread); ask for less or spread fragments fewer times.", "selections", MAX_SELECTIONS))
    for name, shape in measured.operations.items():
        if shape.depth > MAX_DEPTH:
            errors.append(_too_complex(f"'{name}' exceeds maximum operation depth of {MAX_DEPTH}", "depth", MAX_DEPTH))
    if measured.cost > MAX_COST:
        errors.append(_too_complex(
            f"The operation costs {measured.cost}, more than {MAX_COST} (each object field 2, each scalar field 1, "
            "times its depth); ask for fewer fields or less nesting.", "cost", MAX_COST))
    if measured.aliases > MAX_ALIASES:
        errors.append(_too_complex(f"{measured.aliases} aliases found. Allowed: {MAX_ALIASES}", "aliases",
                                   MAX_ALIASES))
    return errors


def _too_complex(message: str, limit: str, value: int) -> GraphQLError:
    return GraphQLError(message, extensions={"code": TOO_COMPLEX, "limit": limit, "allowed": value})


def _most_repeated(document: DocumentNode) -> int:
    """The largest number of fields with one response name in a single selection set of the document."""
    most = 0
    pending: list[SelectionSetNode] = [
        definition.selection_set for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode)
    ]
    while pending:
        counts: dict[str, int] = {}
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                key = (selection.alias or selection.name).value
                counts[key] = counts.get(key, 0) + 1
            if isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set:
                pending.append(selection.selection_set)
        most = max(most, *counts.values(), 0)
    return most


def _spreads(selection_set: SelectionSetNode) -> Iterator[str]:
    """Names of the fragments spread anywhere inside ``selection_set`` (not inside those fragments)."""
    pending: list[SelectionNode] = list(selection_set.selections)
    while pending:
        selection = pending.pop()
        if isinstance(selection, FragmentSpreadNode):
            yield selection.name.value
        elif isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set:
            pending.extend(selection.selection_set.selections)


def _fragment_shapes(fragments: Mapping[str, FragmentDefinitionNode]) -> dict[str, Shape]:
    """Each fragment's shape, computed once after the fragments it spreads (depth-first, no recursion)."""
    shapes: dict[str, Shape] = {}
    entered: set[str] = set()
    for start in fragments:
        if start in shapes:
            continue
        entered.add(start)
        stack: list[tuple[str, Iterator[str]]] = [(start, _spreads(fragments[start].selection_set))]
        while stack:
            name, dependencies = stack[-1]
            dependency = next(dependencies, None)
            if dependency is None:
                stack.pop()
                shapes[name] = _shape(fragments[name].selection_set, shapes)
            elif dependency in fragments and dependency not in entered:
                # An entered fragment is either measured or on the stack (a cycle: counted as one selection).
                entered.add(dependency)
                stack.append((dependency, _spreads(fragments[dependency].selection_set)))
    return shapes


def _shape(root: SelectionSetNode, fragments: Mapping[str, Shape]) -> Shape:
    """The shape of one selection set, given the shapes of the fragments it spreads.

    The selections are listed parents first; walking the list backwards then meets every child before
    its parent, so each one's totals are complete when they are added to the parent's.
    """
    nodes: list[SelectionNode] = []
    parents: list[int] = []
    pending: list[tuple[SelectionNode, int]] = [(selection, -1) for selection in root.selections]
    while pending:
        selection, parent = pending.pop()
        parents.append(parent)
        nodes.append(selection)
        if isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set:
            index = len(nodes) - 1
            pending.extend((child, index) for child in selection.selection_set.selections)
    # Totals of each selection's children: selections, deepest child, aliases, weight, cost (children at depth 1).
    below = [[0, 0, 0, 0, 0] for _ in nodes]
    total = [0, 0, 0, 0, 0]
    for index in range(len(nodes) - 1, -1, -1):
        selection, (size, depth, aliases, weight, cost) = nodes[index], below[index]
        if isinstance(selection, FieldNode):
            size += 1
            aliases += 1 if selection.alias else 0
            introspection = selection.name.value.startswith("__")
            nested = selection.selection_set is not None and not introspection
            depth = depth + 1 if nested else 0
            if introspection:
                weight = cost = 0
            else:  # the field at depth 1, its children one deeper
                own = 2 if selection.selection_set is not None else 1
                weight, cost = own + weight, own + cost + weight
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value, Shape())
            size, depth, aliases = 1 + fragment.selections, fragment.depth, fragment.aliases
            weight, cost = fragment.weight, fragment.cost
        else:
            size += 1
        target = below[parents[index]] if parents[index] >= 0 else total
        target[0] = min(_CAP, target[0] + size)
        target[1] = max(target[1], depth)
        target[2] = min(_CAP, target[2] + aliases)
        target[3] = min(_CAP, target[3] + weight)
        target[4] = min(_CAP, target[4] + cost)
    return Shape(selections=total[0], depth=total[1], aliases=total[2], weight=total[3], cost=total[4])


def validate(schema: GraphQLSchema, document: DocumentNode, rules: tuple[type[ASTValidationRule], ...],
             measured: Measurement | None = None) -> list[GraphQLError]:
    """The limit refusals of a document, or else graphql-core's validation errors (empty: valid)."""
    refused = refusals(document, measured)
    if refused:
        return refused
    errors = validate_document(schema, document, rules)
    if any(isinstance(error, ValidationAbortedError) and error.message == "Validation aborted." for error in errors):
        # The overlap budget ran out (or the recursion limit was hit): say why instead of graphql-core's words.
        return [_too_complex("The document repeats fields with the same name too often to be checked; "
                             "select each field once per selection set.", "validation", OVERLAP_BUDGET)]
    return errors


class DocumentLimits(SchemaExtension):
    """Refuse documents over the limits above, else validate; results are kept in the schema's document cache.

    It must be the only extension with an ``on_validate`` hook that validates: it sets the validation
    result itself, and strawberry's own validation then does not run again.
    """

    def __init__(self, cache: DocumentCache) -> None:
        self.cache = cache
        self.cost: int | None = None

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            measured = self.cache.derived(document, "measurement", lambda: measure(document))
            self.cost = operation_cost(measured, context.operation_name)
            schema, rules = context.schema._schema, tuple(context.validation_rules)
            errors = self.cache.validate(document, rules, lambda: validate(schema, document, rules, measured))
            context.pre_execution_errors = errors
            _count_refusal(errors, context.context)
        yield

    def get_results(self) -> dict[str, Any]:
        """``extensions.cost`` of the answer: what the operation run cost, and the most it may."""
        if self.cost is None:
            return {}
        return {"cost": {"requested": self.cost, "maximum": MAX_COST}}


def _count_refusal(errors: list[GraphQLError], request: Any) -> None:
    """Count a refused document as a security event (its first limit as the detail; never the document)."""
    limit = next(((error.extensions or {}).get("limit") for error in errors
                  if (error.extensions or {}).get("code") == TOO_COMPLEX), None)
    if limit is not None:
        scope = getattr(getattr(request, "request", None), "scope", None)
        refused("graphql_too_complex", scope, str(limit))


def operation_cost(measured: Measurement, operation_name: str | None) -> int:
    """The cost of the operation a request runs (its name, or the document's only one; 0 when there is none)."""
    operations = measured.operations
    if operation_name is not None:
        return operations.get(operation_name, Shape()).cost
    return next(iter(operations.values())).cost if len(operations) == 1 else 0

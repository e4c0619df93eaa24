"""The root fields an operation selects: what the audit log records and what the two-step and password-change rules
let through.

The rate limits (``graphql/operation_limits.py``) count differently (every spread of a fragment counts again, so
spreads cannot multiply a budget) and the billing rule refuses fragments at the root (``graphql/billing/``).
"""

from __future__ import annotations

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)


def operation_to_run(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode | None:
    """The operation named ``operation_name`` (the first one without a name given); ``None`` when there is none."""
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            operation_name is None or (definition.name is not None and definition.name.value == operation_name)
        ):
            return definition
    return None


def fragments_of(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    """The document's fragments by name."""
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def root_fields(document: DocumentNode, operation_name: str | None) -> list[FieldNode]:
    """The root fields of the operation that runs, through inline fragments and fragment spreads (each fragment
    walked once, so the work is linear in the document)."""
    operation = operation_to_run(document, operation_name)
    if operation is None:
        return []
    fragments = fragments_of(document)
    seen: set[str] = set()
    found: list[FieldNode] = []

    def walk(selection_set: SelectionSetNode) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                found.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                walk(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    walk(fragment.selection_set)

    walk(operation.selection_set)
    return found


def root_field_names(document: DocumentNode, operation_name: str | None) -> set[str]:
    """The names of :func:`root_fields`."""
    return {field.name.value for field in root_fields(document, operation_name)}

"""Relay global ids: decoding that treats every malformed or foreign id as simply "not found"."""

from __future__ import annotations

from uuid import UUID

from strawberry import relay


def decode_id(value: str, type_name: str) -> UUID | None:
    """The UUID inside a global id of ``type_name``, or None when it is malformed or of another type."""
    try:
        global_id = relay.GlobalID.from_id(value)
        if global_id.type_name != type_name:
            return None
        return UUID(global_id.node_id)
    except (ValueError, TypeError):
        return None


def encode_id(type_name: str, value: UUID) -> str:
    return str(relay.GlobalID(type_name=type_name, node_id=str(value)))

"""GraphQL types of the audit log: AuditEntry and its connection."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry
from strawberry import relay

from pejling.core.audit import models
from pejling.graphql.context import Info
from pejling.graphql.relay_ids import encode_id

# strawberry.enum registers the model enums in place; the aliases keep them usable as annotations.
strawberry.enum(models.AuditKind, name="AuditKind", description="change: a mutation; read: a query that returned "
                "shopper data; download: a file downloaded (a response export, the audit log).")
strawberry.enum(models.ActorKind, name="AuditActorKind", description="A person logged in, or an API token.")
strawberry.enum(models.AuditOutcome, name="AuditOutcome",
                description="ok; refused: a typed error, nothing was done; failed: an unexpected error.")
AuditKind = models.AuditKind
AuditActorKind = models.ActorKind
AuditOutcome = models.AuditOutcome


@strawberry.type(name="AuditEntry", description="Who changed or read what, when, and from which (hashed) address.")
class AuditEntryNode:
    id: strawberry.ID
    at: datetime
    kind: AuditKind
    actor_kind: AuditActorKind
    actor_id: strawberry.ID = strawberry.field(description="The user's or API token's id (a UUID).")
    user_id: strawberry.ID | None = strawberry.field(
        description="The person: the user, or the member who made the API token (a UUID)."
    )
    operation: str = strawberry.field(description="The GraphQL operation name; empty when none was given.")
    fields: list[str] = strawberry.field(description="The operation's top-level fields (or what was downloaded).")
    shopper_fields: list[str] = strawberry.field(description="Shopper data read, as Type.field.")
    object_ids: list[strawberry.ID] = strawberry.field(
        description="Global ids of the objects named in the arguments, or of the responses and follow-ups read."
    )
    outcome: AuditOutcome
    error_codes: list[str] = strawberry.field(description="The error codes answered, when not ok.")
    address_hash: str = strawberry.field(
        description="A keyed hash of the client address, rotated monthly (equal within a month for one address)."
    )

    @strawberry.field(description="The person's email; empty when they are no longer a user.")
    async def actor_email(self, info: Info) -> str:
        if self.user_id is None:
            return ""
        user = await info.context.loaders.user.load(UUID(str(self.user_id)))
        return user.email if user is not None else ""

    @classmethod
    def from_model(cls, entry: models.AuditEntry) -> AuditEntryNode:
        return cls(
            id=strawberry.ID(encode_id("AuditEntry", entry.id)), at=entry.at, kind=AuditKind(entry.kind),
            actor_kind=AuditActorKind(entry.actor_kind), actor_id=strawberry.ID(str(entry.actor_id)),
            user_id=strawberry.ID(str(entry.user_id)) if entry.user_id else None, operation=entry.operation,
            fields=list(entry.field_names), shopper_fields=list(entry.shopper_fields),
            object_ids=[strawberry.ID(_global(text)) for text in entry.object_ids],
            outcome=AuditOutcome(entry.outcome), error_codes=list(entry.error_codes),
            address_hash=entry.address_hash,
        )


def _global(text: str) -> str:
    type_name, _, node_id = str(text).partition(":")
    try:
        return encode_id(type_name, UUID(node_id))
    except ValueError:
        return str(text)


@strawberry.type(name="AuditEntryEdge", description="An audit entry and its cursor.")
class AuditEntryEdge:
    cursor: str
    node: AuditEntryNode


@strawberry.type(name="AuditEntryConnection", description="A page of the audit log, newest first.")
class AuditEntryConnection:
    edges: list[AuditEntryEdge]
    page_info: relay.PageInfo

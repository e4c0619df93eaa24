"""Reading a tenant's webhook endpoints and their delivery log (owners and admins)."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated
from uuid import UUID

import strawberry

from pejling.graphql.context import Info
from pejling.graphql.errors import ApiError
from pejling.graphql.permissions import require_tenant
from pejling.graphql.relay_ids import decode_id
from pejling.graphql.webhooks.types import WebhookDeliveryType, WebhookEndpointType
from pejling.plugins.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from pejling.tenants.scope import tenant_scope

MAX_DELIVERIES = 100


def require_admin(info: Info) -> UUID:
    """The tenant id of a query by an owner or admin; raises for anyone else."""
    tenant, actor = require_tenant(info)
    if not actor.is_admin:
        raise ApiError("Only owners and admins see webhooks.", "FORBIDDEN")
    return tenant.id


@strawberry.type
class WebhookQuery:
    @strawberry.field(description="This tenant's webhook endpoints, oldest first (owners and admins).")
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpointType]:
        tenant_id = require_admin(info)
        with tenant_scope(tenant_id):
            endpoints = await WebhookEndpoint.all().order_by("created_at", "id")
        return [WebhookEndpointType.of(e) for e in endpoints]

    @strawberry.field(description="The delivery log of one endpoint, newest first, with every attempt "
                      "(owners and admins). An endpoint that is not this tenant's has no deliveries.")
    async def webhook_deliveries(
        self, info: Info, endpoint: strawberry.ID,
        first: Annotated[int, strawberry.argument(description=f"At most {MAX_DELIVERIES}.")] = 50,
    ) -> list[WebhookDeliveryType]:
        tenant_id = require_admin(info)
        if not 1 <= first <= MAX_DELIVERIES:
            raise ApiError(f"first must be 1 to {MAX_DELIVERIES}.", "INVALID", field="first")
        endpoint_id = decode_id(endpoint, "WebhookEndpoint")
        if endpoint_id is None:
            return []
        with tenant_scope(tenant_id):
            deliveries = await WebhookDelivery.filter(endpoint_id=endpoint_id).order_by("-created_at", "-id") \
                .limit(first)
            attempts: dict[object, list[WebhookAttempt]] = defaultdict(list)
            if deliveries:
                for attempt in await WebhookAttempt.filter(delivery_id__in=[d.id for d in deliveries]):
                    attempts[attempt.delivery_id].append(attempt)
        return [WebhookDeliveryType.of(d, attempts[d.id]) for d in deliveries]

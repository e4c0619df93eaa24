"""Built-in plugin ``followups``: checks the tenant's alert rules when a response arrives.

Registered like any plugin (see ``BUILTIN_PLUGINS``); a tenant that disables it gets no alerts from new
responses. The rules themselves live in :mod:`pejling.core.followups.rules`.
"""

from __future__ import annotations

from uuid import UUID

from pejling.core.contracts import ShopperResponse
from pejling.core.followups.rules import evaluate_response
from pejling.core.hookspecs import hookimpl
from pejling.tenants.scope import tenant_scope


@hookimpl
async def response_received(tenant_id: UUID, response: ShopperResponse) -> None:
    """Open follow-ups for the per-response rules this response trips (their mails go through the job queue)."""
    with tenant_scope(tenant_id):
        await evaluate_response(response.id)

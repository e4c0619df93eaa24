"""Built-in plugin ``followups``: checks the tenant's alert rules when responses arrive.

Registered like any plugin (see ``BUILTIN_PLUGINS``); a tenant that disables it gets no alerts from new
responses. The rules themselves live in :mod:`pejling.core.followups.rules`.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from pejling.core.contracts import ShopperResponse
from pejling.core.followups.rules import evaluate_responses
from pejling.core.hookspecs import hookimpl
from pejling.tenants.scope import tenant_scope


@hookimpl
async def responses_received(tenant_id: UUID, responses: Sequence[ShopperResponse]) -> None:
    """Open follow-ups for the per-response rules these responses trip, checked together (the rules read once for
    the batch; their mails go through the job queue)."""
    with tenant_scope(tenant_id):
        await evaluate_responses([response.id for response in responses])

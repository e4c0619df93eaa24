"""Helpers of the closed-loop tests: responses stored directly (for history and paging) and GraphQL snippets."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from pejling.core.surveys.models import Answer, Response
from pejling.tenants.models import Store, Zone
from pejling.tenants.scope import tenant_scope

from .conftest import Chain


async def stored_response(chain: Chain, *, submitted_at: datetime, outcome: int | None = 7, comment: str = "",
                          store: Store | None = None, zone: Zone | None = None, channel: str = "qr",
                          flags: list[str] | None = None, consent_email: str | None = None,
                          language: str = "da") -> Response:
    """A response written straight to the database (history older than ingest accepts, or many rows for paging)."""
    store = store or chain.store
    with tenant_scope(chain.tenant.id):
        response = await Response.create(
            id=uuid.uuid4(), store=store, zone=zone, survey_version_id=chain.version_id, channel=channel,
            language=language, started_at=submitted_at - timedelta(seconds=40), submitted_at=submitted_at,
            duration_ms=40_000, outcome=outcome, comment=comment, consent_contact=consent_email is not None,
            contact_email=consent_email, quality_flags=flags or [], receipt_code=_receipt(),
        )
        await Answer.create(response=response, store_id=store.id, submitted_at=submitted_at,
                            statement_id=chain.statement_ids[0], goal="security", polarity=1, value=4, position=0,
                            reaction_ms=1000)
    return response


def _receipt() -> str:
    alphabet = "ABCDEFGHJKMNPQRSTVWXYZ"
    code = "".join(secrets.choice(alphabet) for _ in range(6))
    return f"{code[:3]}-{code[3:]}"


CREATE_RULE = """
mutation($input: AlertRuleInput!) {
  createAlertRule(input: $input) {
    alertRule { id name kind threshold goal words minResponses enabled notifyRoles notifyEmails stores { id } }
    errors { code field message }
  }
}
"""

FOLLOW_UPS = """
query($status: [FollowUpStatus!], $storeIds: [ID!], $first: Int, $after: String) {
  followUps(status: $status, storeIds: $storeIds, first: $first, after: $after) {
    edges { cursor node { id status reason title details store { id name } rule { id kind }
            response { id outcome comment contactEmail } assignee { id email }
            notes { text authorName } replies { subject text } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def nodes(body: dict[str, Any], field: str) -> list[dict[str, Any]]:
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"][field]["edges"]]

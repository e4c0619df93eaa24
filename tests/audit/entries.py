"""Helpers of the audit-log tests: a tenant's entries, members with tokens, and a shopper response to read."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from pejling.core.audit.models import AuditEntry
from pejling.core.auth.models import ApiToken
from pejling.core.followups.models import AlertRule, FollowUp, RuleKind
from pejling.core.surveys.models import Response
from pejling.core.surveys.survey import active_survey
from pejling.tenants.models import Role, Tenant, User
from pejling.tenants.scope import tenant_scope
from tests.support.tenancy import TenantFixture, member, token_for


async def entries_of(tenant: Tenant) -> list[AuditEntry]:
    """The tenant's audit entries, newest first."""
    with tenant_scope(tenant.id):
        return list(await AuditEntry.all().order_by("-at", "-id"))


async def token_id_of(tenant: Tenant, user: User) -> uuid.UUID:
    with tenant_scope(tenant.id):
        token = await ApiToken.filter(created_by_id=user.id).order_by("-created_at").first()
    assert token is not None
    return token.id


async def member_with_token(a: TenantFixture, role: Role) -> tuple[User, dict[str, str]]:
    """A member of ``a`` with ``role`` (store managers: of a's first store) and the headers of their API token."""
    stores = [str(a.stores[0].id)] if role is Role.STORE_MANAGER else None
    user = await member(a.tenant, role, stores)
    return user, {"Authorization": f"Bearer {await token_for(a.tenant, user)}"}


async def shopper_response(a: TenantFixture, *, follow_up: bool = False) -> tuple[Response, FollowUp | None]:
    """A response at a's first store with a comment and a contact address, and optionally a follow-up on it."""
    with tenant_scope(a.tenant.id):
        current = await active_survey()
        assert current is not None
        submitted = datetime.now(UTC) - timedelta(minutes=5)
        response = await Response.create(
            id=uuid.uuid4(), store=a.stores[0], zone=a.zones[0], survey_version=current.version, channel="qr",
            language="en", started_at=submitted - timedelta(seconds=30), submitted_at=submitted, duration_ms=30_000,
            outcome=2, comment="slow checkout", consent_contact=True, contact_email="shopper@example.com",
            receipt_code=f"{uuid.uuid4().hex[:3].upper()}-{uuid.uuid4().hex[:3].upper()}",
        )
        item = None
        if follow_up:
            rule = await AlertRule.create(name="low", kind=RuleKind.OUTCOME_AT_MOST, threshold=3)
            item = await FollowUp.create(rule=rule, response=response, store=a.stores[0], reason="outcome 2",
                                         dedupe_key=f"{rule.id}:response:{response.id}")
    return response, item

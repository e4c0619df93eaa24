"""Single sign-on in the audit log: a login in the tenant it logged into, a refusal in the tenant whose page it was
(with the person once the provider named one), a callback of no tenant among the entries of no tenant."""

from __future__ import annotations

from typing import Any

from pejling.core.audit.models import ActorKind, AuditEntry, AuditOutcome, InstanceAuditEntry
from pejling.core.audit.recording import NOBODY, address_hash
from pejling.core.auth.sso.login import NO_PASSWORD
from pejling.core.settings import Settings
from pejling.tenants.models import Membership, Role, Tenant, User
from pejling.tenants.scope import tenant_scope
from tests.auth.auth_helpers import browser
from tests.sso.conftest import SsoTenant
from tests.sso.oidc_provider import OidcProvider
from tests.sso.test_sso_login import assert_refused, sign_in
from tests.support.tenancy import make_tenant


async def _sso_entries(tenant: Tenant) -> list[AuditEntry]:
    with tenant_scope(tenant.id):
        return [e for e in await AuditEntry.all().order_by("at", "id") if e.field_names == ["ssoLogin"]]


async def test_a_login_and_a_refusal_are_recorded_in_the_tenant(app: Any, provider: OidcProvider,
                                                                sso_tenant: SsoTenant, database: Settings) -> None:
    tenant = sso_tenant.fixture.tenant
    email = sso_tenant.email("grace")
    provider.person = {"email": email, "email_verified": True}
    async with browser(app, address="10.77.0.1") as client:
        answer, _ = await sign_in(client, sso_tenant.slug)
        assert answer.status_code == 303
    user = await User.get(email=email)
    [ok] = await _sso_entries(tenant)
    assert (ok.actor_kind, ok.actor_id, ok.user_id, ok.outcome) == (ActorKind.USER, user.id, user.id,
                                                                    AuditOutcome.OK)
    assert ok.address_hash == address_hash(database, tenant.id, "10.77.0.1")

    provider.tamper = {"aud": "someone-else"}
    async with browser(app) as client:
        refused, _ = await sign_in(client, sso_tenant.slug)
        assert refused.status_code == 403
    [_, nobody] = await _sso_entries(tenant)
    assert (nobody.actor_id, nobody.user_id, nobody.outcome, nobody.error_codes) == (
        NOBODY, None, AuditOutcome.REFUSED, ["sso_refused"])


async def test_a_refused_person_is_named_once_the_provider_named_them(app: Any, provider: OidcProvider,
                                                                      sso_tenant: SsoTenant) -> None:
    other = await make_tenant(stores=0)
    victim = await User.create(email=sso_tenant.email("victim2"), password_hash=NO_PASSWORD)
    with tenant_scope(other.tenant.id):
        await Membership.create(user=victim, role=Role.OWNER, store_ids=[])
    provider.person = {"email": victim.email, "email_verified": True}
    async with browser(app) as client:
        answer, _ = await sign_in(client, sso_tenant.slug)
        assert_refused(answer, 403, "also belongs to another organisation")
    [entry] = await _sso_entries(sso_tenant.fixture.tenant)
    assert (entry.user_id, entry.outcome, entry.error_codes) == (victim.id, AuditOutcome.REFUSED, ["sso_refused"])
    # The other tenant's log is not told about an attempt on another tenant's page.
    assert await _sso_entries(other.tenant) == []


async def test_a_callback_of_no_tenant_is_recorded_against_no_tenant(app: Any) -> None:
    before = await InstanceAuditEntry.filter(operation="ssoLogin").count()
    async with browser(app) as client:
        answer = await client.get("/sso/no-such-tenant-at-all/callback?state=x&code=y")
    assert answer.status_code == 404
    entries = await InstanceAuditEntry.filter(operation="ssoLogin").order_by("-at")
    assert len(entries) == before + 1
    assert entries[0].error_codes == ["sso_not_configured"] and entries[0].email_hash == ""

"""Deleting a tenant: nothing of it is left in any table or file, other tenants lose nothing, and only an owner
who types the slug can do it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from pejling.core.audit.models import AuditEntry
from pejling.core.followups.exports import exports_dir
from pejling.core.followups.models import AlertRule, FollowUp, FollowUpNote, RuleKind
from pejling.core.followups.tenant_export import tenant_models
from pejling.core.jobs.models import Job
from pejling.core.jobs.queue import enqueue
from pejling.core.settings import Settings
from pejling.core.tenant_deletion import deletion_order
from pejling.tenants.models import Membership, Role, Tenant, User
from pejling.tenants.plugin_settings import PluginSetting
from pejling.tenants.scope import all_tenants, tenant_scope
from tests.followups.conftest import Chain, make_chain

DELETE = "mutation($s: String!) { deleteTenant(confirmSlug: $s) { deletedSlug errors { code field } } }"


async def _gql(client: httpx.AsyncClient, headers: dict[str, str], query: str, **variables: Any) -> dict[str, Any]:
    reply = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    body: dict[str, Any] = reply.json()
    return body


async def _rows(tenant_id: Any) -> dict[str, int]:
    with tenant_scope(tenant_id):
        return {model._meta.db_table: await model.all().count() for model in tenant_models()}


async def _fill(chain: Chain, client: httpx.AsyncClient, settings: Settings) -> None:
    """A tenant with some of everything: responses, a follow-up thread, settings, jobs, an export file, audit."""
    with tenant_scope(chain.tenant.id):
        await AlertRule.create(name="Low", kind=RuleKind.OUTCOME_AT_MOST, threshold=3, notify_roles=[])
    for outcome in (2, 9):
        await chain.submit(outcome=outcome)
    with tenant_scope(chain.tenant.id):
        follow_up = await FollowUp.filter().first()
        assert follow_up is not None
        await FollowUpNote.create(follow_up_id=follow_up.id, text="Called back")
        await PluginSetting.update_or_create(defaults={"enabled": False}, plugin="csat")
    await enqueue("followups.notify", {"follow_up_id": str(follow_up.id)}, tenant_id=chain.tenant.id,
                  run_at=datetime.now(UTC) + timedelta(days=1))
    folder = exports_dir(settings.var_dir, chain.tenant.id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "old.csv").write_text("id\n")
    renamed = await _gql(client, chain.owner.headers, 'mutation { updateTenant(input: {name: "Renamed"}) '
                         "{ errors { code } } }")
    assert renamed["data"]["updateTenant"]["errors"] == []


async def test_children_are_emptied_before_the_tables_they_reference(database: Settings) -> None:
    order = [m._meta.db_table for m in deletion_order(tenant_models())]
    assert order.index("survey_answer") < order.index("survey_response") < order.index("survey_version")
    assert order.index("survey_response") < order.index("store") and order.index("followup_note") < order.index(
        "followup")


async def test_an_owner_deletes_the_tenant_and_nothing_of_it_is_left(
    client: httpx.AsyncClient, app: Any, database: Settings
) -> None:
    doomed, kept = await make_chain(app), await make_chain(app)
    await _fill(doomed, client, database)
    await _fill(kept, client, database)
    with tenant_scope(kept.tenant.id):  # the analyst works for both retailers: keeps the account
        await Membership.create(user_id=doomed.analyst.user.id, role=Role.ANALYST)
    kept_before = await _rows(kept.tenant.id)
    with all_tenants():
        assert await AuditEntry.filter(tenant_id=doomed.tenant.id).exists()

    for person, slug, code in ((doomed.owner, "wrong", "invalid"), (doomed.analyst, doomed.tenant.slug, "forbidden"),
                               (doomed.manager, doomed.tenant.slug, "forbidden")):
        refused = (await _gql(client, person.headers, DELETE, s=slug))["data"]["deleteTenant"]
        assert refused["deletedSlug"] is None and [e["code"] for e in refused["errors"]] == [code]
    assert await Tenant.exists(id=doomed.tenant.id)

    done = (await _gql(client, doomed.owner.headers, DELETE, s=doomed.tenant.slug))["data"]["deleteTenant"]
    assert done == {"deletedSlug": doomed.tenant.slug, "errors": []}

    assert not await Tenant.exists(id=doomed.tenant.id)
    left = {table: n for table, n in (await _rows(doomed.tenant.id)).items() if n}
    assert left == {}, left
    with all_tenants():
        assert not await AuditEntry.filter(tenant_id=doomed.tenant.id).exists()
        assert not await Job.filter(tenant_id=doomed.tenant.id).exists()
    assert not await User.exists(id=doomed.owner.user.id) and not await User.exists(id=doomed.manager.user.id)
    assert await User.exists(id=doomed.analyst.user.id), "a member of another tenant keeps the account"
    assert not exports_dir(database.var_dir, doomed.tenant.id).exists()
    gone = await client.post("/graphql", json={"query": "{ me { email } }"}, headers=doomed.owner.headers)
    assert gone.status_code == 401, "the deleted owner's token went with the account"

    after = await _rows(kept.tenant.id)
    assert {t: n for t, n in after.items() if t != "audit_entry"} == {
        t: n for t, n in kept_before.items() if t != "audit_entry"}
    assert after["membership"] == kept_before["membership"]
    assert await Tenant.exists(id=kept.tenant.id) and exports_dir(database.var_dir, kept.tenant.id).exists()

"""Retention: responses older than the tenant's months are anonymised (figures kept) or deleted (figures follow),
by an hourly job, a page at a time; export files that may hold them go too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from pejling.core.followups.exports import ERASED_WHILE_RUNNING, export_path
from pejling.core.followups.models import Export, ExportFormat, ExportStatus, FollowUp, FollowUpNote, Reply
from pejling.core.insights.models import Score
from pejling.core.jobs.models import Job
from pejling.core.jobs.registry import HOURLY_JOBS
from pejling.core.jobs.worker import Worker
from pejling.core.plugin_manager import Plugins
from pejling.core.settings import Settings
from pejling.core.surveys import retention
from pejling.core.surveys.erasure import erase_response, find_by_receipt
from pejling.core.surveys.ingest import IngestResult, ingest_response
from pejling.core.surveys.models import Answer, Response
from pejling.tenants.models import Membership, Role, Tenant
from pejling.tenants.scope import tenant_scope
from tests.support.tenancy import gql, member, token_for

from .conftest import STARTED, Shop
from .test_group_commit import assert_rollups_equal_recomputation, assert_same_sums, rollup_snapshot

OLD = STARTED - timedelta(days=100)
CONSENT = {"contact": True, "email": "old-shopper@example.com"}


async def _submit(shop: Shop, plugins: Plugins, when: datetime, address: str, **changes: Any) -> IngestResult:
    payload = shop.payload(started_at=when.isoformat(), submitted_at=(when + timedelta(seconds=40)).isoformat(),
                           **changes)
    return await ingest_response(payload, tenant_slug=shop.tenant.slug, store_slug=shop.store.slug,
                                 client_address=address, user_agent="", via="json", plugins=plugins)


async def _seed(shop: Shop, plugins: Plugins) -> tuple[list[IngestResult], list[IngestResult]]:
    """Three responses a hundred days old (one with contact consent and a follow-up thread) and two of this week."""
    old = [await _submit(shop, plugins, OLD + timedelta(minutes=i), f"10.9.0.{i}", outcome=3 + i,
                         **({"consent": CONSENT} if i == 0 else {})) for i in range(3)]
    new = [await _submit(shop, plugins, STARTED + timedelta(minutes=i), f"10.9.1.{i}", outcome=9) for i in range(2)]
    with tenant_scope(shop.tenant.id):
        for result in old:  # received when they were given, as real old responses were
            await Response.filter(id=result.response_id).update(received_at=OLD)
        first = await Response.get(id=old[0].response_id)
        follow_up = await FollowUp.create(store_id=shop.store.id, response_id=first.id, reason="Low score",
                                          dedupe_key=f"retention-{first.id}")
        await FollowUpNote.create(follow_up_id=follow_up.id, text="Called Kim back")
        await Reply.create(response_id=first.id, follow_up_id=follow_up.id, subject="Sorry", text="Dear Kim")
    return old, new


async def _retain(tenant: Tenant, months: int | None, mode: retention.RetentionMode) -> Tenant:
    tenant.retention_months, tenant.retention_mode = months, mode.value
    await tenant.save(update_fields=["retention_months", "retention_mode"])
    return tenant


async def _export(status: ExportStatus, made: datetime) -> tuple[Export, Any]:
    """An export row with its file, as if made at ``made``."""
    export = await Export.create(format=ExportFormat.CSV, status=status)
    await Export.filter(id=export.id).update(created_at=made)
    path = export_path(export)
    path.parent.mkdir(parents=True, exist_ok=True)
    (path if status is ExportStatus.SUCCEEDED else path.with_suffix(path.suffix + ".part")).write_text("id\n")
    return export, path


def test_months_are_calendar_months() -> None:
    assert retention.months_before(datetime(2026, 3, 31, 9, tzinfo=UTC), 1) == datetime(2026, 2, 28, 9, tzinfo=UTC)
    assert retention.months_before(datetime(2028, 3, 31, tzinfo=UTC), 1) == datetime(2028, 2, 29, tzinfo=UTC)
    assert retention.months_before(datetime(2026, 1, 15, tzinfo=UTC), 1) == datetime(2025, 12, 15, tzinfo=UTC)
    assert retention.months_before(datetime(2026, 12, 2, tzinfo=UTC), 120) == datetime(2016, 12, 2, tzinfo=UTC)
    assert retention.months_before(datetime(2026, 12, 2, tzinfo=UTC), 12) == datetime(2025, 12, 2, tzinfo=UTC)


async def test_anonymising_keeps_every_figure_and_nothing_that_leads_to_the_shopper(
    shop: Shop, plugins: Plugins
) -> None:
    old, new = await _seed(shop, plugins)
    tenant_id = shop.tenant.id
    tenant = await _retain(shop.tenant, 2, retention.RetentionMode.ANONYMISE)
    with tenant_scope(tenant_id):
        stale, _ = await _export(ExportStatus.SUCCEEDED, datetime.now(UTC) - timedelta(days=2))
        before_any, before_path = await _export(ExportStatus.SUCCEEDED, OLD - timedelta(days=1))
        answers, scores = await Answer.all().count(), await Score.all().count()
        figures = await rollup_snapshot(tenant_id)
        untouched = {r.id: r for r in await Response.filter(id__in=[n.response_id for n in new])}

        assert await retention.purge_expired(tenant) == 3

        for result in old:
            row = await Response.get(id=result.response_id)
            assert (row.comment, row.consent_contact, row.contact_email, row.client_key, row.submission_digest,
                    row.reward, row.channel_details) == ("", False, None, "", None, None, None)
            assert row.anonymised_at is not None and row.receipt_code != result.receipt_code
            assert await find_by_receipt(result.receipt_code) is None
            assert await find_by_receipt(row.receipt_code) is None, "a replacement code can never be looked up"
        assert await FollowUp.all().count() == await FollowUpNote.all().count() == await Reply.all().count() == 0
        assert (await Answer.all().count(), await Score.all().count()) == (answers, scores)
        assert_same_sums(figures, await rollup_snapshot(tenant_id))
        for row in await Response.filter(id__in=list(untouched)):
            assert row.anonymised_at is None and row.comment == untouched[row.id].comment
            assert row.receipt_code == untouched[row.id].receipt_code and row.client_key
        # The export made after the old responses arrived may hold them: gone with its file; the older one stays.
        assert not await Export.exists(id=stale.id) and not export_path(stale).exists()
        assert await Export.exists(id=before_any.id) and before_path.exists()

        assert await retention.purge_expired(tenant) == 0, "an anonymised response is not touched again"
    await assert_rollups_equal_recomputation(tenant_id)


async def test_deleting_erases_the_old_responses_and_the_figures_follow(shop: Shop, plugins: Plugins) -> None:
    old, new = await _seed(shop, plugins)
    tenant_id = shop.tenant.id
    tenant = await _retain(shop.tenant, 2, retention.RetentionMode.DELETE)
    with tenant_scope(tenant_id):
        n_before = await Response.all().count()
        running, partial = await _export(ExportStatus.RUNNING, datetime.now(UTC))

        assert await retention.purge_expired(tenant) == 3

        assert {str(r.id) for r in await Response.all()} == {n.response_id for n in new} and n_before == 5
        assert await Answer.filter(response_id__in=[o.response_id for o in old]).count() == 0
        assert await Score.filter(response_id__in=[o.response_id for o in old]).count() == 0
        assert await FollowUp.all().count() == await Reply.all().count() == 0
        figures = await rollup_snapshot(tenant_id)
        assert not any(key[3] == OLD.date().isoformat() for key in figures["insights_daily"]), "old days emptied"
        stopped = await Export.get(id=running.id)
        assert stopped.status == ExportStatus.FAILED and stopped.error == ERASED_WHILE_RUNNING
        assert not partial.exists()
        assert await retention.purge_expired(tenant) == 0
    await assert_rollups_equal_recomputation(tenant_id)


async def test_a_purge_goes_a_limited_number_at_a_time_oldest_first(shop: Shop, plugins: Plugins) -> None:
    old, _ = await _seed(shop, plugins)
    tenant = await _retain(shop.tenant, 2, retention.RetentionMode.ANONYMISE)
    with tenant_scope(shop.tenant.id):
        assert await retention.purge_expired(tenant, limit=2) == 2
        done = {str(r.id) for r in await Response.filter(anonymised_at__isnull=False)}
        assert done == {old[0].response_id, old[1].response_id}
        assert await retention.purge_expired(tenant, limit=2) == 1
        assert await retention.purge_expired(tenant, limit=2) == 0


async def test_without_a_retention_nothing_is_purged(shop: Shop, plugins: Plugins) -> None:
    await _seed(shop, plugins)
    with tenant_scope(shop.tenant.id):
        assert await retention.purge_expired(shop.tenant) == 0
        assert await Response.filter(anonymised_at__isnull=False).count() == 0
        assert await Response.all().count() == 5


async def test_the_hourly_sweep_queues_a_purge_per_tenant_with_a_retention_and_the_worker_runs_it(
    shop: Shop, plugins: Plugins, database: Settings
) -> None:
    from .conftest import make_shop

    old, _ = await _seed(shop, plugins)
    keeps = await make_shop()  # no retention: gets no job
    await _retain(shop.tenant, 2, retention.RetentionMode.DELETE)
    assert retention.SWEEP_JOB in HOURLY_JOBS
    worker = Worker(database, kinds=[retention.SWEEP_JOB, retention.PURGE_JOB])
    await retention.sweep({})
    await retention.sweep({})  # the same hour: queued once
    queued = await Job.filter(kind=retention.PURGE_JOB, tenant_id__in=[shop.tenant.id, keeps.tenant.id])
    assert [j.tenant_id for j in queued] == [shop.tenant.id]
    while await worker.run_once():
        pass
    with tenant_scope(shop.tenant.id):
        assert await Response.filter(id__in=[o.response_id for o in old]).count() == 0
        assert await Response.all().count() == 2
    await Job.filter(kind__in=[retention.SWEEP_JOB, retention.PURGE_JOB]).delete()


async def test_an_erasure_on_request_also_removes_exports_that_may_hold_the_response(
    shop: Shop, plugins: Plugins
) -> None:
    result = await _submit(shop, plugins, STARTED, "10.9.2.1")
    with tenant_scope(shop.tenant.id):
        made, path = await _export(ExportStatus.SUCCEEDED, datetime.now(UTC))
        response = await find_by_receipt(result.receipt_code)
        assert response is not None and path.exists()
        await erase_response(response)
        assert not path.exists() and not await Export.exists(id=made.id)


SET = """mutation($m: Int, $mode: RetentionMode!) { setRetention(months: $m, mode: $mode) {
  retention { months mode cutoff due } errors { code field } } }"""
READ = "{ retention { months mode cutoff due } }"


async def test_owners_set_the_retention_and_see_what_is_due(
    client: httpx.AsyncClient, shop: Shop, plugins: Plugins
) -> None:
    await _seed(shop, plugins)
    with tenant_scope(shop.tenant.id):
        owner = (await Membership.get(role=Role.OWNER).prefetch_related("user")).user
    headers = {"Authorization": f"Bearer {await token_for(shop.tenant, owner)}"}
    analyst = {"Authorization": f"Bearer {await token_for(shop.tenant, await member(shop.tenant, Role.ANALYST, None))}"}

    for months in (0, 121, -3):
        refused = await gql(client, SET, {"m": months, "mode": "DELETE"}, headers)
        assert refused["data"]["setRetention"] == {"retention": None, "errors": [{"code": "invalid",
                                                                                 "field": "months"}]}
    denied = await gql(client, SET, {"m": 2, "mode": "DELETE"}, analyst)
    assert denied["data"]["setRetention"]["errors"] == [{"code": "forbidden", "field": None}]
    assert [e["extensions"]["code"] for e in (await gql(client, READ, None, analyst))["errors"]] == ["FORBIDDEN"]
    assert (await Tenant.get(id=shop.tenant.id)).retention_months is None

    assert (await gql(client, READ, None, headers))["data"]["retention"] == {
        "months": None, "mode": "ANONYMISE", "cutoff": None, "due": 0}
    set_ = (await gql(client, SET, {"m": 2, "mode": "DELETE"}, headers))["data"]["setRetention"]
    assert set_["errors"] == [] and set_["retention"]["months"] == 2 and set_["retention"]["mode"] == "DELETE"
    assert set_["retention"]["due"] == 3
    cutoff = datetime.fromisoformat(set_["retention"]["cutoff"])
    assert timedelta(days=58) < datetime.now(UTC) - cutoff < timedelta(days=63)
    stored = await Tenant.get(id=shop.tenant.id)
    assert (stored.retention_months, stored.retention_mode) == (2, "delete")
    cleared = (await gql(client, SET, {"m": None, "mode": "ANONYMISE"}, headers))["data"]["setRetention"]
    assert cleared["retention"] == {"months": None, "mode": "ANONYMISE", "cutoff": None, "due": 0}


async def test_an_erasure_reaches_the_mail_copies_we_keep(shop: Shop, plugins: Plugins, database: Settings,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from pejling.core import followups
    from pejling.core.jobs.queue import enqueue
    from pejling.core.mail import build_mail, mail_to_files, send_mail
    from pejling.core.surveys.invitation_mail import INVITATION_MAIL_JOB
    from pejling.core.surveys.models import Invitation

    monkeypatch.setattr(followups, "_settings", database)  # jobs' settings: the suite's, mail written to files
    settings = followups.current_settings()
    assert mail_to_files(settings)
    result = await _submit(shop, plugins, STARTED, "10.9.3.1", consent={"contact": True, "email": "Kim@Example.com"})
    reply = await send_mail(settings, build_mail(settings, to="kim@example.com", subject="Re", text="Dear Kim"))
    invited = await send_mail(settings, build_mail(settings, to="invited@example.com", subject="Hi", text="Link"))
    other = await send_mail(settings, build_mail(settings, to="someone@example.com", subject="Hi", text="Other"))
    assert reply and invited and other
    with tenant_scope(shop.tenant.id):
        invitation = await Invitation.create(token_hash=f"t-{result.response_id}", store_id=shop.store.id,
                                             expires_at=datetime.now(UTC) + timedelta(days=1))
        await Response.filter(id=result.response_id).update(invitation_id=invitation.id)
    await enqueue(INVITATION_MAIL_JOB, {"to": "invited@example.com", "invitation_id": str(invitation.id)},
                  tenant_id=shop.tenant.id, idempotency_key=f"{INVITATION_MAIL_JOB}:{invitation.id}")
    with tenant_scope(shop.tenant.id):
        response = await Response.get(id=result.response_id)
        await erase_response(response)
    assert not reply.exists() and not invited.exists(), "the copies to the shopper's addresses are gone"
    assert other.exists(), "mail to anyone else stays"
    assert not await Job.exists(kind=INVITATION_MAIL_JOB, idempotency_key=f"{INVITATION_MAIL_JOB}:{invitation.id}")

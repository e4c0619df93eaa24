"""The weekly one-page store report (issue 12): content from planted data, the PDF, the download route, the mail job."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import httpx
import numpy as np
import pypdfium2 as pdfium
from helpers import token_for
from simulate import StoreModel, add_responses, default_model, make_world, recompute

from pejling.core import followups
from pejling.core.insights import engine
from pejling.core.insights.models import StoreChange
from pejling.core.insights.weekly_mail import MAIL_JOB, due_week, queue_weekly_reports
from pejling.core.insights.weekly_report import parse_week, report_pdf, weekly_report
from pejling.core.jobs.models import Job, JobStatus
from pejling.core.jobs.worker import Worker
from pejling.core.settings import Settings
from pejling.core.surveys.models import Response
from pejling.tenants.models import Membership, Role, Store, User
from pejling.tenants.scope import all_tenants, tenant_scope
from tests.support.smtp import SmtpSink, smtp_server  # noqa: F401 - the fixture is used by name

WEEK = "2026-W48"
MONDAY, SUNDAY = parse_week(WEEK)
PREVIOUS = MONDAY - dt.timedelta(days=7)
TODAY = dt.date(2026, 12, 1)
QUOTE_OLD = "Æblerne var friske og kassen gik hurtigt"
QUOTE_NEW = "Søde ansatte, og jeg fandt alt på første forsøg"
FLAGGED = "asdf asdf asdf"
NAME = "Købmand Ærø"


def _text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    assert len(document) == 1  # one page
    return document[0].get_textpage().get_text_range()


async def _world(comments: bool = True) -> Any:
    """Two stores; store 0 (Danish) has 80 responses the week before and 80 clearly happier ones in the week."""
    world = await make_world(n_stores=2)
    store = world.stores[0]
    with tenant_scope(world.tenant.id):
        await Store.filter(id=store.id).update(default_language="da", name=NAME)
    store.default_language, store.name = "da", NAME
    rng = np.random.default_rng(12)
    await add_responses(world, store, default_model(), 80, rng=rng, start=PREVIOUS, days=7)
    happier = StoreModel({**default_model().means, "ease": 4.3}, default_model().weights)
    week = await add_responses(world, store, happier, 80, rng=rng, start=MONDAY, days=7, outcome_shift=2.0)
    for other in (PREVIOUS, MONDAY):
        await add_responses(world, world.stores[1], default_model(), 80, rng=rng, start=other, days=7)
    if comments:
        late = dt.datetime.combine(SUNDAY, dt.time(20), dt.UTC)
        with tenant_scope(world.tenant.id):
            await Response.filter(id=week[0].id).update(comment=QUOTE_OLD, submitted_at=late - dt.timedelta(hours=2))
            await Response.filter(id=week[1].id).update(comment=QUOTE_NEW, submitted_at=late - dt.timedelta(hours=1),
                                                        consent_contact=True, contact_email="shopper@example.com")
            await Response.filter(id=week[2].id).update(comment=FLAGGED, submitted_at=late,
                                                        quality_flags=["straight_lining"])
            await StoreChange.create(store_id=store.id, date=TODAY - dt.timedelta(days=40), description="Gammel skilt")
            await StoreChange.create(store_id=store.id, date=TODAY - dt.timedelta(days=5),
                                     description="Ny skiltning ved kassen")
            await StoreChange.create(store_id=world.stores[1].id, date=TODAY - dt.timedelta(days=2),
                                     description="En anden butiks ændring")
    await recompute(world)
    return world


async def test_the_report_holds_what_moved_the_first_change_two_clean_quotes_and_the_change_to_watch(
    database: Settings,
) -> None:
    world = await _world()
    store = world.stores[0]
    with tenant_scope(world.tenant.id):
        report = await weekly_report(world.tenant.id, store, WEEK, today=TODAY)
        same = await engine.insights(engine.Request(tenant_id=world.tenant.id, scope=engine.Scope("store", (store.id,)),
                                                    start=MONDAY, end=SUNDAY, language="da"))
    assert report.n == 79  # the flagged response is left out of the figures
    assert report.language == "da" and report.store_name == NAME
    assert report.nps == same.nps and report.nps.sufficient and report.nps.low < report.nps.value < report.nps.high
    nps = next(d for d in report.moved if d.name == "nps")
    assert report.moved[0] is nps and nps.difference is not None and nps.difference > 20  # outcome shifted up 2
    assert report.first_change == same.optimise[0] and report.first_change.levers
    assert report.quotes == (QUOTE_NEW, QUOTE_OLD)  # newest first, the flagged one left out
    assert report.watch is not None and report.watch.description == "Ny skiltning ved kassen"
    assert report.watch.results_from == TODAY - dt.timedelta(days=5) + dt.timedelta(days=28)

    text = _text(report_pdf(report))
    for expected in ("Ugerapport", NAME, QUOTE_NEW, QUOTE_OLD, "Ny skiltning ved kassen", "Det første, der skal",
                     "Hvad har flyttet sig"):
        assert expected in " ".join(text.split()), expected
    assert FLAGGED not in text and "shopper@example.com" not in text


async def test_too_few_responses_are_said_not_invented(database: Settings) -> None:
    world = await make_world(n_stores=2)
    store = world.stores[0]
    with tenant_scope(world.tenant.id):
        await Store.filter(id=store.id).update(default_language="sv")
    store.default_language = "sv"
    await add_responses(world, store, default_model(), 4, rng=np.random.default_rng(3), start=MONDAY, days=7)
    await recompute(world)
    with tenant_scope(world.tenant.id):
        report = await weekly_report(world.tenant.id, store, WEEK, today=TODAY)
    assert report.n == 4 and not report.nps.sufficient and report.moved == () and report.first_change is None
    assert report.quotes == () and report.watch is None
    text = " ".join(_text(report_pdf(report)).split())
    assert "NPS: för få svar" in text and "För få svar för att peka ut" in text and "Inga kommentarer" in text


async def _member(tenant_id: Any, role: Role, store_ids: list[Any]) -> tuple[User, str]:
    with all_tenants():
        user = await User.create(email=f"wr-{secrets.token_hex(5)}@example.com", password_hash="x")
    with tenant_scope(tenant_id):
        await Membership.create(tenant_id=tenant_id, user_id=user.id, role=role, store_ids=[str(s) for s in store_ids])
    return user, await token_for(tenant_id, user.id, ("read",))


async def test_the_download_is_for_members_who_may_see_the_store(database: Settings,
                                                                 client: httpx.AsyncClient) -> None:
    world = await _world(comments=False)
    other = await make_world(n_stores=1)
    store, second = world.stores
    path = f"/api/stores/{store.id}/weekly-report.pdf?week={WEEK}"
    owner = await token_for(world.tenant.id, world.owner_id, ("read",))
    _, own_manager = await _member(world.tenant.id, Role.STORE_MANAGER, [store.id])
    _, other_manager = await _member(world.tenant.id, Role.STORE_MANAGER, [second.id])
    stranger = await token_for(other.tenant.id, other.owner_id, ("read",))

    for token in (owner, own_manager):
        response = await client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF") and NAME in " ".join(_text(response.content).split())
    for token in (other_manager, stranger):
        response = await client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 404
    assert (await client.get(path)).status_code == 401
    bad = await client.get(f"/api/stores/{store.id}/weekly-report.pdf?week=48",
                           headers={"Authorization": f"Bearer {owner}"})
    assert bad.status_code == 400

    query = "query($id: ID!) { node(id: $id) { ... on Store { weeklyReportUrl(week: \"2026-W48\") } } }"
    from pejling.graphql.relay_ids import encode_id
    answer = await client.post("/graphql", json={"query": query, "variables": {"id": encode_id("Store", store.id)}},
                               headers={"Authorization": f"Bearer {own_manager}"})
    url = answer.json()["data"]["node"]["weeklyReportUrl"]
    assert url.endswith(path)


def test_reports_are_due_from_monday_six_utc() -> None:
    monday = dt.datetime(2026, 11, 30, 5, 59, tzinfo=dt.UTC)
    assert due_week(monday) is None
    assert due_week(monday + dt.timedelta(minutes=1)) == WEEK
    assert due_week(dt.datetime(2026, 12, 6, 23, 0, tzinfo=dt.UTC)) == WEEK


async def _mail_jobs(tenant_id: Any) -> list[Job]:
    with all_tenants():
        return await Job.filter(kind=MAIL_JOB, tenant_id=tenant_id)


async def test_the_weekly_mail_goes_once_per_store_and_week_with_the_pdf_and_is_retried(
    database: Settings, smtp_server: SmtpSink,  # noqa: F811
) -> None:
    world = await _world()
    manager, _ = await _member(world.tenant.id, Role.STORE_MANAGER, [world.stores[0].id])
    monday = dt.datetime(2026, 11, 30, 7, 0, tzinfo=dt.UTC)
    down = database.model_copy(update={"smtp_url": "smtp://127.0.0.1:9"})
    up = database.model_copy(update={"smtp_url": smtp_server.url})
    worker = Worker(database, kinds=[MAIL_JOB], concurrency=1)
    followups.use_settings(down)
    try:
        assert await queue_weekly_reports(monday, tenant_id=world.tenant.id) == 1
        await worker.run_once()
        (job,) = await _mail_jobs(world.tenant.id)
        assert job.status == JobStatus.QUEUED and job.attempts == 1 and job.last_error
        assert smtp_server.to(manager.email) == []

        followups.use_settings(up)
        with all_tenants():
            await Job.filter(id=job.id).update(run_at=job.created_at)
        await worker.run_once()
        (mail,) = await smtp_server.wait_for(manager.email)
        assert mail["Subject"] == f"Ugerapport for {NAME}, uge {WEEK}"
        body = mail.get_body(("plain",))
        assert body is not None and "Vedhæftet er ugerapporten" in body.get_content()
        (attachment,) = list(mail.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        assert attachment.get_filename() == f"pejling-s0-{WEEK}.pdf"
        assert QUOTE_NEW in " ".join(_text(attachment.get_content()).split())

        # The scan runs every hour: the same store and week are never mailed again.
        assert await queue_weekly_reports(monday + dt.timedelta(hours=5), tenant_id=world.tenant.id) == 1
        await worker.run_once()
        assert len(await _mail_jobs(world.tenant.id)) == 1
        assert len(smtp_server.to(manager.email)) == 1
    finally:
        followups.use_settings(database)

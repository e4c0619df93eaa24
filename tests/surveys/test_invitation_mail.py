"""Email invitations end to end: GraphQL or the CSV import → the durable job → a real SMTP server (aiosmtpd) → the
shopper's link and the one-click unsubscribe; each invitation mailed once, the suppression list always respected."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from pydantic import SecretStr
from support.smtp import SmtpSink, smtp_server  # noqa: F401 - the fixture is used by name

from pejling.core import followups
from pejling.core.jobs.models import Job, JobStatus
from pejling.core.jobs.worker import Worker
from pejling.core.settings import Settings
from pejling.core.surveys.invitation_import import read_addresses
from pejling.core.surveys.invitation_mail import INVITATION_MAIL_JOB, queue_invitation_mail
from pejling.core.surveys.models import Invitation, Suppression
from pejling.core.surveys.suppressions import read_unsubscribe_token, unsubscribe_token
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.models import Role
from pejling.tenants.scope import all_tenants, tenant_scope
from tests.conftest import unique
from tests.support.cli import pejling
from tests.support.tenancy import member, token_for
from tests.surveys.conftest import Shop, make_shop

INVITE = """mutation($store: ID!, $to: [String!]!, $zone: ID, $channel: String! = "email", $language: String) {
  inviteShoppers(storeId: $store, recipients: $to, zoneId: $zone, channel: $channel, language: $language) {
    sent suppressed refused { address code } errors { code field message }
  }
}"""


@pytest.fixture
def mail_settings(database: Settings, smtp_server: SmtpSink) -> Iterator[Settings]:  # noqa: F811
    """Jobs of these tests mail to the local aiosmtpd server."""
    settings = database.model_copy(update={"smtp_url": smtp_server.url})
    followups.use_settings(settings)
    try:
        yield settings
    finally:
        followups.use_settings(database)


async def _run_jobs(settings: Settings, rounds: int = 5) -> None:
    worker = Worker(settings, kinds=[INVITATION_MAIL_JOB], concurrency=2)
    for _ in range(rounds):
        if not await worker.run_once():
            break


async def _owner_token(shop: Shop) -> str:
    return await token_for(shop.tenant, await member(shop.tenant, Role.OWNER))


async def gql(client: httpx.AsyncClient, token: str, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables},
                                 headers={"Authorization": f"Bearer {token}"})
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body


def _parts(message: EmailMessage) -> dict[str, str]:
    return {part.get_content_type(): str(part.get_content()) for part in message.walk()
            if part.get_content_type() in ("text/plain", "text/html")}


async def _invitation_jobs(tenant_id: Any) -> list[Job]:
    return await Job.filter(kind=INVITATION_MAIL_JOB, tenant_id=tenant_id)


async def test_an_invitation_arrives_once_localised_with_a_working_link_and_unsubscribe(
    app: Any, client: httpx.AsyncClient, mail_settings: Settings, smtp_server: SmtpSink,  # noqa: F811
) -> None:
    shop = await make_shop()
    token = await _owner_token(shop)
    address = f"{unique('shopper')}@example.com"
    body = await gql(client, token, INVITE, store=encode_id("Store", shop.store.id), to=[address, address.upper()],
                     zone=encode_id("Zone", shop.zone.id))
    assert body["data"]["inviteShoppers"] == {"sent": 1, "suppressed": 0, "refused": [], "errors": []}
    await _run_jobs(mail_settings)
    [message] = await smtp_server.wait_for(address)

    assert message["Subject"] == "Hvordan var dit besøg hos Main street?"  # the store's language (da)
    assert message["Content-Language"] == "da"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.fullmatch(r"<(.+)>", str(message["List-Unsubscribe"]))
    assert unsubscribe is not None and "/u/" in unsubscribe.group(1)
    parts = _parts(message)
    assert set(parts) == {"text/plain", "text/html"}
    links = re.findall(r"https?://\S+/i/[A-Za-z0-9_-]+[^\s\"<]*", parts["text/plain"])
    assert len(links) == 1 and links[0].replace("&", "&amp;") in parts["text/html"]
    assert unsubscribe.group(1).replace("&", "&amp;") in parts["text/html"]

    # the link opens the zone's survey, once
    link = urlsplit(links[0])
    page = await client.get(f"{link.path}?{link.query}")
    assert page.status_code == 200 and "Main street" in page.text
    with tenant_scope(shop.tenant.id):
        invitation = await Invitation.get(store_id=shop.store.id)
        assert invitation.sent_at is not None and invitation.zone_id == shop.zone.id

    # never twice: queued again, or the job run again, no second mail
    await queue_invitation_mail(tenant_id=shop.tenant.id, invitation_id=invitation.id, to=address, url=links[0],
                                language="da", store_name="Main street", expires_at=invitation.expires_at)
    with all_tenants():
        await Job.filter(kind=INVITATION_MAIL_JOB, tenant_id=shop.tenant.id).update(status=JobStatus.QUEUED)
    await _run_jobs(mail_settings)
    assert len(smtp_server.to(address)) == 1
    # the address is kept only until the mail is sent
    assert all("to" not in job.payload for job in await _invitation_jobs(shop.tenant.id))


async def test_one_click_unsubscribe_puts_the_address_on_the_suppression_list(
    app: Any, client: httpx.AsyncClient, mail_settings: Settings, smtp_server: SmtpSink,  # noqa: F811
) -> None:
    shop = await make_shop()
    token = await _owner_token(shop)
    address = f"{unique('leaver')}@example.com"
    link = f"/u/{unsubscribe_token(mail_settings, shop.tenant.id, 'email', address)}"

    asked = await client.get(link, headers={"Accept-Language": "sv"})
    assert asked.status_code == 200 and "<form" in asked.text and "Avregistrera" in asked.text
    with tenant_scope(shop.tenant.id):
        assert not await Suppression.exists()  # a look (a link checker, a preview) unsubscribes no one

    forged = await client.post(link[:-4] + "AAAA", content=b"List-Unsubscribe=One-Click")
    assert forged.status_code == 404
    repeated = await client.post(f"{link}?lang=sv&lang=da", content=b"List-Unsubscribe=One-Click")
    assert repeated.status_code == 400  # each parameter once (ASVS V15.3.7): refused, and nobody is unsubscribed
    with tenant_scope(shop.tenant.id):
        assert not await Suppression.exists()
    done = await client.post(link, content=b"List-Unsubscribe=One-Click",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert done.status_code == 200 and "<form" not in done.text
    assert (await client.post(link, content=b"List-Unsubscribe=One-Click")).status_code == 200  # idempotent
    with tenant_scope(shop.tenant.id):
        assert await Suppression.filter(channel="email").count() == 1

    body = await gql(client, token, INVITE, store=encode_id("Store", shop.store.id), to=[f" {address.title()} "])
    assert body["data"]["inviteShoppers"]["suppressed"] == 1 and body["data"]["inviteShoppers"]["sent"] == 0
    await _run_jobs(mail_settings)
    assert smtp_server.to(address) == [] and smtp_server.to(address.title()) == []
    assert await _invitation_jobs(shop.tenant.id) == []
    with tenant_scope(shop.tenant.id):
        assert not await Invitation.exists()


async def test_an_smtp_server_that_is_down_is_retried_and_the_mail_still_goes_once(
    app: Any, client: httpx.AsyncClient, mail_settings: Settings, smtp_server: SmtpSink,  # noqa: F811
) -> None:
    shop = await make_shop()
    token = await _owner_token(shop)
    address = f"{unique('patient')}@example.com"
    await gql(client, token, INVITE, store=encode_id("Store", shop.store.id), to=[address], language="en")
    down = mail_settings.model_copy(update={"smtp_url": "smtp://127.0.0.1:9"})
    followups.use_settings(down)
    await _run_jobs(down, rounds=1)
    [job] = await _invitation_jobs(shop.tenant.id)
    assert job.status == JobStatus.QUEUED and job.attempts == 1 and job.last_error
    with tenant_scope(shop.tenant.id):
        invitation = await Invitation.get(store_id=shop.store.id)
        assert invitation.sending_at is None and invitation.sent_at is None  # the claim was given back

    followups.use_settings(mail_settings)
    with all_tenants():
        await Job.filter(id=job.id).update(run_at=job.created_at)  # due now, not after the back-off
    await _run_jobs(mail_settings)
    [message] = await smtp_server.wait_for(address)
    assert message["Subject"] == "How was your visit to Main street?"


async def test_bad_invitations_are_refused_and_change_nothing(
    app: Any, client: httpx.AsyncClient, mail_settings: Settings,
) -> None:
    shop = await make_shop()
    token = await _owner_token(shop)
    store = encode_id("Store", shop.store.id)
    body = await gql(client, token, INVITE, store=store, to=["not-an-address", "a@b"])
    assert body["data"]["inviteShoppers"]["refused"] == [{"address": "not-an-address", "code": "invalid"},
                                                         {"address": "a@b", "code": "invalid"}]
    assert (await gql(client, token, INVITE, store=store, to=[]))["data"]["inviteShoppers"]["errors"][0]["field"] \
        == "recipients"
    many = [f"s{k}@example.com" for k in range(1001)]
    assert (await gql(client, token, INVITE, store=store, to=many))["data"]["inviteShoppers"]["errors"][0]["code"] \
        == "invalid"
    other = await make_shop()
    foreign = await gql(client, token, INVITE, store=encode_id("Store", other.store.id), to=["x@example.com"])
    assert foreign["data"]["inviteShoppers"]["errors"][0]["code"] == "not_found"
    wrong_zone = await gql(client, token, INVITE, store=store, zone=encode_id("Zone", other.zone.id),
                           to=["x@example.com"])
    assert wrong_zone["data"]["inviteShoppers"]["errors"][0]["field"] == "zoneId"
    qr = await gql(client, token, INVITE, store=store, to=["x@example.com"], channel="qr")
    assert qr["data"]["inviteShoppers"]["errors"][0]["code"] == "not_personal"
    analyst = await member(shop.tenant, Role.ANALYST)
    denied = await gql(client, await token_for(shop.tenant, analyst), INVITE, store=store, to=["x@example.com"])
    assert denied["data"]["inviteShoppers"]["errors"][0]["code"] == "forbidden"
    assert await _invitation_jobs(shop.tenant.id) == []
    with tenant_scope(shop.tenant.id):
        assert not await Invitation.exists()


def test_unsubscribe_tokens_name_one_address_and_cannot_be_forged(database: Settings) -> None:
    tenant = uuid.uuid4()
    token = unsubscribe_token(database, tenant, "email", "Someone@Example.com")
    link = read_unsubscribe_token(database, token)
    assert link is not None and link.tenant_id == tenant and link.channel == "email"
    assert link.address_hash == read_unsubscribe_token(
        database, unsubscribe_token(database, tenant, "email", " someone@example.com")).address_hash  # type: ignore[union-attr]
    other_key = database.model_copy(update={"secret_key": SecretStr("another secret key of enough length")})
    assert read_unsubscribe_token(other_key, token) is None
    for bad in ("", "x", "A" * 400, token[:-2], token + "A"):
        assert read_unsubscribe_token(database, bad) is None


def test_csv_addresses_by_header_or_first_column() -> None:
    assert read_addresses("\ufeffName,Email\nAnna,anna@example.com\nBo, bo@example.com \n,\n", "email") == [
        "anna@example.com", "bo@example.com"]
    assert read_addresses("anna@example.com\nbo@example.com\n") == ["anna@example.com", "bo@example.com"]
    assert read_addresses("") == []


async def test_the_cli_imports_a_csv_file(database: Settings, tmp_path: Path) -> None:
    shop = await make_shop()
    with tenant_scope(shop.tenant.id):
        await Suppression.create(channel="email", address_hash=read_unsubscribe_token(
            database, unsubscribe_token(database, shop.tenant.id, "email", "gone@example.com")).address_hash)  # type: ignore[union-attr]
    csv_file = tmp_path / "shoppers.csv"
    csv_file.write_text("email,name\nanna@example.com,Anna\nbo@example.com,Bo\ngone@example.com,G\nnope,N\n"
                        "anna@example.com,again\n", encoding="utf-8")
    code, out, err = await pejling(database, tmp_path, "invite", "--tenant", shop.tenant.slug, "--store", "main",
                                   "--csv", str(csv_file))
    assert code == 0, err
    assert "Invited 2; 1 on the suppression list; 1 refused." in out
    assert "5/5" in err and "refused: nope: invalid" in err
    assert len(await _invitation_jobs(shop.tenant.id)) == 2
    code, _, err = await pejling(database, tmp_path, "invite", "--tenant", shop.tenant.slug, "--store", "nowhere",
                                 "--csv", str(csv_file))
    assert code == 2 and "no store" in err
    assert len(await _invitation_jobs(shop.tenant.id)) == 2

"""The tenant export: a ZIP of everything held for the tenant (and nothing of another), made by a job with
progress, for owners and admins, with no secret in it."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from pejling.core.followups.models import FollowUp, FollowUpNote
from pejling.core.followups.tenant_export import TENANT_EXPORT_JOB
from pejling.core.jobs.worker import Worker
from pejling.core.secrets_at_rest import seal
from pejling.core.settings import Settings
from pejling.core.surveys.models import ChannelDevice
from pejling.plugins.webhooks.models import WebhookEndpoint
from pejling.tenants.plugin_settings import PluginSetting
from pejling.tenants.scope import tenant_scope

from .conftest import Chain, gql, make_chain
from .helpers import stored_response

WHEN = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
START = "mutation { startTenantExport { export { id format status downloadUrl } errors { code } } }"
EXPORT = "query($id: ID!) { export(id: $id) { id format status progress rowsDone rowsTotal downloadUrl } }"


async def _made(api: httpx.AsyncClient, chain: Chain, loop_settings: Settings) -> tuple[dict[str, Any], bytes]:
    started = (await gql(api, chain.owner, START))["data"]["startTenantExport"]
    assert started["errors"] == [] and started["export"]["format"] == "ZIP", started
    worker = Worker(loop_settings, kinds=[TENANT_EXPORT_JOB])
    while await worker.run_once():
        pass
    export = (await gql(api, chain.owner, EXPORT, id=started["export"]["id"]))["data"]["export"]
    reply = await api.get(export["downloadUrl"].split("testserver", 1)[-1], headers=chain.owner.headers)
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/zip"
    assert "pejling-tenant-" in reply.headers["content-disposition"]
    return export, reply.content


async def test_the_zip_holds_every_table_of_the_tenant_and_no_secret(
    api: httpx.AsyncClient, chain: Chain, app: Any, loop_settings: Settings
) -> None:
    other = await make_chain(app)
    await stored_response(other, submitted_at=WHEN, comment="not yours")
    rows = [await stored_response(chain, submitted_at=WHEN + timedelta(minutes=i), outcome=i, comment=f"visit {i}",
                                  consent_email="kim@example.com" if i == 2 else None) for i in range(4)]
    with tenant_scope(chain.tenant.id):
        follow_up = await FollowUp.create(store_id=chain.store.id, response_id=rows[0].id, reason="Low",
                                          dedupe_key=f"x-{rows[0].id}")
        await FollowUpNote.create(follow_up_id=follow_up.id, text="Called back")
        await WebhookEndpoint.create(url="https://hooks.example/in", events=[], secret_fingerprint="…1",
                                     secret_sealed=seal("hook-secret", purpose="p"))
        await PluginSetting.create(plugin="vipps", config={"webhook_secret": seal("vipps-secret", purpose="v"),
                                                           "webhook_id": "w" * 20})
        device = await ChannelDevice.create(channel="nfc", store_id=chain.store.id, label="Door",
                                            secret="sealed-device-secret", token_hash="a" * 64)

    export, content = await _made(api, chain, loop_settings)

    assert export["status"] == "SUCCEEDED" and export["progress"] == 1.0
    assert export["rowsDone"] == export["rowsTotal"] > len(rows)
    archive = zipfile.ZipFile(io.BytesIO(content))
    names = set(archive.namelist())
    assert {"manifest.json", "tenant.json", "members.json", "responses.csv", "survey_response.jsonl",
            "survey_answer.jsonl", "followup.jsonl", "followup_note.jsonl", "webhook_endpoint.jsonl",
            "plugin_setting.jsonl", "survey_channel_device.jsonl", "store.jsonl", "membership.jsonl"} <= names
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["tenant"]["slug"] == chain.tenant.slug and manifest["tables"]["survey_response"] == 4

    def lines(name: str) -> list[dict[str, Any]]:
        return [json.loads(line) for line in archive.read(name).decode().splitlines()]

    responses = lines("survey_response.jsonl")
    assert sorted(r["id"] for r in responses) == sorted(str(r.id) for r in rows)
    assert {r["tenant_id"] for r in responses} == {str(chain.tenant.id)}
    assert {r["contact_email"] for r in responses} == {None, "kim@example.com"}
    assert lines("followup_note.jsonl")[0]["text"] == "Called back"
    table = list(csv.DictReader(io.StringIO(archive.read("responses.csv").decode())))
    assert sorted(r["id"] for r in table) == sorted(str(r.id) for r in rows) and "contact_email" in table[0]
    members = json.loads(archive.read("members.json"))
    assert {m["email"] for m in members} == {chain.owner.user.email, chain.analyst.user.email,
                                              chain.manager.user.email}
    assert json.loads(archive.read("tenant.json"))["slug"] == chain.tenant.slug

    everything = b"".join(archive.read(name) for name in names).decode()
    for secret in ("hook-secret", "vipps-secret", "sealed-device-secret", "a" * 64, "not yours", "password",
                   str(other.tenant.id)):
        assert secret not in everything, secret
    assert lines("plugin_setting.jsonl")[0]["config"]["webhook_secret"] == "[sealed]"
    assert lines("webhook_endpoint.jsonl")[0]["secret_sealed"] is None
    assert lines("survey_channel_device.jsonl")[0]["id"] == str(device.id)


async def test_only_owners_and_admins_export_the_tenant(api: httpx.AsyncClient, chain: Chain,
                                                        loop_settings: Settings) -> None:
    for person in (chain.analyst, chain.manager):
        refused = (await gql(api, person, START))["data"]["startTenantExport"]
        assert refused == {"export": None, "errors": [{"code": "forbidden"}]}
    export, _ = await _made(api, chain, loop_settings)
    assert (await api.get(export["downloadUrl"].split("testserver", 1)[-1], headers=chain.analyst.headers)
            ).status_code == 404
    listed = (await gql(api, chain.analyst, "{ exports { id } }"))["data"]["exports"]
    assert export["id"] not in [e["id"] for e in listed]
    plain = (await gql(api, chain.owner, "mutation { startExport(format: ZIP) { export { id } errors { code field } } }"
                       ))["data"]["startExport"]
    assert plain == {"export": None, "errors": [{"code": "invalid", "field": "format"}]}


async def test_an_erasure_reaches_a_tenant_export_already_made(api: httpx.AsyncClient, chain: Chain,
                                                               loop_settings: Settings) -> None:
    from pejling.core.surveys.erasure import erase_response
    from pejling.core.surveys.models import Response

    row = await stored_response(chain, submitted_at=WHEN, comment="erase me")
    export, _ = await _made(api, chain, loop_settings)
    with tenant_scope(chain.tenant.id):
        await erase_response(await Response.get(id=row.id))
    assert (await gql(api, chain.owner, EXPORT, id=export["id"]))["data"]["export"] is None
    assert (await api.get(export["downloadUrl"].split("testserver", 1)[-1], headers=chain.owner.headers)
            ).status_code == 404

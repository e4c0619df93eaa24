"""Exports: a job writes CSV and JSON with progress to 100 %; the download works for members only."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from pejling.core.followups.exports import export_path
from pejling.core.followups.models import Export
from pejling.graphql.relay_ids import decode_id, encode_id
from pejling.tenants.scope import tenant_scope

from .conftest import Chain, Jobs, gql, make_chain
from .helpers import stored_response

START = """mutation($format: ExportFormat!, $filter: ResponseFilterInput, $contacts: Boolean! = false) {
  startExport(format: $format, filter: $filter, includeContactEmails: $contacts) {
    export { id status progress rowsDone rowsTotal downloadUrl includesContactEmails } errors { code field } } }"""
EXPORT = """query($id: ID!) { export(id: $id) { id format status progress rowsDone rowsTotal downloadUrl } }"""


async def start(api: httpx.AsyncClient, person: Any, format: str, **variables: Any) -> dict[str, Any]:
    body = await gql(api, person, START, format=format, **variables)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["startExport"]
    return payload


async def finished(api: httpx.AsyncClient, person: Any, jobs: Jobs, export_id: str) -> dict[str, Any]:
    await jobs.run()
    body = await gql(api, person, EXPORT, id=export_id)
    export: dict[str, Any] = body["data"]["export"]
    return export


def path_of(url: str) -> str:
    parts = urlsplit(url)
    assert parts.path.startswith("/api/exports/") and parts.path.endswith("/download")
    return parts.path


async def seed(chain: Chain) -> list[Any]:
    base = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    rows = [await stored_response(chain, submitted_at=base + timedelta(minutes=i), outcome=i % 11,
                                  comment="=HYPERLINK(\"x\")" if i == 3 else f"visit {i}",
                                  consent_email="shopper@example.com" if i == 4 else None)
            for i in range(12)]
    rows.append(await stored_response(chain, submitted_at=base, outcome=1, store=chain.other_store))
    return rows


async def test_csv_and_json_exports_hold_the_right_rows_and_reach_100_percent(
    api: httpx.AsyncClient, chain: Chain, jobs: Jobs
) -> None:
    rows = await seed(chain)
    main_rows = [r for r in rows if r.store_id == chain.store.id]
    started = await start(api, chain.owner, "CSV", filter={"storeIds": [encode_id("Store", chain.store.id)]})
    assert started["errors"] == []
    assert started["export"]["status"] == "QUEUED" and started["export"]["downloadUrl"] is None
    export = await finished(api, chain.owner, jobs, started["export"]["id"])
    assert export["status"] == "SUCCEEDED" and export["progress"] == 1.0
    assert export["rowsDone"] == export["rowsTotal"] == len(main_rows)

    reply = await api.get(path_of(export["downloadUrl"]), headers=chain.analyst.headers)
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/csv")
    assert "attachment" in reply.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(reply.text)))
    assert sorted(r["id"] for r in table) == sorted(str(r.id) for r in main_rows)
    assert "contact_email" not in table[0]
    assert {r["store"] for r in table} == {"main"}
    assert f"answer:{chain.statement_ids[0]}" in table[0]
    formula = next(r for r in table if r["comment"].startswith("'"))
    assert formula["comment"] == "'=HYPERLINK(\"x\")"  # never run as a spreadsheet formula

    started = await start(api, chain.owner, "JSON", filter={"outcomeMax": 5}, contacts=True)
    export = await finished(api, chain.owner, jobs, started["export"]["id"])
    assert export["progress"] == 1.0 and export["format"] == "JSON"
    reply = await api.get(path_of(export["downloadUrl"]), headers=chain.owner.headers)
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("application/json")
    data = json.loads(reply.text)
    expected = [r for r in rows if r.outcome is not None and r.outcome <= 5]
    assert sorted(d["id"] for d in data) == sorted(str(r.id) for r in expected)
    assert {d["contact_email"] for d in data} == {None, "shopper@example.com"}
    assert data[0]["answers"][0]["statement_id"] == chain.statement_ids[0]
    # An export with contact emails is for owners and admins only, even inside the tenant.
    assert (await api.get(path_of(export["downloadUrl"]), headers=chain.analyst.headers)).status_code == 404


async def test_the_download_is_404_for_another_tenant_and_401_anonymous(api: httpx.AsyncClient, chain: Chain,
                                                                        jobs: Jobs, app: Any) -> None:
    await seed(chain)
    started = await start(api, chain.owner, "CSV")
    export = await finished(api, chain.owner, jobs, started["export"]["id"])
    path = path_of(export["downloadUrl"])
    assert (await api.get(path)).status_code == 401
    other = await make_chain(app)
    assert (await api.get(path, headers=other.owner.headers)).status_code == 404
    assert (await api.get(path, headers={**other.owner.headers, "X-Pejling-Tenant": chain.tenant.slug})
            ).status_code == 404
    assert (await api.get("/api/exports/not-a-uuid/download", headers=chain.owner.headers)).status_code == 404
    assert (await api.get(path, headers=chain.owner.headers)).status_code == 200


async def test_contact_emails_need_an_owner_or_admin_and_store_managers_export_their_stores(
    api: httpx.AsyncClient, chain: Chain, jobs: Jobs
) -> None:
    rows = await seed(chain)
    refused = await start(api, chain.analyst, "CSV", contacts=True)
    assert refused == {"export": None, "errors": [{"code": "forbidden", "field": None}]}
    started = await start(api, chain.manager, "JSON")
    export = await finished(api, chain.manager, jobs, started["export"]["id"])
    reply = await api.get(path_of(export["downloadUrl"]), headers=chain.manager.headers)
    data = json.loads(reply.text)
    assert sorted(d["id"] for d in data) == sorted(str(r.id) for r in rows if r.store_id == chain.store.id)
    assert all("contact_email" not in d for d in data)
    # Another store manager's export is not theirs to read.
    listed = await gql(api, chain.manager, "{ exports { id } }")
    assert [e["id"] for e in listed["data"]["exports"]] == [started["export"]["id"]]


async def test_an_export_of_nothing_still_finishes(api: httpx.AsyncClient, chain: Chain, jobs: Jobs) -> None:
    started = await start(api, chain.owner, "CSV", filter={"channels": ["kiosk"]})
    export = await finished(api, chain.owner, jobs, started["export"]["id"])
    assert export["status"] == "SUCCEEDED" and export["rowsTotal"] == 0 and export["progress"] == 1.0
    reply = await api.get(path_of(export["downloadUrl"]), headers=chain.owner.headers)
    assert reply.text.splitlines()[0].startswith("id,receipt_code,submitted_at")


async def test_old_exports_are_purged_with_their_files(api: httpx.AsyncClient, chain: Chain, jobs: Jobs) -> None:
    started = await start(api, chain.owner, "CSV")
    export = await finished(api, chain.owner, jobs, started["export"]["id"])
    with tenant_scope(chain.tenant.id):
        row = await Export.get(id=decode_id(export["id"], "Export"))
        path = export_path(row)
        assert path.is_file()
        await Export.filter(id=row.id).update(created_at=datetime.now(UTC) - timedelta(days=8))
    await start(api, chain.owner, "JSON")
    assert not path.exists()
    assert (await gql(api, chain.owner, EXPORT, id=export["id"]))["data"]["export"] is None
    assert (await api.get(path_of(export["downloadUrl"]), headers=chain.owner.headers)).status_code == 404


async def test_the_download_link_names_its_tenant_for_a_person_in_several(
    api: httpx.AsyncClient, chain: Chain, jobs: Jobs, app: Any
) -> None:
    from pejling.tenants.models import Membership, Role
    from tests.auth.auth_helpers import browser, graphql_login

    await seed(chain)
    other = await make_chain(app)
    with tenant_scope(other.tenant.id):  # the owner also works for another retailer
        await Membership.create(user_id=chain.owner.user.id, role=Role.ANALYST)
    started = await start(api, chain.owner, "CSV")
    export = await finished(api, chain.owner, jobs, started["export"]["id"])
    url = urlsplit(export["downloadUrl"])
    assert url.query == f"tenant={chain.tenant.slug}"
    async with browser(app) as person:  # a logged-in browser clicking the link: cookies, no tenant header
        await graphql_login(person, chain.owner.user.email, "correct horse battery staple 42")
        assert (await person.get(f"{url.path}?{url.query}")).status_code == 200
        assert (await person.get(url.path)).status_code == 404, "two tenants and none named: not found"
        assert (await person.get(f"{url.path}?tenant={other.tenant.slug}")).status_code == 404
        assert (await person.get(f"{url.path}?tenant=not-mine")).status_code == 404
        twice = await person.get(f"{url.path}?{url.query}&tenant={other.tenant.slug}")  # one value per parameter
        assert twice.status_code == 400 and twice.json()["error"] == "repeated_parameter"
